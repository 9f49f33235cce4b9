"""The send command: ``<prefix>/<gateway>/send`` in, ``<prefix>/<gateway>/send/result`` out.

The command is the API's ``SendSmsInput`` without ``gatewayId`` (the topic names the gateway),
with the same camelCase field names, plus an optional ``correlationId`` echoed in the reply.
It is checked for size and types here, then sent by :func:`..sending.send_sms`, the same code
as the ``sendSms`` mutation, with the same limits. Every outcome is a reply, never a crash.
"""

from __future__ import annotations

import json
import logging
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from ..errors import BadUserInput, UltiroamError
from ..gateway import GatewayClient
from ..outbound import Outbound
from ..sending import MAX_RECIPIENTS, Recipient, SendOrder, SendOutcome, send_sms
from .payloads import error

log = logging.getLogger(__name__)

MAX_COMMAND_BYTES = 8 * 1024
"""A command is refused unread past this: a text of 1,500 bytes and a few dozen recipients fit."""
MAX_CORRELATION_ID = 128
ENCODINGS = {"UNICODE": "unicode", "GSM7": "gsm-7bit"}


class _Command(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, alias_generator=to_camel, populate_by_name=False
    )


class RecipientCommand(_Command):
    number: Annotated[str, Field(max_length=64)]
    text_params: list[Annotated[str, Field(max_length=1500)]] | None = Field(None, max_length=32)


class SendCommand(_Command):
    """``SendSmsInput`` without ``gatewayId``, and a ``correlationId`` to tell replies apart."""

    text: str
    recipients: list[RecipientCommand] = Field(max_length=MAX_RECIPIENTS)
    ports: list[int] | None = Field(None, max_length=32)
    encoding: Literal["UNICODE", "GSM7"] | None = None
    request_status_report: bool | None = None
    correlation_id: Annotated[str, Field(max_length=MAX_CORRELATION_ID)] | int | None = None

    def order(self) -> SendOrder:
        return SendOrder(
            text=self.text,
            recipients=tuple(
                Recipient(r.number, tuple(r.text_params or ())) for r in self.recipients
            ),
            ports=None if self.ports is None else tuple(self.ports),
            encoding="gsm-7bit" if self.encoding == "GSM7" else "unicode",
            request_status_report=self.request_status_report is not False,
        )


def parse_command(payload: bytes) -> SendCommand:
    """The command, or BadUserInput saying what is wrong with it."""
    if len(payload) > MAX_COMMAND_BYTES:
        raise BadUserInput(f"the command is larger than {MAX_COMMAND_BYTES} bytes")
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError):
        raise BadUserInput("the command is not JSON (UTF-8)") from None
    if not isinstance(value, dict):
        raise BadUserInput("the command must be a JSON object, such as a SendSmsInput")
    if "gatewayId" in value:
        raise BadUserInput("gatewayId: not allowed here, the topic names the gateway")
    try:
        return SendCommand.model_validate(value)
    except ValidationError as exc:
        raise BadUserInput(_problem(exc)) from None


def correlation_id(payload: bytes) -> str | int | None:
    """The command's correlationId when one can be read, even from a command refused."""
    if len(payload) > MAX_COMMAND_BYTES:
        return None
    try:
        value = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    found = value.get("correlationId") if isinstance(value, dict) else None
    if isinstance(found, bool) or not isinstance(found, (str, int)):
        return None
    return found if not isinstance(found, str) or len(found) <= MAX_CORRELATION_ID else None


async def run_command(client: GatewayClient, outbound: Outbound, payload: bytes) -> bytes:
    """Parse and send; the reply: the ``SendSmsPayload`` as JSON, or ``{"error": ...}``."""
    reply: dict[str, Any] = {}
    correlation = correlation_id(payload)
    if correlation is not None:
        reply["correlationId"] = correlation
    try:
        command = parse_command(payload)
        outcome = await send_sms(client, outbound, command.order())
    except UltiroamError as exc:
        reply["error"] = error(str(exc), exc.extensions())
    except Exception:
        log.exception("mqtt: the send command to %s failed unexpectedly", client.id)
        reply["error"] = error("Internal server error", {"code": "INTERNAL_SERVER_ERROR"})
    else:
        reply.update(send_payload(outcome))
    return json.dumps(reply, ensure_ascii=False, separators=(",", ":")).encode()


def refusal(message: str, *, code: str = "BAD_USER_INPUT") -> bytes:
    """A reply for a command refused before it is read (retained, or too many at once)."""
    return json.dumps({"error": error(message, {"code": code})}).encode()


def send_payload(outcome: SendOutcome) -> dict[str, Any]:
    """As the API's ``SendSmsPayload``, plus the errors a GraphQL response would carry."""
    return {
        "messages": [
            {
                "number": message.number,
                "userId": message.user_id,
                "taskId": message.task_id,
                "accepted": message.accepted,
                "error": message.error,
            }
            for message in outcome.messages
        ],
        "errors": [error(str(exc), exc.extensions()) for exc in outcome.errors],
    }


def _problem(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    where = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]
    ).lstrip(".")
    kind = first["type"]
    if kind == "extra_forbidden":
        message = "unknown field"
    elif kind == "missing":
        message = "required field is missing"
    else:
        message = str(first["msg"]).replace("Input should be", "must be", 1)
    return f"{where}: {message}" if where else message
