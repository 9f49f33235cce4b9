"""`/control/` endpoints: not part of any device, they let demos and tests act on the
simulator (behind the same auth and lockout as `/api/`, not counted in `calls`, no faults)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..gateway import SimulatedGateway
from ..record import MAX_NUMBER_BYTES


def _bad(reason: str) -> Response:
    return JSONResponse({"error": reason}, status_code=400)


async def incoming_sms(request: Request, gateway: SimulatedGateway) -> Response:
    """`POST /control/incoming_sms` with `{"port": int, "number": str, "text": str}` (and an
    optional `smsc`): the SMS lands in the inbox (unread) and is pushed as `sms`."""
    try:
        body: object = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return _bad("body is not JSON")
    if not isinstance(body, dict):
        return _bad("body must be a JSON object")
    port, number, text = body.get("port"), body.get("number"), body.get("text")
    smsc = body.get("smsc")
    if not isinstance(port, int) or isinstance(port, bool) or not 0 <= port < gateway.port_count:
        return _bad(f"port must be an integer within 0..{gateway.port_count - 1}")
    if not isinstance(number, str) or not number.strip():
        return _bad("number must be a non-empty string")
    if len(number.encode()) > MAX_NUMBER_BYTES:
        return _bad(f"number longer than {MAX_NUMBER_BYTES} bytes")
    if not isinstance(text, str):
        return _bad("text must be a string")
    if smsc is not None and not isinstance(smsc, str):
        return _bad("smsc must be a string")
    message = gateway.add_incoming_sms(port=port, number=number, text=text, smsc=smsc)
    return JSONResponse({"incoming_sms_id": message.incoming_sms_id})
