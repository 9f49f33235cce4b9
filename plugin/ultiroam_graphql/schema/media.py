"""GraphQL over HTTP media types: which one a client accepts, and error answers in it.

The spec's two response types differ only in status codes: ``application/json`` answers 200 to
every well-formed request, so a legacy client can tell a GraphQL answer from a proxy's error page;
``application/graphql-response+json`` answers 4xx when the operation was refused before it ran.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping

from starlette.responses import Response
from strawberry.http.parse_content_type import parse_content_type

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
SUPPORTED = f"{GRAPHQL_RESPONSE}; charset=utf-8, {JSON}; charset=utf-8"
UTF8 = ("utf-8", "utf8")

BAD_USER_INPUT = "BAD_USER_INPUT"
HEADER_CACHE_SIZE = 256
"""Distinct ``Accept`` and ``Content-Type`` values whose answer is kept: clients send few."""


@functools.lru_cache(maxsize=HEADER_CACHE_SIZE)
def negotiate(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or None when it allows neither.

    No header, ``*/*`` and ``application/*`` get ``application/json`` (legacy clients send
    those); a client that names both types at the same quality gets the newer one.
    """
    if accept is None or not accept.strip():
        return JSON
    ranges = [_media_range(part) for part in accept.split(",") if part.strip()]
    best: tuple[float, int, bool] | None = None
    chosen = None
    for candidate in (GRAPHQL_RESPONSE, JSON):
        matches = [(spec, q) for mime, spec, q in filter(None, ranges) if _covers(mime, candidate)]
        if not matches:
            continue
        specificity, quality = max(matches)  # the most specific range that names it decides
        if quality <= 0:
            continue
        preferred = candidate == (GRAPHQL_RESPONSE if specificity == 2 else JSON)
        key = (quality, specificity, preferred)
        if best is None or key > best:
            best, chosen = key, candidate
    return chosen


def _media_range(part: str) -> tuple[str, int, float] | None:
    """``(mime, specificity, q)`` of one Accept element; None for one we can never satisfy."""
    mime, params = parse_content_type(part.strip())
    mime = mime.strip().lower()
    params = {key.strip().lower(): value.strip() for key, value in params.items()}
    if params.get("charset", "utf-8").lower() not in UTF8:
        return None  # we answer in UTF-8 only
    try:
        quality = min(max(float(params.get("q", "1")), 0.0), 1.0)
    except ValueError:
        return None
    specificity = 0 if mime == "*/*" else 1 if mime.endswith("/*") else 2
    return mime, specificity, quality


def _covers(media_range: str, media_type: str) -> bool:
    if media_range == "*/*":
        return True
    if media_range.endswith("/*"):
        return media_type.startswith(media_range[:-1])
    return media_range == media_type


@functools.lru_cache(maxsize=HEADER_CACHE_SIZE)
def request_content_type_problem(content_type: str | None) -> str | None:
    """Why a POST body's ``Content-Type`` is not one we read (415), or None."""
    if not content_type:
        return f"A POST needs Content-Type: {JSON}"
    mime, params = parse_content_type(content_type)
    charset = {key.lower(): value for key, value in params.items()}.get("charset", "utf-8")
    if mime.strip().lower() != JSON or charset.lower() not in UTF8:
        return f"Unsupported Content-Type {content_type[:100]!r}: send {JSON} in UTF-8"
    return None


def error_response(
    media_type: str,
    status: int,
    message: str,
    *,
    code: str = BAD_USER_INPUT,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A GraphQL-shaped error answer (no ``data``) for a request refused before GraphQL."""
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        headers=dict(headers or {}),
        media_type=f"{media_type}; charset=utf-8",
    )
