"""The HTTP side of one GraphQL request, before and after GraphQL: the headers the view checks,
the JSON body, the body given again to whoever reads it next, and Strawberry's sub-response."""

from __future__ import annotations

import asyncio

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope

__all__ = ["SubResponse", "json_body", "replay", "request_head"]


class SubResponse(Response):
    """Strawberry's sub-response (no status, no body, no headers) in the negotiated media type,
    made without rendering and dropping a content-length as Strawberry's is."""

    def __init__(self, media_type: str) -> None:
        self.status_code = None  # type: ignore[assignment]
        self.media_type = media_type
        self.background = None
        self.body = b""
        self.raw_headers = []


HEADERS_READ = frozenset({b"accept", b"authorization", b"content-length", b"content-type"})


def request_head(scope: Scope) -> dict[bytes, str]:
    """The request headers the checks read, each its first value as Starlette's ``get`` gives."""
    found: dict[bytes, str] = {}
    for name, value in scope["headers"]:
        if name in HEADERS_READ and name not in found:
            found[name] = value.decode("latin-1")
    return found


def json_body(request: Request, body: bytes) -> object:
    """A POST's JSON body (None for a GET), or why it cannot be a GraphQL request: a ``str``."""
    if request.scope["method"] != "POST":
        return None
    try:
        value = orjson.loads(body)  # the usual case; a failure is told apart below
    except ValueError:
        pass
    else:
        return _json_request_problem(value) or value
    try:
        value = orjson.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return "The request body is not UTF-8"
    except (ValueError, RecursionError):  # orjson.JSONDecodeError is a ValueError
        return "The request body is not valid JSON"
    return _json_request_problem(value) or value


def _json_request_problem(value: object) -> str | None:
    if not isinstance(value, (dict, list)):
        return "The request body must be a JSON object (or a list of them)"
    if isinstance(value, list) and not all(isinstance(item, dict) for item in value):
        return "A batch must be a list of JSON objects"
    return None


def replay(body: bytes) -> Receive:
    """A receive channel that gives the already-read body once, then waits like a client."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client has nothing more to say
        return {"type": "http.disconnect"}

    return receive
