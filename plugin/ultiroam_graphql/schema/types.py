"""The core object types: gateways, their ports and SMS sending results."""

from __future__ import annotations

import asyncio
import functools
import heapq
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info

from ..batching import SmsResultKey, chunked
from ..gateway import DeliveryReportQuery, DeliveryReportRecord, GatewayClient, SmsResultRecord
from ..gateway.models import status_kind
from .context import Context
from .filters import CheckedFilter, check_filter, check_port

if TYPE_CHECKING:
    from .device import GatewayStatus, PortState
    from .reports import DeliveryReport, IncomingSms


@strawberry.enum(description="Where a message stands, as the gateway reports it.")
class SmsStatus(Enum):
    FAILED = "FAILED"
    SENDING = "SENDING"
    SENT_OK = "SENT_OK"
    DELIVERED = "DELIVERED"
    UNKNOWN = strawberry.enum_value(
        "UNKNOWN", description="A status this version does not know: see rawStatus."
    )

    @classmethod
    def from_wire(cls, raw: str) -> SmsStatus:
        # One dict look-up for the usual exact spellings; any other goes through status_kind.
        status = _STATUS_BY_WIRE.get(raw)
        return status if status is not None else cls(status_kind(raw))


_STATUS_BY_WIRE = {member.value: member for member in SmsStatus}


@strawberry.input(description="Filters of sending results; all given filters must match.")
class SmsResultFilter:
    numbers: list[str] | None = strawberry.field(
        default=None, description="Destination numbers, any count: sent in calls of at most 32."
    )
    ports: list[int] | None = strawberry.field(default=None, description="Ports, 0..31.")
    user_ids: list[int] | None = None
    time_after: datetime | None = strawberry.field(
        default=None, description="Without an offset: the gateway's own local time."
    )
    time_before: datetime | None = None
    statuses: list[SmsStatus] | None = strawberry.field(
        default=None, description="Applied by the facade; the gateway has no such filter."
    )

    def checked(self) -> CheckedFilter:
        return check_filter(
            numbers=self.numbers,
            ports=self.ports,
            user_ids=self.user_ids,
            time_after=self.time_after,
            time_before=self.time_before,
            statuses=None if self.statuses is None else [s.value for s in self.statuses],
        )


def checked(filter: SmsResultFilter | None) -> CheckedFilter:
    return filter.checked() if filter is not None else CheckedFilter()


async def load_results(info: Info[Context, None], key: SmsResultKey | None) -> list[SmsResult]:
    if key is None:
        return []
    gateway = Gateway.of(info.context.gateways[key.gateway_id])
    records = await info.context.sms_results.load(key)
    ports: dict[int, Port] = {}  # one Port per index for the whole list, as one Gateway
    build = SmsResult.from_record
    return [build(record, gateway, ports=ports) for record in records]


FilterArg = Annotated[SmsResultFilter | None, strawberry.argument(name="filter")]


@strawberry.type(description="One SMS gateway behind the facade.")
class Gateway:
    client: strawberry.Private[GatewayClient]
    # A plain attribute, not a resolver: result lists then complete without a call per result.
    id: strawberry.ID

    @classmethod
    def of(cls, client: GatewayClient) -> Gateway:
        return cls(client=client, id=strawberry.ID(client.id))

    @strawberry.field(description="Serial number, learned from the gateway's replies and pushes.")
    def sn(self) -> str | None:
        return self.client.sn

    @strawberry.field(description="How many ports the device has; ports are numbered from 0.")
    def port_count(self) -> int:
        return self.client.settings.ports

    @strawberry.field
    def ports(self) -> list[Port]:
        return [Port(gateway=self, index=index) for index in range(self.client.settings.ports)]

    @strawberry.field(description="The port with this 0-based index; null past the port count.")
    def port(self, index: int) -> Port | None:
        check_port(index)
        return Port(gateway=self, index=index) if index < self.client.settings.ports else None

    @strawberry.field(description="Messages waiting to be sent (query_sms_in_queue).")
    async def queue_length(self) -> int | None:
        return await self.client.query_sms_in_queue()

    @strawberry.field(description="CPU, memory and flash use (get_status).")
    async def status(self) -> Annotated[GatewayStatus, strawberry.lazy(DEVICE)] | None:
        from .device import GatewayStatus

        record = await self.client.get_status()
        return GatewayStatus(**{name: getattr(record, name) for name in record.__slots__})

    @strawberry.field(
        description="Delivery reports (query_sms_deliver_status); numbers, ports and times apply."
    )
    async def delivery_reports(
        self, info: Info[Context, None], filter: FilterArg = None
    ) -> list[Annotated[DeliveryReport, strawberry.lazy(REPORTS)]] | None:
        from .reports import DeliveryReport

        key = checked(filter).key(self.client)
        if key is None:
            return []
        records = await delivery_reports(self.client, key)
        return [DeliveryReport.from_record(record, self) for record in records]

    @strawberry.field(
        description=(
            "Received SMS with an id above afterId (query_incoming_sms with flag=all): "
            "reading never marks them read on the device."
        )
    )
    async def incoming_sms(
        self, after_id: int = 0, ports: list[int] | None = None
    ) -> list[Annotated[IncomingSms, strawberry.lazy(REPORTS)]] | None:
        from .reports import IncomingSms

        wanted = None if ports is None else sorted({check_port(port) for port in ports})
        page = await self.client.query_incoming_sms(after_id=max(after_id, 0), ports=wanted)
        return [IncomingSms.from_record(record, self) for record in page.messages]

    @strawberry.field(description="Sending results; null (with an error) when the gateway fails.")
    async def sms_results(
        self, info: Info[Context, None], filter: FilterArg = None
    ) -> list[SmsResult] | None:
        return await load_results(info, checked(filter).key(self.client))


