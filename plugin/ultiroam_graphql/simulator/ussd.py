"""USSD (§3.7, §3.8): requests per port, the network's replies a second or three later, and
the reply buffer `query_ussd_reply` reads.

Like the device, the buffer has no correlation id: a port shows its last reply until a new code
is sent on it (then " " until the new reply arrives). A request refused on a port (486, 503)
leaves that port's old reply in place, which a careless client would take for the answer.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, cast
from zoneinfo import ZoneInfo

from . import port_data
from .events import Scheduled, Timeline
from .ports import PortBank, SimCard
from .query import QueryError, port_list

UssdCommand = Literal["send", "cancel"]
USSD_COMMANDS: tuple[UssdCommand, ...] = ("send", "cancel")
MAX_USSD_BYTES = 60
NO_REPLY = " "
"""What `query_ussd_reply` shows for a port without a reply (the manual's example)."""
REPLY_DELAY: tuple[float, float] = (1.0, 3.0)
BALANCE_CODES = frozenset({"*100#"})
UNKNOWN_APPLICATION = "Unknown application"
SENT, BUSY, NOT_REGISTERED = 200, 486, 503
"""Per-port statuses of a `send_ussd` reply."""


@dataclass(frozen=True, slots=True)
class UssdRequest:
    ports: tuple[int, ...]
    command: UssdCommand = "send"
    text: str = ""


def parse_ussd_request(body: object, port_count: int) -> UssdRequest:
    """A `send_ussd` body, or QueryError 400 (`send` needs a text of at most 60 bytes)."""
    if not isinstance(body, dict):
        raise QueryError(400, "body must be a JSON object")
    ports = port_list(body, "port", port_count)
    if not ports:
        raise QueryError(400, "port is required")
    command = body.get("command", "send")
    if command not in USSD_COMMANDS:
        raise QueryError(400, "command must be send or cancel")
    text = body.get("text", "")
    if not isinstance(text, str):
        raise QueryError(400, "text must be a string")
    if command == "send" and not text.strip():
        raise QueryError(400, "send needs a text")
    if len(text.encode()) > MAX_USSD_BYTES:
        raise QueryError(400, f"text over {MAX_USSD_BYTES} bytes")
    return UssdRequest(tuple(dict.fromkeys(ports)), cast(UssdCommand, command), text)


def valid_until(day: date) -> date:
    """The end of the month after `day`: how long a prepaid balance stays valid."""
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, calendar.monthrange(year, month)[1])


def network_reply(code: str, credit: float, currency: str, today: date) -> str:
    """What the network answers to `code` on a SIM with this balance."""
    if code.strip() in BALANCE_CODES:
        until = valid_until(today).isoformat()
        return f"Your balance is {credit:.2f} {currency}. Valid until {until}."
    return UNKNOWN_APPLICATION


def answer(sim: SimCard | None, code: str, today: date) -> str:
    """The network's reply to `code` on a port with this SIM."""
    if sim is None:
        return UNKNOWN_APPLICATION
    return network_reply(code, sim.credit, port_data.currency_for(sim.imsi), today)


@dataclass(slots=True)
class _Line:
    reply: str = NO_REPLY
    pending: Scheduled | None = None


class UssdDesk:
    """Per-port USSD sessions and reply buffers."""

    def __init__(
        self,
        ports: PortBank,
        busy: Callable[[int], bool],
        timeline: Timeline,
        rng: random.Random,
        clock: Callable[[], float],
        zone: ZoneInfo,
    ) -> None:
        """`busy(port)`: an SMS is being sent on `port` right now."""
        self._ports = ports
        self._busy = busy
        self._lines = [_Line() for _ in range(len(ports))]
        self._timeline = timeline
        self._rng = rng
        self._clock = clock
        self._zone = zone

    def _now(self) -> float:
        now = self._clock()
        self._timeline.settle(now)
        return now

    def reply(self, port: int) -> str:
        """What `query_ussd_reply` shows for `port` now (" " when there is none)."""
        self._now()
        return self._lines[port].reply

    def in_flight(self, port: int) -> bool:
        """A code was sent on `port` and its reply has not arrived."""
        self._now()
        return self._lines[port].pending is not None

    def request(
        self, ports: Sequence[int], text: str = "", *, command: UssdCommand = "send"
    ) -> list[tuple[int, int]]:
        """Send (or cancel) USSD on each port; (port, status) with status 200 sent, 486 busy
        (an SMS SENDING there, or a USSD reply still awaited), 503 not registered."""
        now = self._now()
        outcome: list[tuple[int, int]] = []
        for port in ports:
            line = self._lines[port]
            if not self._ports[port].registered:
                outcome.append((port, NOT_REGISTERED))
            elif command == "cancel":
                self._cancel(line)
                outcome.append((port, SENT))
            elif line.pending is not None or self._busy(port):
                outcome.append((port, BUSY))
            else:
                self._send(port, line, text, now)
                outcome.append((port, SENT))
        return outcome

    def _send(self, port: int, line: _Line, code: str, now: float) -> None:
        """The reply buffer clears; the reply arrives (and is pushed) a little later."""
        line.reply = NO_REPLY

        def arrive(at: float) -> None:
            sim = self._ports[port].sim
            line.reply = answer(sim, code, datetime.fromtimestamp(at, self._zone).date())
            line.pending = None
            self._timeline.emit(at, "ussd", {"port": port, "text": line.reply})

        line.pending = self._timeline.schedule(now + self._rng.uniform(*REPLY_DELAY), arrive)

    @staticmethod
    def _cancel(line: _Line) -> None:
        """End the session: a reply still on its way never arrives."""
        if line.pending is not None:
            line.pending.cancel()
            line.pending = None
