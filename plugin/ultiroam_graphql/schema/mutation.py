"""The ``Mutation`` root: sending SMS, stopping a task, USSD, port control.

Every mutation passes :meth:`Context.allow_mutation` before anything reaches a gateway.
"""

from __future__ import annotations

import asyncio
from enum import Enum

import strawberry
from strawberry.types import Info

from ..batching import SmsResultKey, chunked
from ..errors import (
    BadUserInput,
    GatewayError,
    GatewayUnavailable,
    RateLimited,
)
from ..gateway import SendSmsRequest, SmsRecipient
from ..gateway.models import MAX_NUMBER_BYTES
from ..gateway.sending import MAX_RECIPIENTS_PER_SEND, MAX_TEXT_BYTES
from ..gateway.ussd import MAX_USSD_BYTES
from ..ussd import ussd_exchange
from .context import Context
from .device import UssdReply
from .filters import check_port
from .types import Gateway, Port, SmsResult

MAX_RECIPIENTS = 10_000


@strawberry.enum
class SmsEncoding(Enum):
    UNICODE = "unicode"
    GSM7 = "gsm-7bit"


@strawberry.input
class SmsRecipientInput:
    number: str
    text_params: list[str] | None = strawberry.field(
        default=None, description="Replace #param# in the text, in order, for this recipient."
    )


@strawberry.input
class SendSmsInput:
    gateway_id: strawberry.ID
    text: str = strawberry.field(description="At most 1,500 UTF-8 bytes.")
    recipients: list[SmsRecipientInput] = strawberry.field(
        description="Any count: sent in send_sms calls of at most 128."
    )
    ports: list[int] | None = strawberry.field(default=None, description="Ports allowed to send.")
    encoding: SmsEncoding | None = SmsEncoding.UNICODE
    request_status_report: bool | None = True


@strawberry.type(description="One recipient of a sendSms, with the id to follow it by.")
class SentSms:
    gateway: strawberry.Private[Gateway]
    number: str
    user_id: int = strawberry.field(
        description="Unique per gateway: smsResults(filter: {userIds})."
    )
    task_id: int | None = strawberry.field(description="The gateway's task, for stopSms.")
    accepted: bool
    error: str | None

    @strawberry.field(description="The current sending result (calls of up to 32 ids).")
    async def result(self, info: Info[Context, None]) -> SmsResult | None:
        if not self.accepted:
            return None
        key = SmsResultKey(gateway_id=self.gateway.client.id, user_ids=frozenset({self.user_id}))
        records = await info.context.sms_results.load(key)
        return SmsResult.from_record(records[-1], self.gateway) if records else None


@strawberry.type
class SendSmsPayload:
    messages: list[SentSms]


@strawberry.enum(description="What setPortState does to a port (set_port_info).")
class PortAction(Enum):
    RESET = "reset"
    POWER_ON = "power_on"
    POWER_OFF = "power_off"
    SLOT = "slot"


def _text_bytes(text: str, limit: int, what: str) -> None:
    if len(text.encode()) > limit:
        raise BadUserInput(f"{what} is longer than {limit} UTF-8 bytes")


