"""A port's SIM and radio: ``get_port_info`` answers and ``register`` pushes."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .wire import any_str, fields, optional_int, optional_str, wire_int, wire_str

PORT_INFO_TYPES = (
    "type",
    "imei",
    "imsi",
    "iccid",
    "number",
    "reg",
    "slot",
    "callstate",
    "signal",
    "gprs",
    "remain_credit",
)
"""What ``get_port_info`` asks for (``operator`` would make the device answer 400)."""
NO_SLOT = 255
NO_SIGNAL = 99
MAX_SIGNAL = 31


@dataclass(frozen=True, slots=True)
class PortInfoRecord:
    """One port's state as ``get_port_info`` gives it; None for what the device did not say."""

    gateway_id: str
    port: int
    registration: str | None  # `reg`: REGISTER_OK, NO_SIM, ... as the device spells it
    network: str | None  # `type`: GSM, LTE, ...
    signal: int | None  # CSQ 0..31; 99 (no signal) and anything else out of range is None
    imsi: str | None
    iccid: str | None
    imei: str | None
    number: str | None
    slot: int | None  # SIM slot on multi-SIM units; 255 (single SIM) is None
    call_state: str | None
    gprs: str | None
    credit: str | None  # `remain_credit`
    extra: tuple[tuple[str, str], ...] = ()  # any other key, as text, sorted by key


@dataclass(frozen=True, slots=True)
class RegistrationRecord:
    """A ``register`` push: a port's SIM came up or went down."""

    gateway_id: str
    port: int
    status: str  # "up" / "down"
    iccid: str | None
    imsi: str | None
    number: str | None
    sequence: int | None
    slot: int | None


def signal_level(value: object) -> int | None:
    signal = optional_int(value, "signal")
    return signal if signal is not None and 0 <= signal <= MAX_SIGNAL else None


def sim_slot(value: object) -> int | None:
    slot = optional_int(value, "slot")
    return None if slot == NO_SLOT else slot


_KNOWN_PORT_INFO = frozenset({"port", *PORT_INFO_TYPES})


def parse_port_info(item: object, *, gateway_id: str, zone: ZoneInfo) -> PortInfoRecord:
    item = fields(item, ("port",), "port info")
    extra = tuple(
        sorted(
            (key, any_str(value))
            for key, value in item.items()
            if key not in _KNOWN_PORT_INFO and value is not None
        )
    )
    return PortInfoRecord(
        gateway_id=gateway_id,
        port=wire_int(item["port"], "port"),
        registration=optional_str(item.get("reg"), "reg"),
        network=optional_str(item.get("type"), "type"),
        signal=signal_level(item.get("signal")),
        imsi=optional_str(item.get("imsi"), "imsi"),
        iccid=optional_str(item.get("iccid"), "iccid"),
        imei=optional_str(item.get("imei"), "imei"),
        number=optional_str(item.get("number"), "number"),
        slot=sim_slot(item.get("slot")),
        call_state=optional_str(item.get("callstate"), "callstate"),
        gprs=optional_str(item.get("gprs"), "gprs"),
        credit=optional_str(item.get("remain_credit"), "remain_credit"),
        extra=extra,
    )


def parse_registration(item: object, *, gateway_id: str, zone: ZoneInfo) -> RegistrationRecord:
    item = fields(item, ("port", "status"), "register")
    return RegistrationRecord(
        gateway_id=gateway_id,
        port=wire_int(item["port"], "port"),
        status=wire_str(item["status"], "status"),
        iccid=optional_str(item.get("iccid"), "iccid"),
        imsi=optional_str(item.get("imsi"), "imsi"),
        number=optional_str(item.get("number"), "number"),
        sequence=optional_int(item.get("sequence"), "sequence"),
        slot=sim_slot(item.get("slot")),
    )