@strawberry.type(description="One GSM port (SIM channel) of a gateway.")
class Port:
    gateway: Gateway
    index: int = strawberry.field(description="0-based, as on the wire.")

    @strawberry.field
    async def sms_results(
        self, info: Info[Context, None], filter: FilterArg = None
    ) -> list[SmsResult] | None:
        key = checked(filter).key(self.gateway.client, port=self.index)
        return await load_results(info, key)

    @strawberry.field(description="SIM and radio state: one get_port_info call per gateway.")
    async def state(
        self, info: Info[Context, None]
    ) -> Annotated[PortState, strawberry.lazy(DEVICE)] | None:
        from .device import PortState

        record = await info.context.port_info.load(self.gateway.client, self.index)
        return None if record is None else PortState.from_record(record)


@strawberry.type(description="The sending result of one message.")
class SmsResult:
    gateway: Gateway
    port: Port
    number: str = strawberry.field(description="Trimmed of the gateway's stray white space.")
    user_id: int | None
    time: datetime = strawberry.field(description="When the gateway sent it, with its offset.")
    status: SmsStatus
    raw_status: str = strawberry.field(description="The status exactly as the gateway spelled it.")
    count: int = strawberry.field(description="Segments the message was split into.")
    succ_count: int = strawberry.field(description="Segments sent successfully.")
    ref_id: int = strawberry.field(description="First segment's reference (0..255, wraps).")
    imsi: str | None
    cursor: str | None = strawberry.field(
        default=None, description="Set on subscription events: resume with `after`."
    )

    @classmethod
    def from_record(
        cls,
        record: SmsResultRecord,
        gateway: Gateway,
        *,
        cursor: str | None = None,
        ports: dict[int, Port] | None = None,
    ) -> SmsResult:
        """``ports`` shares one ``Port`` per index among the results of one list.

        Spelled out rather than through the generic from_record: result lists build thousands
        of these. A test pins that both give the same object.
        """
        status = record.status
        index = record.port
        port = ports.get(index) if ports is not None else None
        if port is None:
            port = Port(gateway=gateway, index=index)
            if ports is not None:
                ports[index] = port
        return cls(
            gateway=gateway,
            port=port,
            number=record.number,
            user_id=record.user_id,
            time=record.time,
            status=SmsStatus.from_wire(status),
            raw_status=status,
            count=record.count,
            succ_count=record.succ_count,
            ref_id=record.ref_id,
            imsi=record.imsi,
            cursor=cursor,
        )


T = TypeVar("T")
DEVICE = "ultiroam_graphql.schema.device"
REPORTS = "ultiroam_graphql.schema.reports"


async def delivery_reports(client: GatewayClient, key: SmsResultKey) -> list[DeliveryReportRecord]:
    """query_sms_deliver_status in calls of at most 32 numbers, merged in the gateway's order."""
    ports = tuple(sorted(key.ports)) if key.ports is not None else None
    chunks = [None] if key.numbers is None else chunked(sorted(key.numbers))
    replies = await asyncio.gather(
        *(
            client.query_sms_deliver_status(
                DeliveryReportQuery(
                    numbers=numbers,
                    ports=ports,
                    time_after=key.time_after,
                    time_before=key.time_before,
                )
            )
            for numbers in chunks
        )
    )
    return list(heapq.merge(*replies, key=lambda record: record.time))


def from_record(
    cls: type[T], record: Any, gateway: Gateway, *, cursor: str | None, **computed: Any
) -> T:
    """A GraphQL object from a gateway record: fields of the same name copied, the port linked."""
    copied_names, links_port, has_cursor = _plan(cls, type(record))
    copied = {name: getattr(record, name) for name in copied_names if name not in computed}
    if links_port:
        index = getattr(record, "port", None)
        copied["port"] = None if index is None else Port(gateway=gateway, index=index)
    if has_cursor:
        copied["cursor"] = cursor
    return cls(gateway=gateway, **copied, **computed)


@functools.cache
def _plan(cls: type, record_type: type) -> tuple[tuple[str, ...], bool, bool]:
    """The record's fields that the GraphQL type has too, but the port (linked, not copied);
    whether the type has a port and a cursor."""
    names = frozenset(field.python_name for field in cls.__strawberry_definition__.fields)  # type: ignore[attr-defined]
    copied = tuple(name for name in record_type.__slots__ if name in names and name != "port")  # type: ignore[attr-defined]
    return copied, "port" in names, "cursor" in names