def _recipients(recipients: list[SmsRecipientInput], user_ids: list[int]) -> list[SmsRecipient]:
    result = []
    for recipient, user_id in zip(recipients, user_ids, strict=True):
        number = recipient.number.strip()
        if not number or len(number.encode()) > MAX_NUMBER_BYTES:
            raise BadUserInput(f"recipient {number[:40]!r}: 1 to {MAX_NUMBER_BYTES} bytes")
        params = tuple(recipient.text_params or ())
        result.append(SmsRecipient(number=number, user_id=user_id, text_params=params))
    return result


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Send one text to any number of recipients.")
    async def send_sms(self, info: Info[Context, None], input: SendSmsInput) -> SendSmsPayload:
        context = info.context
        context.allow_mutation()
        client = context.gateway(input.gateway_id)
        _text_bytes(input.text, MAX_TEXT_BYTES, "text")
        if not 1 <= len(input.recipients) <= MAX_RECIPIENTS:
            raise BadUserInput(f"recipients: 1 to {MAX_RECIPIENTS}")
        for recipient in input.recipients:  # checked before ids are spent
            _recipients([recipient], [0])
        ports = None if input.ports is None else tuple(sorted({check_port(p) for p in input.ports}))
        outbound = context.outbound[client.id]
        user_ids = outbound.user_ids.allocate(len(input.recipients))
        if not outbound.rate_limit.take(len(input.recipients)):
            raise RateLimited(client.id, outbound.rate_limit.per_minute)
        recipients = _recipients(input.recipients, user_ids)
        requests = [
            SendSmsRequest(
                text=input.text,
                recipients=batch,
                ports=ports,
                encoding=(input.encoding or SmsEncoding.UNICODE).value,
                request_status_report=input.request_status_report is not False,
            )
            for batch in chunked(recipients, MAX_RECIPIENTS_PER_SEND)
        ]
        receipts = await asyncio.gather(
            *(client.send_sms(request) for request in requests), return_exceptions=True
        )
        gateway = Gateway(client=client)
        messages = []
        for request, receipt in zip(requests, receipts, strict=True):
            if isinstance(receipt, GatewayError):
                context.report_beside_data(receipt, info)
            elif isinstance(receipt, BaseException):
                raise receipt
            for recipient in request.recipients:
                failed = isinstance(receipt, GatewayError)
                messages.append(
                    SentSms(
                        gateway=gateway,
                        number=recipient.number,
                        user_id=recipient.user_id,
                        task_id=None if failed else receipt.task_id,  # type: ignore[union-attr]
                        accepted=not failed,
                        error=_describe(receipt) if failed else None,  # type: ignore[arg-type]
                    )
                )
        return SendSmsPayload(messages=messages)

    @strawberry.mutation(description="Stop a sending task; an unknown task is GATEWAY_REJECTED.")
    async def stop_sms(
        self, info: Info[Context, None], gateway_id: strawberry.ID, task_id: int
    ) -> bool:
        info.context.allow_mutation()
        await info.context.gateway(gateway_id).stop_sms(task_id)
        return True

    @strawberry.mutation(
        description=(
            "Send a USSD code on a port and wait for the network's reply to this code. "
            "A port that is busy (486) or not registered (503) is GATEWAY_REJECTED."
        )
    )
    async def send_ussd(
        self, info: Info[Context, None], gateway_id: strawberry.ID, port: int, code: str
    ) -> UssdReply:
        context = info.context
        context.allow_mutation()
        client = context.gateway(gateway_id)
        check_port(port)
        code = code.strip()
        if not code:
            raise BadUserInput("code is empty")
        _text_bytes(code, MAX_USSD_BYTES, "code")
        async with context.outbound[client.id].ussd_lock(port):
            reply = await ussd_exchange(
                client,
                context.broker,
                port=port,
                code=code,
                wait_seconds=client.settings.ussd_timeout,
            )
        gateway = Gateway(client=client)
        return UssdReply(gateway=gateway, port=Port(gateway=gateway, index=port), text=reply.text)

    @strawberry.mutation(
        description="Reset a port's radio, power it on or off, or pick its SIM slot."
    )
    async def set_port_state(
        self,
        info: Info[Context, None],
        gateway_id: strawberry.ID,
        port: int,
        action: PortAction,
        slot: int | None = None,
    ) -> bool:
        info.context.allow_mutation()
        client = info.context.gateway(gateway_id)
        check_port(port)
        if action is PortAction.SLOT:
            if slot is None or not 0 <= slot <= 3:
                raise BadUserInput("slot: 0 to 3 with action SLOT")
            await client.set_port_info(port=port, action="slot", param=str(slot))
        elif action is PortAction.RESET:
            await client.set_port_info(port=port, action="reset")
        else:
            state = "on" if action is PortAction.POWER_ON else "off"
            await client.set_port_info(port=port, action="power", param=state)
        return True


def _describe(error: GatewayError) -> str:
    """What a recipient's ``error`` says: the code, and whether it may have gone out anyway."""
    code = getattr(error, "gateway_error_code", None)
    if code is not None:
        return f"{error.code} {code}"
    if isinstance(error, GatewayUnavailable):
        return f"{error.code}: the outcome is unknown; follow its userId with smsResults"
    return error.code
