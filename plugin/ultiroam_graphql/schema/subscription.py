"""The ``Subscription`` root: pushed events, filtered by the facade, one GraphQL event each."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import TypeVar

import strawberry
from strawberry.types import Info

from ..events import Event, EventKind
from ..gateway.models import (
    DeliveryReportRecord,
    IncomingSmsRecord,
    SmsResultRecord,
    record_from_data,
)
from .context import Context
from .filters import check_filter, check_port
from .reports import DeliveryReport, IncomingSms
from .types import FilterArg, Gateway, SmsResult, checked

T = TypeVar("T")
GatewayIds = list[strawberry.ID] | None


async def _stream(
    info: Info[Context, None],
    kind: EventKind,
    gateway_ids: GatewayIds,
    accept: Callable[[Event], bool],
    build: Callable[[Event, Gateway], T],
) -> AsyncGenerator[T, None]:
    """Events of one kind from the chosen gateways that ``accept`` lets through."""
    context = info.context
    chosen = {client.id: Gateway(client=client) for client in context.select(gateway_ids)}

    def wanted(event: Event) -> bool:
        return event.kind == kind and event.gateway_id in chosen and accept(event)

    async with context.broker.subscribe(wanted) as events:
        async for event in events:
            yield build(event, chosen[event.gateway_id])


@strawberry.type
class Subscription:
    @strawberry.subscription(description="One event per pushed sending result that matches.")
    async def sms_results(
        self, info: Info[Context, None], filter: FilterArg = None, gateway_ids: GatewayIds = None
    ) -> AsyncGenerator[SmsResult, None]:
        checked_filter = checked(filter)
        zones = {gateway_id: client.zone for gateway_id, client in info.context.gateways.items()}

        def record(event: Event) -> SmsResultRecord:
            return record_from_data(SmsResultRecord, event.gateway_id, event.data)

        async for result in _stream(
            info,
            "sms_result",
            gateway_ids,
            lambda event: checked_filter.matches(record(event), zones[event.gateway_id]),
            lambda event, gateway: SmsResult.from_record(
                record(event), gateway, cursor=event.cursor
            ),
        ):
            yield result

    @strawberry.subscription(description="One event per delivery report the gateways push.")
    async def delivery_reports(
        self,
        info: Info[Context, None],
        gateway_ids: GatewayIds = None,
        numbers: list[str] | None = None,
    ) -> AsyncGenerator[DeliveryReport, None]:
        wanted = check_filter(numbers=numbers).numbers

        def record(event: Event) -> DeliveryReportRecord:
            return record_from_data(DeliveryReportRecord, event.gateway_id, event.data)

        async for report in _stream(
            info,
            "sms_deliver_status",
            gateway_ids,
            lambda event: wanted is None or record(event).number in wanted,
            lambda event, gateway: DeliveryReport.from_record(
                record(event), gateway, cursor=event.cursor
            ),
        ):
            yield report

    @strawberry.subscription(description="One event per SMS the gateways receive.")
    async def incoming_sms(
        self,
        info: Info[Context, None],
        gateway_ids: GatewayIds = None,
        ports: list[int] | None = None,
    ) -> AsyncGenerator[IncomingSms, None]:
        wanted = None if ports is None else frozenset(check_port(port) for port in ports)

        def record(event: Event) -> IncomingSmsRecord:
            return record_from_data(IncomingSmsRecord, event.gateway_id, event.data)

        async for message in _stream(
            info,
            "sms",
            gateway_ids,
            lambda event: wanted is None or record(event).port in wanted,
            lambda event, gateway: IncomingSms.from_record(
                record(event), gateway, cursor=event.cursor
            ),
        ):
            yield message
