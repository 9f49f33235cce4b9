"""Types fed by pushes beside sending results: delivery reports and received SMS."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from ..batching import SmsResultKey
from ..gateway.models import DeliveryReportRecord, IncomingSmsRecord
from .context import Context
from .types import Gateway, Port, SmsResult, from_record


@strawberry.type(description="A status report from the network for one sent message.")
class DeliveryReport:
    gateway: Gateway
    port: Port
    number: str
    time: datetime = strawberry.field(description="When the message was sent, with its offset.")
    ref_id: int = strawberry.field(description="Matches SmsResult.refId (0..255, wraps).")
    status_code: int = strawberry.field(
        description="TP-Status: 0 delivered, 32-63 temporary error, 64-255 permanent error."
    )
    delivered: bool
    imsi: str | None
    cursor: str | None = strawberry.field(default=None, description="Set on subscription events.")

    @strawberry.field(
        description=(
            "The sending result this report is about: same port, number and refId, the "
            "closest in time. Reports for many messages share calls of up to 32 numbers."
        )
    )
    async def result(self, info: Info[Context, None]) -> SmsResult | None:
        key = SmsResultKey(
            gateway_id=self.gateway.client.id,
            numbers=frozenset({self.number}),
            ports=frozenset({self.port.index}),
        )
        candidates = [
            record
            for record in await info.context.sms_results.load(key)
            if record.ref_id == self.ref_id
        ]
        if not candidates:
            return None
        best = min(candidates, key=lambda record: abs((record.time - self.time).total_seconds()))
        return SmsResult.from_record(best, self.gateway)

    @classmethod
    def from_record(
        cls, record: DeliveryReportRecord, gateway: Gateway, *, cursor: str | None = None
    ) -> DeliveryReport:
        return from_record(cls, record, gateway, cursor=cursor, delivered=record.delivered)


@strawberry.type(description="An SMS received by a gateway.")
class IncomingSms:
    gateway: Gateway
    port: Port
    id: int = strawberry.field(description="The gateway's incoming_sms_id.")
    number: str = strawberry.field(description="The sender.")
    smsc: str | None
    received_at: datetime
    text: str
    imsi: str | None
    cursor: str | None = strawberry.field(default=None, description="Set on subscription events.")

    @classmethod
    def from_record(
        cls, record: IncomingSmsRecord, gateway: Gateway, *, cursor: str | None = None
    ) -> IncomingSms:
        return from_record(cls, record, gateway, cursor=cursor)
