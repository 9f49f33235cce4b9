"""The simulated device's data and its JSON replies, independent of HTTP."""

from __future__ import annotations

import bisect
import collections
import random
import time
import zlib
from collections.abc import Callable, Mapping
from zoneinfo import ZoneInfo

from . import fake_data
from .faults import Fault, FaultKind
from .inbox import Inbox, IncomingRecord, parse_incoming_query
from .query import MAX_PORTS, QueryError, parse_result_filter
from .record import Fate, SimRecord, wire_time

HISTORY_SECONDS = 3600.0
"""The initial records are spread over this many seconds before the creation time."""
MAX_RECORDS = 100_000
"""Oldest records are forgotten past this, so long-running live traffic stays bounded."""
PERMANENT_FAILURE_CODES: tuple[int, ...] = (64, 65, 66, 67, 69, 70, 71, 72, 73, 96, 97, 98, 101)
"""TP-Status values (3GPP TS 23.040) a network reports for a message it gave up on."""
INCOMING_CHANCE = 0.25
"""Share of traffic bursts that also bring one received SMS."""

ResultListener = Callable[[SimRecord], None]


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
        self.seed = seed
        self.port_count = ports
        self.zone = ZoneInfo(timezone)
        self.clock = clock
        self.calls: collections.Counter[str] = collections.Counter()
        self.auth_failures = 0
        self.pushes_sent = 0
        """Pushes the receiver answered with a 2xx."""
        self.pushes_failed = 0
        """Pushes lost to a connection error, a timeout or a non-2xx answer (never retried)."""
        self._rng = random.Random(seed)
        # Received SMS draw from their own RNG, so a seed's sent records stay what they were.
        self._inbox_rng = random.Random(f"inbox-{seed}")
        self._inbox = Inbox()
        self._result_listeners: list[ResultListener] = []
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
        for listener in tuple(self._result_listeners):
            listener(record)
        return record

    def subscribe_results(self, listener: ResultListener) -> Callable[[], None]:
        """Call `listener` with every record added from now on; returns the unsubscribe."""
        self._result_listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._result_listeners:
                self._result_listeners.remove(listener)

        return unsubscribe

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

    # -- received SMS -------------------------------------------------------------------------

    @property
    def incoming(self) -> tuple[IncomingRecord, ...]:
        """The inbox, oldest first (ascending incoming_sms_id)."""
        return self._inbox.messages

    @property
    def last_incoming_id(self) -> int:
        """The latest incoming_sms_id handed out, 0 before the first received SMS."""
        return self._inbox.last_id

    def incoming_since(self, incoming_sms_id: int) -> list[IncomingRecord]:
        """Received SMS with an id greater than `incoming_sms_id`; does not mark them read."""
        return self._inbox.since(incoming_sms_id)

    def is_read(self, incoming_sms_id: int) -> bool:
        return self._inbox.is_read(incoming_sms_id)

    def add_incoming_sms(
        self,
        *,
        port: int,
        number: str,
        text: str,
        smsc: str | None = None,
        received_at: float | None = None,
    ) -> IncomingRecord:
        """Store one received SMS (unread). A missing smsc is the port's network's SMSC, a
        missing time is now; the IMSI is the receiving port's, as stored."""
        if not 0 <= port < self.port_count:
            raise ValueError(f"port must be within 0..{self.port_count - 1}")
        imsi = self._imsis[port]
        return self._inbox.add(
            port=port,
            number=number,
            smsc=fake_data.smsc_for(imsi) if smsc is None else smsc,
            text=text,
            received_at=self.clock() if received_at is None else received_at,
            imsi=imsi,
        )

    def add_random_incoming(self) -> IncomingRecord:
        """One received SMS, now, on a random port from a plausible sender (seeded)."""
        rng = self._inbox_rng
        return self.add_incoming_sms(
            port=rng.randrange(self.port_count),
            number=fake_data.random_sender(rng, self._numbers),
            text=fake_data.random_incoming_text(rng),
        )

    def maybe_add_random_incoming(self, chance: float = INCOMING_CHANCE) -> IncomingRecord | None:
        """With probability `chance`, one random received SMS (what live traffic calls)."""
        if self._inbox_rng.random() < chance:
            return self.add_random_incoming()
        return None

    # -- replies ------------------------------------------------------------------------------

    def envelope(self, error_code: int, **fields: object) -> dict[str, object]:
        """The reply wrapper; old firmware (sn None) leaves out "sn"."""
        reply: dict[str, object] = {"error_code": error_code}
        if self.sn is not None:
            reply["sn"] = self.sn
        reply.update(fields)
        return reply

    def wire_result(self, record: SimRecord, now: float | None = None) -> dict[str, object]:
        """One record as the device would send it at `now` (default: the clock)."""
        now = self.clock() if now is None else now
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

    def failure_report_code(self, record: SimRecord) -> int | None:
        """For a record whose fate is FAILED, the permanent-failure TP-Status the network
        reports for it, or None for the (about half) that never get a report. A pure function
        of the record, so every view of the device agrees on it."""
        if record.fate != "FAILED":
            return None
        key = f"{record.port}|{record.number}|{record.sent_at!r}|{record.ref_id}"
        digest = zlib.crc32(key.encode())
        if digest % 2:
            return None
        return PERMANENT_FAILURE_CODES[(digest // 2) % len(PERMANENT_FAILURE_CODES)]

    def wire_deliver_status(
        self, record: SimRecord, now: float | None = None
    ) -> dict[str, object] | None:
        """The §3.3 delivery report the device holds for `record` at `now`: status_code 0 once
        DELIVERED, a permanent-failure code for some FAILED ones, otherwise None."""
        now = self.clock() if now is None else now
        status = record.status(now)
        if status == "DELIVERED":
            status_code = 0
        elif status == "FAILED" and (code := self.failure_report_code(record)) is not None:
            status_code = code
        else:
            return None
        return {
            "port": record.port,
            "number": record.number,
            "time": record.wire_time(self.zone),
            "ref_id": record.ref_id,
            "status_code": status_code,
            "imsi": record.imsi,
        }

    def wire_incoming(self, message: IncomingRecord, *, imsi: bool = False) -> dict[str, object]:
        """One received SMS as §3.4 lists it; pushes (`imsi=True`) also carry the IMSI."""
        item: dict[str, object] = {
            "incoming_sms_id": message.incoming_sms_id,
            "port": message.port,
            "number": message.number,
            "smsc": message.smsc,
            "timestamp": wire_time(message.received_at, self.zone),
            "text": message.text,
        }
        if imsi:
            item["imsi"] = message.imsi
        return item

    def query_incoming_sms(self, params: Mapping[str, str]) -> dict[str, object]:
        """The reply to `query_incoming_sms` GET parameters; `flag=unread` marks read."""
        try:
            query = parse_incoming_query(params, self.port_count)
        except QueryError as exc:
            return self.envelope(exc.error_code)
        sms = [self.wire_incoming(m) for m in self._inbox.take(query)]
        return self.envelope(
            200, sms=sms, read=self._inbox.read_count, unread=self._inbox.unread_count
        )

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
