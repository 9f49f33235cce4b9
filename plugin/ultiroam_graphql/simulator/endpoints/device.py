"""Device endpoints: `get_status` (§3.12, no envelope) and `get_cdr` (§3.11)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from .. import status
from ..cdr import parse_cdr_filter
from ..gateway import SimulatedGateway
from .common import enveloped, json_body

FORBIDDEN_TEXT = "403 Forbidden"


def forbidden() -> Response:
    """What firmware answers to a `get_status` it does not accept (a GET, an object body)."""
    return PlainTextResponse(FORBIDDEN_TEXT, status_code=403)


async def get_status(request: Request, gateway: SimulatedGateway) -> Response:
    try:
        body: object = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return forbidden()
    reply = status.get_status(body, gateway.seed, gateway.clock())
    return forbidden() if reply is None else JSONResponse(reply)


@enveloped
async def get_cdr(request: Request, gateway: SimulatedGateway) -> dict[str, object]:
    wanted = parse_cdr_filter(await json_body(request), gateway.port_count)
    calls = gateway.call_log.matching(wanted, gateway.zone)
    return gateway.envelope(200, cdr=[c.wire(gateway.zone) for c in calls])
