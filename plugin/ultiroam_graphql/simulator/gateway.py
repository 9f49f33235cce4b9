"""The simulated device's data and its JSON replies, independent of HTTP."""

from __future__ import annotations

import bisect
import collections
import random
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo

from . import fake_data
from .faults import Fault, FaultKind
from .query import MAX_PORTS, QueryError, parse_result_filter
from .record import Fate, SimRecord

HISTORY_SECONDS = 3600.0
"""The initial records are spread over this many seconds before the creation time."""
MAX_RECORDS = 100_000
"""Oldest records are forgotten past this, so long-running live traffic stays bounded."""


class SimulatedGateway:
    """The device's data: ports and their SMS sending results, whose status moves on over time."""

    def __init__(
        self,
        *,
        ports: int = 32,
        timezone: str = "UTC",
        seed: int = 0,
        sn: str | None = "da00-0030-1901-2817",
        initial_results: int = 120,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 1 <= ports <= MAX_PORTS:
            raise ValueError(f"ports must be within 1..{MAX_PORTS}")
        self.sn = sn
        self.port_count = ports
        self.zone = ZoneInfo(timezone)
        self.clock = clock
        self.calls: collections.Counter[str] = collections.Counter()
        self.auth_failures = 0
        self._rng = random.Random(seed)
        self._imsis = fake_data.port_imsis(self._rng, ports)
        self._next_ref = [self._rng.randrange(256) for _ in range(ports)]
        self._numbers = fake_data.number_pool(self._rng)
        self._user_ids = fake_data.UserIds(self._rng)
        self._records: list[SimRecord] = []
        self._faults: collections.deque[Fault] = collections.deque()
        now = clock()
        times = sorted(now - self._rng.uniform(0, HISTORY_SECONDS) for _ in range(initial_results))
        for sent_at in times:
            self._add_random(sent_at)

    # -- data ---------------------------------------------------------------------------------

    @property
    def records(self) -> tuple[SimRecord, ...]:
        """All remembered records in ascending send time (the device's order)."""
        return tuple(self._records)

    def imsi(self, port: int) -> str:
        return self._imsis[port]

    def add_result(
        self,
        *,
        port: int,
        number: str,
        user_id: int | None = None,
        count: int = 1,
        fate: Fate = "DELIVERED",
        sent_at: float | None = None,
        ref_id: int | None = None,
        send_delay: float | None = None,
        delivery_delay: float | None = None,
    ) -> SimRecord:
        """Record one sent SMS. A missing user_id is stored as 0 (what the device echoes), a
        missing ref_id continues the port's 8-bit counter, missing delays are drawn at random."""
        if not 0 <= port < self.port_count:
            raise ValueError(f"port must be within 0..{self.port_count - 1}")
        record = SimRecord(
            port=port,
            number=number,
            user_id=0 if user_id is None else user_id,
            sent_at=self.clock() if sent_at is None else sent_at,
            count=count,
            ref_id=self._next_ref[port] if ref_id is None else ref_id,
            imsi=self._imsis[port],
            fate=fate,
            send_delay=(
                self._rng.uniform(*fake_data.SEND_DELAY) if send_delay is None else send_delay
            ),
            delivery_delay=(
                self._rng.uniform(*fake_data.DELIVERY_DELAY)
                if delivery_delay is None
                else delivery_delay
            ),
        )
        self._next_ref[port] = (record.ref_id + record.count) % 256
        bisect.insort_right(self._records, record, key=lambda r: r.sent_at)
        if len(self._records) > MAX_RECORDS:
            del self._records[: len(self._records) - MAX_RECORDS]
        return record

    def add_random_results(self, n: int) -> list[SimRecord]:
        """Add `n` messages sent now, with realistic random content (seeded)."""
        now = self.clock()
        return [self._add_random(now) for _ in range(n)]

    def add_random_burst(self, max_size: int = 3) -> list[SimRecord]:
        """Add 1..max_size random messages sent now (the seeded RNG picks how many)."""
        return self.add_random_results(self._rng.randint(1, max_size))

    def _add_random(self, sent_at: float) -> SimRecord:
        rng = self._rng
        return self.add_result(
            port=rng.randrange(self.port_count),
            number=rng.choice(self._numbers),
            user_id=self._user_ids.next(),
            count=fake_data.random_count(rng),
            fate=fake_data.random_fate(rng),
            sent_at=sent_at,
        )

    # -- replies ------------------------------------------------------------------------------

    def envelope(self, error_code: int, **fields: object) -> dict[str, object]:
        """The reply wrapper; old firmware (sn None) leaves out "sn"."""
        reply: dict[str, object] = {"error_code": error_code}
        if self.sn is not None:
            reply["sn"] = self.sn
        reply.update(fields)
        return reply

    def wire_result(self, record: SimRecord) -> dict[str, object]:
        """One record as the device would send it now."""
        now = self.clock()
        return {
            "port": record.port,
            "user_id": record.user_id,
            "number": record.number,
            "time": record.wire_time(self.zone),
            "status": record.status(now),
            "count": record.count,
            "succ_count": record.succ_count(now),
            "ref_id": record.ref_id,
            "imsi": record.imsi,
        }

    def query_sms_result(self, body: object) -> dict[str, object]:
        """The full reply to a `query_sms_result` request body, validation included."""
        try:
            wanted = parse_result_filter(body, self.port_count)
        except QueryError as exc:
            return self.envelope(exc.error_code)
        result = [self.wire_result(r) for r in self._records if wanted.matches(r, self.zone)]
        return self.envelope(200, result=result)

    def query_sms_in_queue(self) -> dict[str, object]:
        """The reply to `query_sms_in_queue`: how many messages are still SENDING."""
        now = self.clock()
        in_queue = sum(1 for r in self._records if r.status(now) == "SENDING")
        return self.envelope(200, in_queue=in_queue)

    # -- fault injection ----------------------------------------------------------------------

    def inject_fault(self, kind: FaultKind, *, error_code: int = 500, times: int = 1) -> None:
        """Make the next `times` authenticated API requests fail in the given way."""
        fault = Fault(kind, error_code)
        self._faults.extend([fault] * times)

    def take_fault(self) -> Fault | None:
        """The fault for the current request, if one is pending."""
        return self._faults.popleft() if self._faults else None
