"""USSD endpoints: `send_ussd` (§3.7) and `query_ussd_reply` (§3.8)."""

from __future__ import annotations

from starlette.requests import Request

from ..gateway import SimulatedGateway
from ..query import QueryError, comma_ports
from ..ussd import parse_ussd_request
from .common import enveloped, json_body


@enveloped
async def send_ussd(request: Request, gateway: SimulatedGateway) -> dict[str, object]:
    wanted = parse_ussd_request(await json_body(request), gateway.port_count)
    outcome = gateway.send_ussd(wanted.ports, wanted.text, command=wanted.command)
    return gateway.envelope(202, result=[{"port": p, "status": s} for p, s in outcome])


@enveloped
async def query_ussd_reply(request: Request, gateway: SimulatedGateway) -> dict[str, object]:
    ports = comma_ports(request.query_params, "port", gateway.port_count)
    if ports is None:
        raise QueryError(400, "port is required")
    return gateway.envelope(200, reply=[{"port": p, "text": gateway.ussd_reply(p)} for p in ports])
