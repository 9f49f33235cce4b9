"""The ``Subscription`` root: pushed events, filtered by the facade, one GraphQL event each."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import Annotated, TypeVar
from zoneinfo import ZoneInfo

import strawberry
from strawberry.types import Info

from ..events import Event, EventKind
from ..gateway import CallRecord as CallRecordData
from ..gateway import DeviceRecord, ExceptionRecord, RegistrationRecord, UssdReplyRecord
from ..gateway.models import (
    DeliveryReportRecord,
    IncomingSmsRecord,
    SmsResultRecord,
    record_from_data,
)
from .context import Context
from .device import CallRecord, DeviceEvent, GatewayException, PortRegistration, UssdReply
from .filters import check_filter, check_port
from .reports import DeliveryReport, IncomingSms
from .types import FilterArg, Gateway, SmsResult, checked, from_record

R = TypeVar("R")
GatewayIds = list[strawberry.ID] | None
After = Annotated[
    str | None,
    strawberry.argument(
        description="Resume: first every matching event after this cursor, then live ones."
    ),
]


async def _records(
    info: Info[Context, None],
    kind: EventKind,
    record_type: type[R],
    gateway_ids: GatewayIds,
    after: str | None,
    accept: Callable[[R, ZoneInfo], bool] = lambda record, zone: True,
) -> AsyncGenerator[tuple[R, Gateway, str | None], None]:
    """Records of one push kind from the chosen gateways that ``accept`` lets through.

    ``accept`` runs in the broker's fan-out, so events a subscriber does not want never take
    room in its buffer.
    """
    chosen = {client.id: client for client in info.context.select(gateway_ids)}

    def record(event: Event) -> R:
        return record_from_data(record_type, event.gateway_id, event.data)

    def wanted(event: Event) -> bool:
        client = chosen.get(event.gateway_id)
        return event.kind == kind and client is not None and accept(record(event), client.zone)

    async with info.context.broker.subscribe(wanted, after=after, label=kind) as events:
        async for event in events:
            yield record(event), Gateway.of(chosen[event.gateway_id]), event.cursor


@strawberry.type
class Subscription:
    @strawberry.subscription(description="One event per pushed sending result that matches.")
    async def sms_results(
        self,
        info: Info[Context, None],
        filter: FilterArg = None,
        gateway_ids: GatewayIds = None,
        after: After = None,
    ) -> AsyncGenerator[SmsResult, None]:
        wanted = checked(filter)
        async for record, gateway, cursor in _records(
            info, "sms_result", SmsResultRecord, gateway_ids, after, wanted.matches
        ):
            yield SmsResult.from_record(record, gateway, cursor=cursor)

    @strawberry.subscription(description="One event per delivery report the gateways push.")
    async def delivery_reports(
        self,
        info: Info[Context, None],
        gateway_ids: GatewayIds = None,
        numbers: list[str] | None = None,
        after: After = None,
    ) -> AsyncGenerator[DeliveryReport, None]:
        wanted = check_filter(numbers=numbers).numbers
        async for record, gateway, cursor in _records(
            info,
            "sms_deliver_status",
            DeliveryReportRecord,
            gateway_ids,
            after,
            lambda record, zone: wanted is None or record.number in wanted,
        ):
            yield DeliveryReport.from_record(record, gateway, cursor=cursor)

    @strawberry.subscription(description="One event per SMS the gateways receive.")
    async def incoming_sms(
        self,
        info: Info[Context, None],
        gateway_ids: GatewayIds = None,
        ports: list[int] | None = None,
        after: After = None,
    ) -> AsyncGenerator[IncomingSms, None]:
        wanted = None if ports is None else frozenset(check_port(port) for port in ports)
        async for record, gateway, cursor in _records(
            info,
            "sms",
            IncomingSmsRecord,
            gateway_ids,
            after,
            lambda record, zone: wanted is None or record.port in wanted,
        ):
            yield IncomingSms.from_record(record, gateway, cursor=cursor)

    @strawberry.subscription(description="USSD replies the gateways push.")
    async def ussd_replies(
        self,
        info: Info[Context, None],
        gateway_ids: GatewayIds = None,
        after: After = None,
    ) -> AsyncGenerator[UssdReply, None]:
        async for record, gateway, cursor in _records(
            info, "ussd", UssdReplyRecord, gateway_ids, after
        ):
            yield from_record(UssdReply, record, gateway, cursor=cursor)

    @strawberry.subscription(description="SIMs registering and dropping off (register pushes).")
    async def port_registrations(
        self,
        info: Info[Context, None],
        gateway_ids: GatewayIds = None,
        ports: list[int] | None = None,
        after: After = None,
    ) -> AsyncGenerator[PortRegistration, None]:
        wanted = None if ports is None else frozenset(check_port(port) for port in ports)
        async for record, gateway, cursor in _records(
            info,
            "register",
            RegistrationRecord,
            gateway_ids,
            after,
            lambda record, zone: wanted is None or record.port in wanted,
        ):
            yield from_record(PortRegistration, record, gateway, cursor=cursor)

    @strawberry.subscription(description="Answered calls (cdr pushes).")
    async def call_records(
        self,
        info: Info[Context, None],
        gateway_ids: GatewayIds = None,
        after: After = None,
    ) -> AsyncGenerator[CallRecord, None]:
        async for record, gateway, cursor in _records(
            info, "cdr", CallRecordData, gateway_ids, after
        ):
            yield from_record(CallRecord, record, gateway, cursor=cursor)

    @strawberry.subscription(description="Gateways announcing themselves (device pushes).")
    async def device_events(
        self,
        info: Info[Context, None],
        gateway_ids: GatewayIds = None,
        after: After = None,
    ) -> AsyncGenerator[DeviceEvent, None]:
        async for record, gateway, cursor in _records(
            info, "device", DeviceRecord, gateway_ids, after
        ):
            yield from_record(DeviceEvent, record, gateway, cursor=cursor)

    @strawberry.subscription(description="What gateways handled on their own (exception_info).")
    async def gateway_exceptions(
        self,
        info: Info[Context, None],
        gateway_ids: GatewayIds = None,
        after: After = None,
    ) -> AsyncGenerator[GatewayException, None]:
        async for record, gateway, cursor in _records(
            info, "exception_info", ExceptionRecord, gateway_ids, after
        ):
            yield from_record(GatewayException, record, gateway, cursor=cursor)
