"""The device as a whole: ``get_status`` performance, ``device`` and ``exception_info`` pushes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from .wire import WireError, fields, optional_int, optional_str


@dataclass(frozen=True, slots=True)
class GatewayStatusRecord:
    """``get_status``'s performance section: CPU in %, memory and flash in KB."""

    cpu_used: int | None
    memory_total: int | None
    memory_used: int | None
    memory_free: int | None
    memory_cached: int | None
    memory_buffers: int | None
    flash_total: int | None
    flash_used: int | None


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """A ``device`` push: the unit powered on or off."""

    gateway_id: str
    port_count: int | None
    ip: str | None
    mac: str | None
    status: str | None  # power_on / power_off


@dataclass(frozen=True, slots=True)
class ExceptionRecord:
    """An ``exception_info`` push: something went wrong on a port and what the unit did."""

    gateway_id: str
    port: int | None
    type: str | None  # e.g. call_fail
    action: str | None  # e.g. reset


def parse_gateway_status(reply: Mapping[str, Any]) -> GatewayStatusRecord:
    """The body of a ``get_status`` reply (no envelope); its values arrive as strings."""
    performance = reply.get("performance")
    if not isinstance(performance, Mapping):
        raise WireError("the reply has no performance object")
    values = fields(performance, (), "performance")
    return GatewayStatusRecord(  # every value arrives as a string of digits
        **{name: optional_int(values.get(name), name) for name in GatewayStatusRecord.__slots__}
    )


def parse_device(item: object, *, gateway_id: str, zone: ZoneInfo) -> DeviceRecord:
    item = {key.lower(): value for key, value in fields(item, (), "device").items()}
    return DeviceRecord(
        gateway_id=gateway_id,
        port_count=optional_int(item.get("port_number"), "port_number"),
        ip=optional_str(item.get("ip"), "IP"),
        mac=optional_str(item.get("mac"), "MAC"),
        status=optional_str(item.get("status"), "status"),
    )


def parse_exception(item: object, *, gateway_id: str, zone: ZoneInfo) -> ExceptionRecord:
    item = fields(item, (), "exception_info")
    return ExceptionRecord(
        gateway_id=gateway_id,
        port=optional_int(item.get("port"), "port"),
        type=optional_str(item.get("type"), "type"),
        action=optional_str(item.get("action"), "action"),
    )
