"""A `send_sms` request (§3.1): validation, `#param#` substitution and segment counting."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from .query import QueryError, port_list
from .record import MAX_NUMBER_BYTES

Encoding = Literal["unicode", "gsm-7bit"]
MAX_RECIPIENTS = 128
MAX_TEXT_BYTES = 1500
MAX_USER_ID = 2**32 - 1
PLACEHOLDER = "#param#"
_NUMBER = re.compile(r"\+?[0-9]+")

GSM7_EXTENDED = "^{}\\[~]|€\f"
"""Characters sent as escape + one septet (two septets each); characters outside the GSM
alphabet go out as "?" (one septet)."""
SEGMENT_SIZES: dict[Encoding, tuple[int, int]] = {"unicode": (70, 67), "gsm-7bit": (160, 153)}
"""Units in a single SMS, and per part of a concatenated one."""


@dataclass(frozen=True, slots=True)
class Recipient:
    number: str
    text_params: tuple[str, ...] = ()
    user_id: int = 0


@dataclass(frozen=True, slots=True)
class SendRequest:
    """A validated `send_sms` body; `ports` None lets the gateway pick any port."""

    text: str
    recipients: tuple[Recipient, ...]
    ports: tuple[int, ...] | None = None
    encoding: Encoding = "unicode"
    request_status_report: bool = True


def render(text: str, params: tuple[str, ...]) -> str:
    """`text` with each `#param#` replaced by the next parameter ("" once they run out)."""
    pieces = text.split(PLACEHOLDER)
    out = [pieces[0]]
    for index, piece in enumerate(pieces[1:]):
        out.append(params[index] if index < len(params) else "")
        out.append(piece)
    return "".join(out)


def segment_count(text: str, encoding: Encoding) -> int:
    """How many SMS the text takes: UCS-2 code units or GSM septets against the part sizes."""
    if encoding == "gsm-7bit":
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
    else:
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in text)
    single, part = SEGMENT_SIZES[encoding]
    return 1 if units <= single else math.ceil(units / part)


def _recipient(item: object) -> Recipient:
    if not isinstance(item, dict):
        raise QueryError(400, "param elements must be objects")
    number = item.get("number")
    if not isinstance(number, str) or not _NUMBER.fullmatch(number.strip()):
        raise QueryError(400, "number must be a string of digits")
    if len(number.encode()) > MAX_NUMBER_BYTES:
        raise QueryError(400, f"number longer than {MAX_NUMBER_BYTES} bytes")
    params = item.get("text_param", [])
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        raise QueryError(400, "text_param must be an array of strings")
    user_id = item.get("user_id", 0)
    if not isinstance(user_id, int) or isinstance(user_id, bool):
        raise QueryError(400, "user_id must be an integer")
    if not 0 <= user_id <= MAX_USER_ID:
        raise QueryError(400, "user_id out of range")
    return Recipient(number, tuple(params), user_id)


def parse_send_request(body: object, port_count: int) -> SendRequest:
    """Validate a `send_sms` body: 400 for a malformed one, 413 for more than 128 recipients or
    a text over 1500 UTF-8 bytes. An unknown `encoding` counts as unicode, as devices do."""
    if not isinstance(body, dict):
        raise QueryError(400, "body must be a JSON object")
    text = body.get("text")
    if not isinstance(text, str):
        raise QueryError(400, "text must be a string")
    params = body.get("param")
    if not isinstance(params, list) or not params:
        raise QueryError(400, "param must be a non-empty array")
    if len(params) > MAX_RECIPIENTS:
        raise QueryError(413, f"more than {MAX_RECIPIENTS} numbers")
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise QueryError(413, f"text over {MAX_TEXT_BYTES} bytes")
    recipients = tuple(_recipient(item) for item in params)
    ports = port_list(body, "port", port_count)
    encoding = body.get("encoding", "unicode")
    if not isinstance(encoding, str):
        raise QueryError(400, "encoding must be a string")
    report = body.get("request_status_report", True)
    if not isinstance(report, bool):
        raise QueryError(400, "request_status_report must be a boolean")
    return SendRequest(
        text=text,
        recipients=recipients,
        ports=tuple(dict.fromkeys(ports)) if ports else None,
        encoding="gsm-7bit" if encoding == "gsm-7bit" else "unicode",
        request_status_report=report,
    )
