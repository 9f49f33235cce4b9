"""Queued faults that replace the next API replies, so client error paths can be tested."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["error_code", "not_json", "close"]
FAULT_KINDS: tuple[FaultKind, ...] = ("error_code", "not_json", "close")


@dataclass(frozen=True, slots=True)
class Fault:
    """One pending fault.

    - ``error_code``: a 200 reply whose envelope carries `error_code` and nothing else.
    - ``not_json``: a 200 ``text/html`` page, as embedded web servers send on internal errors.
    - ``close``: an HTTP 500 with an empty body; ASGI cannot drop the connection, and raising
      would make test transports re-raise instead of showing the client a reply.
    """

    kind: FaultKind
    error_code: int = 500

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}")
