"""Sending SMS: one core for the ``sendSms`` mutation and the MQTT bridge's send command.

The checks (text size, recipient count and numbers, ports), user ids, the rate limit and the
split into ``send_sms`` calls of at most 128 recipients live here once, so every way in gets
the same limits. Nothing here knows GraphQL or MQTT: callers shape the outcome for their
clients.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .batching import chunked
from .errors import BadUserInput, GatewayError, GatewayUnavailable, RateLimited
from .gateway import GatewayClient, SendSmsRequest, SmsRecipient
from .gateway.models import MAX_NUMBER_BYTES
from .gateway.sending import MAX_RECIPIENTS_PER_SEND, MAX_TEXT_BYTES
from .gateway.wire import check_port
from .outbound import Outbound

MAX_RECIPIENTS = 10_000
Encoding = Literal["unicode", "gsm-7bit"]


@dataclass(frozen=True, slots=True)
class Recipient:
    """One destination as a client gives it; ``text_params`` replace ``#param#`` in order."""

    number: str
    text_params: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SendOrder:
    """One text to any number of recipients, as a client asks for it."""

    text: str
    recipients: tuple[Recipient, ...]
    ports: tuple[int, ...] | None = None
    encoding: Encoding = "unicode"
    request_status_report: bool = True


@dataclass(frozen=True, slots=True)
class SentMessage:
    """One recipient's outcome: the id to follow it by, and whether the gateway took it."""

    number: str
    user_id: int
    task_id: int | None
    accepted: bool
    error: str | None


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """Every recipient's message, and one error per ``send_sms`` call the gateway refused."""

    messages: tuple[SentMessage, ...]
    errors: tuple[GatewayError, ...]


def check_text(text: str, limit: int, what: str) -> None:
    if len(text.encode()) > limit:
        raise BadUserInput(f"{what} is longer than {limit} UTF-8 bytes")


def check_number(number: str) -> str:
    """The number trimmed; BAD_USER_INPUT when empty or longer than the gateway takes."""
    number = number.strip()
    if not number or len(number.encode()) > MAX_NUMBER_BYTES:
        raise BadUserInput(f"recipient {number[:40]!r}: 1 to {MAX_NUMBER_BYTES} bytes")
    return number


def check_ports(ports: Sequence[int] | None) -> tuple[int, ...] | None:
    if ports is None:
        return None
    return tuple(sorted({check_port(port) for port in ports}))


def check_order(order: SendOrder) -> SendOrder:
    """The order with numbers trimmed and ports sorted, or BAD_USER_INPUT before any call."""
    check_text(order.text, MAX_TEXT_BYTES, "text")
    if not 1 <= len(order.recipients) <= MAX_RECIPIENTS:
        raise BadUserInput(f"recipients: 1 to {MAX_RECIPIENTS}")
    recipients = tuple(
        Recipient(check_number(recipient.number), tuple(recipient.text_params))
        for recipient in order.recipients
    )
    return SendOrder(
        text=order.text,
        recipients=recipients,
        ports=check_ports(order.ports),
        encoding=order.encoding,
        request_status_report=order.request_status_report,
    )


async def send_sms(client: GatewayClient, outbound: Outbound, order: SendOrder) -> SendOutcome:
    """Check, take ids and rate, send in calls of at most 128; a refused call marks only its
    own recipients (``accepted: false``) and adds its error to ``errors``.

    Raises BadUserInput or RateLimited before any call; an unexpected failure propagates.
    """
    order = check_order(order)  # checked before ids are spent
    user_ids = outbound.user_ids.allocate(len(order.recipients))
    if not outbound.rate_limit.take(len(order.recipients)):
        raise RateLimited(client.id, outbound.rate_limit.per_minute)
    recipients = [
        SmsRecipient(number=r.number, user_id=user_id, text_params=r.text_params)
        for r, user_id in zip(order.recipients, user_ids, strict=True)
    ]
    requests = [
        SendSmsRequest(
            text=order.text,
            recipients=tuple(batch),
            ports=order.ports,
            encoding=order.encoding,
            request_status_report=order.request_status_report,
        )
        for batch in chunked(recipients, MAX_RECIPIENTS_PER_SEND)
    ]
    receipts = await asyncio.gather(
        *(client.send_sms(request) for request in requests), return_exceptions=True
    )
    messages: list[SentMessage] = []
    errors: list[GatewayError] = []
    for request, receipt in zip(requests, receipts, strict=True):
        if isinstance(receipt, GatewayError):
            errors.append(receipt)
            messages += [
                SentMessage(r.number, r.user_id, None, accepted=False, error=describe(receipt))
                for r in request.recipients
            ]
        elif isinstance(receipt, BaseException):
            raise receipt
        else:
            messages += [
                SentMessage(r.number, r.user_id, receipt.task_id, accepted=True, error=None)
                for r in request.recipients
            ]
    return SendOutcome(messages=tuple(messages), errors=tuple(errors))


def describe(error: GatewayError) -> str:
    """What a recipient's ``error`` says: the code, and whether it may have gone out anyway."""
    code = getattr(error, "gateway_error_code", None)
    if code is not None:
        return f"{error.code} {code}"
    if isinstance(error, GatewayUnavailable):
        return f"{error.code}: the outcome is unknown; follow its userId with smsResults"
    return error.code


__all__ = [
    "MAX_RECIPIENTS",
    "Recipient",
    "SendOrder",
    "SendOutcome",
    "SentMessage",
    "check_number",
    "check_order",
    "check_ports",
    "check_text",
    "describe",
    "send_sms",
]
