"""Sending: the ``send_sms`` request, checked before it reaches the wire, and its receipt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .wire import MAX_NUMBER_BYTES, optional_int

MAX_RECIPIENTS_PER_SEND = 128
MAX_TEXT_BYTES = 1500
SMS_ENCODINGS = ("unicode", "gsm-7bit")


@dataclass(frozen=True, slots=True)
class SmsRecipient:
    """One destination of a ``send_sms`` call; ``text_params`` replace ``#param#`` in order."""

    number: str
    user_id: int
    text_params: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SendSmsRequest:
    """One ``send_sms`` call: one text to at most 128 recipients."""

    text: str
    recipients: tuple[SmsRecipient, ...]
    ports: tuple[int, ...] | None = None
    encoding: Literal["unicode", "gsm-7bit"] = "unicode"
    request_status_report: bool = True

    def body(self) -> dict[str, Any]:
        """The request body exactly as the manual gives it; ValueError for what the device refuses.

        The device answers 413 past 128 recipients or 1500 bytes of text, and silently sends an
        unknown encoding as unicode; neither is let through.
        """
        if not self.recipients:
            raise ValueError("send_sms needs at least one recipient")
        if len(self.recipients) > MAX_RECIPIENTS_PER_SEND:
            raise ValueError(f"at most {MAX_RECIPIENTS_PER_SEND} recipients per send_sms call")
        if len(self.text.encode()) > MAX_TEXT_BYTES:
            raise ValueError(f"the text is longer than {MAX_TEXT_BYTES} UTF-8 bytes")
        if self.encoding not in SMS_ENCODINGS:
            raise ValueError(f"encoding must be one of {', '.join(SMS_ENCODINGS)}")
        for recipient in self.recipients:
            if len(recipient.number.encode()) > MAX_NUMBER_BYTES:
                raise ValueError(f"number {recipient.number!r} is longer than 24 bytes")
            if recipient.user_id < 0:
                raise ValueError(f"user_id {recipient.user_id} is negative")
        body: dict[str, Any] = {
            "text": self.text,
            "param": [
                {
                    "number": recipient.number,
                    "text_param": list(recipient.text_params),
                    "user_id": recipient.user_id,
                }
                for recipient in self.recipients
            ],
        }
        if self.ports is not None:
            body["port"] = list(self.ports)
        body["encoding"] = self.encoding
        body["request_status_report"] = self.request_status_report
        return body


@dataclass(frozen=True, slots=True)
class SendSmsReceipt:
    """What ``send_sms`` answers: the task (for ``stop_sms``) and the queue length."""

    task_id: int | None
    sms_in_queue: int | None


def parse_send_receipt(reply: Mapping[str, Any]) -> SendSmsReceipt:
    return SendSmsReceipt(
        task_id=optional_int(reply.get("task_id"), "task_id"),
        sms_in_queue=optional_int(reply.get("sms_in_queue"), "sms_in_queue"),
    )
