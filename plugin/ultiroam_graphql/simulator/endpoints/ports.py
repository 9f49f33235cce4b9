"""Port endpoints: `get_port_info` (§3.9) and `set_port_info` (§3.10)."""

from __future__ import annotations

from starlette.requests import Request

from ..gateway import SimulatedGateway
from ..ports import INFO_TYPES
from ..query import QueryError, comma_ports
from .common import enveloped, port_param

SLOTS = frozenset({"0", "1", "2", "3"})


def _info_types(raw: str) -> list[str]:
    """`info_type=a,b` (required): known names only, so `operator` is a 400."""
    names = [n.strip() for n in raw.split(",")] if raw.strip() else []
    if not names or any(n not in INFO_TYPES for n in names):
        raise QueryError(400, "info_type missing or unknown")
    return list(dict.fromkeys(names))


@enveloped
async def get_port_info(request: Request, gateway: SimulatedGateway) -> dict[str, object]:
    params = request.query_params
    info_types = _info_types(params.get("info_type", ""))
    # A port this device lacks refuses the whole request, as some firmware does.
    ports = comma_ports(params, "port", gateway.port_count)
    return gateway.envelope(200, info=gateway.ports.info(info_types, ports))


@enveloped
async def set_port_info(request: Request, gateway: SimulatedGateway) -> dict[str, object]:
    """`reset` (any param), `power` on/off, `slot` 0..3 (accepted; this single-SIM unit stays
    at 255); every other action is a 400."""
    params = request.query_params
    port = port_param(params, gateway)
    action = params.get("action", "").strip()
    param = params.get("param", "").strip()
    if action == "reset":
        gateway.ports.reset(port)
    elif action == "power" and param in ("on", "off"):
        gateway.ports.power(port, param == "on")
    elif action != "slot" or param not in SLOTS:
        raise QueryError(400, "unsupported action or param")
    return gateway.envelope(200)
