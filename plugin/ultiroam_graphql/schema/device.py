"""The device beyond messages: port state, its own status, USSD, calls, and what it announces."""

from __future__ import annotations

from datetime import datetime

import strawberry

from ..gateway import PortInfoRecord
from .types import Gateway, Port


def _cursor() -> str | None:
    return strawberry.field(
        default=None, description="Set on subscription events: resume with `after`."
    )


@strawberry.type(description="A port's SIM and radio as the gateway reports them (get_port_info).")
class PortState:
    registration: str = strawberry.field(
        description="REGISTER_OK, NO_SIM, SEARCHING_NETWORK, ... as the gateway reports it."
    )
    network: str | None = strawberry.field(description="GSM, WCDMA, LTE, ...")
    signal: int | None = strawberry.field(description="0..31 (CSQ); null for no signal.")
    imsi: str | None
    iccid: str | None
    imei: str | None
    number: str | None = strawberry.field(description="Often unknown until number learning.")
    slot: int | None = strawberry.field(description="SIM slot on multi-SIM units.")
    call_state: str | None
    gprs: str | None
    balance: str | None = strawberry.field(description="remain_credit, where the device knows it.")

    @classmethod
    def from_record(cls, record: PortInfoRecord) -> PortState:
        return cls(
            registration=record.registration or "UNKNOWN",
            network=record.network,
            signal=record.signal,
            imsi=record.imsi,
            iccid=record.iccid,
            imei=record.imei,
            number=record.number,
            slot=record.slot,
            call_state=record.call_state,
            gprs=record.gprs,
            balance=record.credit,
        )


@strawberry.type(description="The gateway's own load (get_status); memory and flash in KB.")
class GatewayStatus:
    cpu_used: int | None = strawberry.field(description="Percent.")
    memory_total: int | None
    memory_used: int | None
    memory_free: int | None
    memory_cached: int | None
    memory_buffers: int | None
    flash_total: int | None
    flash_used: int | None


@strawberry.type(description="A USSD reply from the network.")
class UssdReply:
    gateway: Gateway
    port: Port
    text: str
    cursor: str | None = _cursor()


@strawberry.type(description="A port's SIM registering or dropping off (register pushes).")
class PortRegistration:
    gateway: Gateway
    port: Port
    status: str = strawberry.field(description="up or down.")
    iccid: str | None
    imsi: str | None
    number: str | None
    sequence: int | None
    slot: int | None
    cursor: str | None = _cursor()


@strawberry.type(description="An answered call (cdr pushes).")
class CallRecord:
    gateway: Gateway
    port: Port
    start: datetime | None
    answer: datetime | None
    duration: int | None = strawberry.field(description="Seconds.")
    source_number: str | None
    destination_number: str | None
    direction: str | None = strawberry.field(description="gsm->ip, ip->gsm or callback.")
    ip: str | None
    codec: str | None
    hangup: str | None
    gsm_code: int | None
    bcch: str | None
    cursor: str | None = _cursor()


@strawberry.type(description="The gateway announcing itself (device pushes).")
class DeviceEvent:
    gateway: Gateway
    port_count: int | None
    ip: str | None
    mac: str | None
    status: str | None = strawberry.field(description="power_on or power_off.")
    cursor: str | None = _cursor()


@strawberry.type(description="Something the gateway handled on its own (exception_info pushes).")
class GatewayException:
    gateway: Gateway
    port: Port | None
    type: str | None = strawberry.field(description="For example call_fail.")
    action: str | None = strawberry.field(description="What the gateway did, e.g. reset.")
    cursor: str | None = _cursor()
