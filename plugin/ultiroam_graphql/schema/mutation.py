"""The ``Mutation`` root: sending SMS, stopping a task, USSD, port control.

Every mutation passes :meth:`Context.allow_mutation` before anything reaches a gateway.
"""

from __future__ import annotations

from enum import Enum

import strawberry
from strawberry.types import Info

from ..batching import SmsResultKey
from ..errors import BadUserInput
from ..gateway.ussd import MAX_USSD_BYTES
from ..sending import Recipient, SendOrder, check_text, send_sms
from ..ussd import ussd_exchange
from .context import Context
from .device import UssdReply
from .filters import check_port
from .types import Gateway, Port, SmsResult


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


def _order(input: SendSmsInput) -> SendOrder:
    return SendOrder(
        text=input.text,
        recipients=tuple(
            Recipient(number=r.number, text_params=tuple(r.text_params or ()))
            for r in input.recipients
        ),
        ports=None if input.ports is None else tuple(input.ports),
        encoding=(input.encoding or SmsEncoding.UNICODE).value,
        request_status_report=input.request_status_report is not False,
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Send one text to any number of recipients.")
    async def send_sms(self, info: Info[Context, None], input: SendSmsInput) -> SendSmsPayload:
        context = info.context
        context.allow_mutation()
        client = context.gateway(input.gateway_id)
        outcome = await send_sms(client, context.outbound[client.id], _order(input))
        for error in outcome.errors:
            context.report_beside_data(error, info)
        gateway = Gateway.of(client)
        return SendSmsPayload(
            messages=[
                SentSms(
                    gateway=gateway,
                    number=message.number,
                    user_id=message.user_id,
                    task_id=message.task_id,
                    accepted=message.accepted,
                    error=message.error,
                )
                for message in outcome.messages
            ]
        )

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
        check_text(code, MAX_USSD_BYTES, "code")
        async with context.outbound[client.id].ussd_lock(port):
            reply = await ussd_exchange(
                client,
                context.broker,
                port=port,
                code=code,
                wait_seconds=client.settings.ussd_timeout,
            )
        gateway = Gateway.of(client)
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
