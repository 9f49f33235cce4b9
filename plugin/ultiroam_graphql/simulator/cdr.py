"""Call detail records (§3.11): the calls the ports carried, `get_cdr` filters, made-up calls."""

from __future__ import annotations

import collections
import random
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from .events import Timeline
from .query import QueryError, port_list, time_field
from .record import local_time, wire_time

CODECS: tuple[str, ...] = ("G.711U", "G.711A", "G.723.1", "G.729AB")
DIRECTIONS: tuple[str, ...] = ("gsm->ip", "ip->gsm", "callback")
HANGUPS: tuple[str, ...] = ("called", "calling", "gateway")
ANSWERED_CODES: tuple[int, ...] = (16, 16, 16, 31)
"""GSM causes of answered calls: mostly 16 (normal clearing)."""
UNANSWERED_CODES: tuple[int, ...] = (17, 18, 19, 21)
"""Busy, no response, no answer, rejected."""
ANSWER_SHARE = 0.7
SIP_PEERS: tuple[str, ...] = ("192.168.11.20", "192.168.11.21", "10.0.0.5")
MAX_CALLS = 10_000


@dataclass(frozen=True, slots=True)
class CallRecord:
    port: int
    started_at: float
    answered_at: float | None
    """None for a call nobody answered."""
    duration: int
    """Seconds from answer to hang-up, 0 when unanswered."""
    source_number: str
    destination_number: str
    direction: str
    ip: str
    """Source IP of ip->gsm calls, "" otherwise."""
    codec: str
    hangup: str
    gsm_code: int
    bcch: str

    @property
    def answered(self) -> bool:
        return self.answered_at is not None

    @property
    def ended_at(self) -> float:
        return self.started_at if self.answered_at is None else self.answered_at + self.duration

    def wire(self, zone: ZoneInfo) -> dict[str, object]:
        """As `get_cdr` and the `cdr` push list it."""
        return {
            "port": self.port,
            "start_date": wire_time(self.started_at, zone),
            "answer_date": "" if self.answered_at is None else wire_time(self.answered_at, zone),
            "duration": self.duration,
            "source_number": self.source_number,
            "destination_number": self.destination_number,
            "direction": self.direction,
            "ip": self.ip,
            "codec": self.codec,
            "hangup": self.hangup,
            "gsm_code": self.gsm_code,
            "bcch": self.bcch,
        }


def random_call(
    rng: random.Random, *, port: int, own_number: str, peer: str, ended_at: float
) -> CallRecord:
    """A call on `port` with `peer` that ended at `ended_at`."""
    direction = rng.choices(DIRECTIONS, weights=(0.55, 0.4, 0.05))[0]
    answered = rng.random() < ANSWER_SHARE
    duration = rng.randint(5, 420) if answered else 0
    ring = rng.uniform(2, 25)
    answered_at = ended_at - duration if answered else None
    started_at = (answered_at if answered_at is not None else ended_at) - ring
    extension = str(rng.randint(100, 130))
    source, destination = (peer, own_number or extension)
    if direction != "gsm->ip":
        source, destination = (extension, peer)
    return CallRecord(
        port=port,
        started_at=started_at,
        answered_at=answered_at,
        duration=duration,
        source_number=source,
        destination_number=destination,
        direction=direction,
        ip=rng.choice(SIP_PEERS) if direction == "ip->gsm" else "",
        codec=rng.choice(CODECS),
        hangup=rng.choice(HANGUPS),
        gsm_code=rng.choice(ANSWERED_CODES if answered else UNANSWERED_CODES),
        bcch=str(rng.randint(1, 124)) if rng.random() < 0.8 else "",
    )


@dataclass(frozen=True, slots=True)
class CdrFilter:
    ports: frozenset[int] | None = None
    time_after: datetime | None = None
    time_before: datetime | None = None

    def matches(self, call: CallRecord, zone: ZoneInfo) -> bool:
        """Ports, and the start time strictly between the bounds (gateway-local)."""
        if self.ports is not None and call.port not in self.ports:
            return False
        start = local_time(call.started_at, zone)
        if self.time_after is not None and not start > self.time_after:
            return False
        return self.time_before is None or start < self.time_before


def parse_cdr_filter(body: object, port_count: int) -> CdrFilter:
    """A `get_cdr` body (all optional), or QueryError 400."""
    if not isinstance(body, dict):
        raise QueryError(400, "body must be a JSON object")
    ports = port_list(body, "port", port_count)
    return CdrFilter(
        ports=frozenset(ports) if ports else None,
        time_after=time_field(body, "time_after"),
        time_before=time_field(body, "time_before"),
    )


class CallLog:
    """The device's CDR store, in the order calls ended, bounded."""

    def __init__(self, timeline: Timeline, zone: ZoneInfo, max_calls: int = MAX_CALLS) -> None:
        self._timeline = timeline
        self._zone = zone
        self._calls: collections.deque[CallRecord] = collections.deque(maxlen=max_calls)

    @property
    def calls(self) -> tuple[CallRecord, ...]:
        return tuple(self._calls)

    def add(self, call: CallRecord, *, event: bool = True) -> None:
        """Store a finished call; an answered one is also a `cdr` event (pushed) at its end,
        unless `event` is False (history from before the device started)."""
        self._calls.append(call)
        if event and call.answered:
            self._timeline.emit(call.ended_at, "cdr", call.wire(self._zone))

    def matching(self, wanted: CdrFilter, zone: ZoneInfo) -> list[CallRecord]:
        return [c for c in self._calls if wanted.matches(c, zone)]
