"""One sent SMS as the simulated gateway remembers it.

A record never changes after creation: its status is a pure function of the clock, so tests can
move a fake clock and observe the SENDING -> SENT_OK/FAILED -> DELIVERED progression without any
background task mutating state.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

Fate = Literal["DELIVERED", "SENT_OK", "FAILED"]
Status = Literal["SENDING", "SENT_OK", "FAILED", "DELIVERED"]

FATES: tuple[Fate, ...] = ("DELIVERED", "SENT_OK", "FAILED")
MAX_NUMBER_BYTES = 24
"""The manual's limit for a phone number on the wire."""
WIRE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def local_time(epoch: float, zone: ZoneInfo) -> datetime:
    """`epoch` on the gateway's wall clock, to the second, without zone (as on the wire)."""
    return datetime.fromtimestamp(int(epoch // 1), zone).replace(tzinfo=None)


def wire_time(epoch: float, zone: ZoneInfo) -> str:
    """`epoch` as the gateway writes times: local `YYYY-MM-DD HH:MM:SS`, no zone."""
    return local_time(epoch, zone).strftime(WIRE_TIME_FORMAT)


@dataclass(frozen=True, slots=True)
class SimRecord:
    """One sent SMS; `fate` is where it ends up, the delays say when it gets there."""

    port: int
    number: str
    """As stored by the device: may carry stray white space (the manual shows `" 10086"`)."""
    user_id: int
    sent_at: float
    """Epoch seconds when the gateway started sending."""
    count: int
    """Number of segments of a concatenated SMS."""
    ref_id: int
    """TP-MR of the first segment, 0..255."""
    imsi: str
    fate: Fate
    send_delay: float
    """Seconds in SENDING before SENT_OK or FAILED."""
    delivery_delay: float
    """Seconds in SENT_OK before DELIVERED (only when fate is DELIVERED)."""
    text: str = ""
    """The text as sent (after `#param#` substitution); empty for made-up traffic."""
    status_report: bool = True
    """Whether the network sends a status report for it: asked for, and the message reached the
    network. Without one a message never becomes DELIVERED and has no delivery report."""
    task_id: int | None = None
    """The `send_sms` task it belongs to; None for made-up traffic."""

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError("count must be at least 1")
        if not 0 <= self.ref_id <= 255:
            raise ValueError("ref_id must be within 0..255")
        if self.user_id < 0:
            raise ValueError("user_id must be >= 0")
        if len(self.number.encode()) > MAX_NUMBER_BYTES:
            raise ValueError(f"number exceeds {MAX_NUMBER_BYTES} bytes")
        if self.fate not in FATES:
            raise ValueError(f"unknown fate {self.fate!r}")
        if self.send_delay < 0 or self.delivery_delay < 0:
            raise ValueError("delays must be >= 0")
        if self.fate == "DELIVERED" and not self.status_report:
            raise ValueError("a message without status report is never DELIVERED")

    def status(self, now: float) -> Status:
        """The status the device would report at `now`."""
        elapsed = now - self.sent_at
        if elapsed < self.send_delay:
            return "SENDING"
        if self.fate == "FAILED":
            return "FAILED"
        if self.fate == "DELIVERED" and elapsed >= self.send_delay + self.delivery_delay:
            return "DELIVERED"
        return "SENT_OK"

    def succ_count(self, now: float) -> int:
        """Segments sent so far: all once SENT_OK, fewer while sending, about half on failure."""
        status = self.status(now)
        if status in ("SENT_OK", "DELIVERED"):
            return self.count
        if status == "FAILED":
            return (self.count - 1) // 2
        if self.send_delay <= 0:
            return 0
        progress = max(0.0, now - self.sent_at) / self.send_delay
        return min(self.count - 1, int(self.count * progress))

    def is_final(self, now: float) -> bool:
        """True once the status can no longer change (it has reached the record's fate)."""
        return self.status(now) == self.fate

    def is_sending(self, now: float) -> bool:
        return self.status(now) == "SENDING"

    def stopped(self, at: float) -> SimRecord:
        """This record as `stop_sms` at `at` leaves it: FAILED from then on, never reported.
        Unchanged if it is no longer SENDING at `at`."""
        if not self.is_sending(at):
            return self
        return replace(
            self, fate="FAILED", send_delay=max(0.0, at - self.sent_at), status_report=False
        )

    def local_time(self, zone: ZoneInfo) -> datetime:
        """Send time on the gateway's wall clock, to the second, without zone (as on the wire)."""
        return local_time(self.sent_at, zone)

    def wire_time(self, zone: ZoneInfo) -> str:
        return wire_time(self.sent_at, zone)
