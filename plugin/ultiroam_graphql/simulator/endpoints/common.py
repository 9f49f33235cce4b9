"""What every endpoint shares: the registry entry, JSON bodies, the error-code envelope."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..gateway import SimulatedGateway
from ..query import QueryError

Handler = Callable[[Request, SimulatedGateway], Awaitable[Response]]
Reply = Callable[[Request, SimulatedGateway], Awaitable[dict[str, object]]]
_UINT = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One path: its HTTP method, its handler, and the HTTP status for any other method (405,
    or 403 where firmware answers that)."""

    method: str
    handler: Handler
    wrong_method_status: int = 405


def enveloped(build: Reply) -> Handler:
    """A handler that answers `build`'s dict, or the bare envelope of a QueryError's code (HTTP
    200 either way, as the device answers)."""

    async def handler(request: Request, gateway: SimulatedGateway) -> Response:
        try:
            return JSONResponse(await build(request, gateway))
        except QueryError as exc:
            return JSONResponse(gateway.envelope(exc.error_code))

    return handler


async def json_body(request: Request) -> object:
    """The request body as JSON; QueryError 400 when it is not JSON."""
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise QueryError(400, "body is not JSON") from None


def uint_param(params: Mapping[str, str], key: str) -> int:
    """A required non-negative integer GET parameter; QueryError 400 otherwise."""
    raw = params.get(key, "").strip()
    if not _UINT.fullmatch(raw):
        raise QueryError(400, f"{key} must be a non-negative integer")
    return int(raw)


def port_param(params: Mapping[str, str], gateway: SimulatedGateway) -> int:
    """A required single port of this device; QueryError 400 otherwise."""
    port = uint_param(params, "port")
    if port >= gateway.port_count:
        raise QueryError(400, "port out of range")
    return port
