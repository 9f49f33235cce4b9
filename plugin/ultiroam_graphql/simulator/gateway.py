"""The simulated device's data and its JSON replies, independent of HTTP.

The gateway owns the state; the areas beyond sent records and the inbox live in their own
modules and are reached through it: `ports` (port and SIM state, `set_port_info` actions),
`ussd` (USSD replies), `call_log` (CDRs), the send dispatcher (tasks), and `timeline`, which
makes scheduled changes happen and logs the events the push loop sends.
"""

from __future__ import annotations

import bisect
import collections
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from zoneinfo import ZoneInfo

from . import fake_data, port_data, status, wire
from .cdr import CallLog, CallRecord, random_call
from .dispatch import Dispatcher, SendTask
from .events import DeviceEvent, Timeline
from .faults import Fault, FaultKind
from .inbox import Inbox, IncomingRecord, parse_incoming_query
from .ports import PortBank
from .query import MAX_PORTS, QueryError, parse_result_filter
from .record import Fate, SimRecord
from .send_request import SendRequest
from .ussd import UssdCommand, UssdDesk
from .wire import PERMANENT_FAILURE_CODES as PERMANENT_FAILURE_CODES

HISTORY_SECONDS = 3600.0
"""The initial records are spread over this many seconds before the creation time."""
MAX_RECORDS = 100_000
"""Oldest records are forgotten past this, so long-running live traffic stays bounded."""
INCOMING_CHANCE = 0.25
"""Share of traffic bursts that also bring one received SMS."""
FLAP_CHANCE = 0.03
"""Share of traffic ticks in which a registered port drops off the network for a few seconds."""
CALL_CHANCE = 0.08
"""Share of traffic ticks in which a port finishes a call (answered ones are pushed as `cdr`)."""
EXCEPTION_CHANCE = 0.01
"""Share of traffic ticks with an `exception_info` (a failed call makes the port reset)."""
INITIAL_CALLS = 6

ResultListener = Callable[[SimRecord], None]
ReplaceListener = Callable[[SimRecord, SimRecord], None]


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
        initial_calls: int = INITIAL_CALLS,
        clock: Callable[[], float] = time.time,
        ip: str = port_data.DEFAULT_IP,
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
        # Each area draws from its own RNG, so one area's use leaves the others' data alone.
        self.timeline = Timeline()
        self.ports = PortBank(self._imsis, random.Random(f"ports-{seed}"), self.timeline, clock)
        self.ussd = UssdDesk(
            self.ports,
            self.port_busy,
            self.timeline,
            random.Random(f"ussd-{seed}"),
            clock,
            self.zone,
        )
        self.call_log = CallLog(self.timeline, self.zone)
        self._replace_listeners: list[ReplaceListener] = []
        self._dispatcher = Dispatcher(
            ports, random.Random(f"send-{seed}"), self.add_result, self._replace_record
        )
        self._device_rng = random.Random(f"device-{seed}")
        self._call_rng = random.Random(f"calls-{seed}")
        self.ip = ip
        self.mac = port_data.random_mac(random.Random(f"mac-{seed}"))
        now = clock()
        times = sorted(now - self._rng.uniform(0, HISTORY_SECONDS) for _ in range(initial_results))
        for sent_at in times:
            self._add_random(sent_at)
        ends = sorted(
            now - self._call_rng.uniform(0, HISTORY_SECONDS) for _ in range(initial_calls)
        )
        for ended_at in ends:
            self.call_log.add(self._random_call(ended_at), event=False)

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
        text: str = "",
        status_report: bool = True,
        task_id: int | None = None,
    ) -> SimRecord:
        """Record one sent SMS. A missing user_id is stored as 0 (what the device echoes), a
        missing ref_id continues the port's 8-bit counter, missing delays are drawn at random.
        Without `status_report` a message never becomes DELIVERED (fate SENT_OK or FAILED)."""
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
            text=text,
            status_report=status_report,
            task_id=task_id,
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
        return _subscribe(self._result_listeners, listener)

    def subscribe_replacements(self, listener: ReplaceListener) -> Callable[[], None]:
        """Call `listener(old, new)` whenever a stored record is replaced (`stop_sms` fails
        messages still SENDING); returns the unsubscribe."""
        return _subscribe(self._replace_listeners, listener)

    def _replace_record(self, old: SimRecord, new: SimRecord) -> None:
        start = bisect.bisect_left(self._records, old.sent_at, key=lambda r: r.sent_at)
        for index in range(start, len(self._records)):
            if self._records[index] is old:
                self._records[index] = new
                break
        for listener in tuple(self._replace_listeners):
            listener(old, new)

    def add_random_results(self, n: int) -> list[SimRecord]:
        """Add `n` messages sent now, with realistic random content (seeded)."""
        now = self.clock()
        return [self._add_random(now) for _ in range(n)]

    def add_random_burst(self, max_size: int = 3) -> list[SimRecord]:
        """Add 1..max_size random messages sent now (the seeded RNG picks how many)."""
        return self.add_random_results(self._rng.randint(1, max_size))

    def _usable_port(self, port: int) -> int:
        """`port` if it is registered, else the next registered one (made-up traffic only uses
        ports that could carry it; no RNG draw, so a seed's data barely moves)."""
        for step in range(self.port_count):
            candidate = (port + step) % self.port_count
            if self.ports[candidate].registered:
                return candidate
        return port

    def _add_random(self, sent_at: float) -> SimRecord:
        rng = self._rng
        self.settle()
        return self.add_result(
            port=self._usable_port(rng.randrange(self.port_count)),
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
        self.settle()
        return self.add_incoming_sms(
            port=self._usable_port(rng.randrange(self.port_count)),
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
        return wire.wire_result(record, self.zone, self.clock() if now is None else now)

    def failure_report_code(self, record: SimRecord) -> int | None:
        """The permanent-failure TP-Status reported for a FAILED record, or None."""
        return wire.failure_report_code(record)

    def wire_deliver_status(
        self, record: SimRecord, now: float | None = None
    ) -> dict[str, object] | None:
        """The delivery report the device holds for `record` at `now`, or None."""
        return wire.wire_deliver_status(record, self.zone, self.clock() if now is None else now)

    def wire_incoming(self, message: IncomingRecord, *, imsi: bool = False) -> dict[str, object]:
        """One received SMS as §3.4 lists it; pushes (`imsi=True`) also carry the IMSI."""
        return wire.wire_incoming(message, self.zone, imsi=imsi)

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

    def query_sms_deliver_status(self, body: object) -> dict[str, object]:
        """The reply to a `query_sms_deliver_status` body (§3.3): the filters of
        `query_sms_result` except `user_id`, which this one does not have."""
        try:
            wanted = replace(parse_result_filter(body, self.port_count), user_ids=None)
        except QueryError as exc:
            return self.envelope(exc.error_code)
        now = self.clock()
        reports = (self.wire_deliver_status(r, now) for r in self._records)
        result = [
            report
            for record, report in zip(self._records, reports, strict=True)
            if report is not None and wanted.matches(record, self.zone)
        ]
        return self.envelope(200, result=result)

    def sms_in_queue(self, now: float | None = None) -> int:
        """How many messages are still SENDING."""
        now = self.clock() if now is None else now
        return sum(1 for r in self._records if r.is_sending(now))

    def query_sms_in_queue(self) -> dict[str, object]:
        """The reply to `query_sms_in_queue`: how many messages are still SENDING."""
        return self.envelope(200, in_queue=self.sms_in_queue())

    # -- ports, sending tasks, USSD, calls: the areas beyond SMS records ------------------------

    def settle(self, now: float | None = None) -> None:
        """Let scheduled changes (re-registrations, USSD replies) happen up to `now` (default:
        the clock). Views of port and USSD state settle by themselves."""
        self.timeline.settle(self.clock() if now is None else now)

    @property
    def last_event_seq(self) -> int:
        """The sequence number of the latest device event (0 before the first)."""
        return self.timeline.last_seq

    def events_since(self, seq: int, now: float | None = None) -> list[DeviceEvent]:
        """Device events (ussd, register, cdr, exception_info) after `seq`, up to `now`."""
        self.settle(now)
        return self.timeline.since(seq)

    def port_busy(self, port: int) -> bool:
        """An SMS is SENDING on `port` right now."""
        now = self.clock()
        return any(r.port == port and r.is_sending(now) for r in self._records)

    def send_sms(self, request: SendRequest) -> SendTask:
        """Queue a `send_sms` request as a task; QueryError 550 when no asked port is usable."""
        if request.ports is not None and any(not 0 <= p < self.port_count for p in request.ports):
            raise ValueError(f"ports must be within 0..{self.port_count - 1}")
        usable = self.ports.registered(request.ports)
        if not usable:
            raise QueryError(550, "no port available for sending")
        return self._dispatcher.send(request, usable, self.clock())

    def stop_sms(self, task_id: int) -> bool:
        """Fail the task's messages still SENDING; False if the task is unknown or finished."""
        return self._dispatcher.stop(task_id, self.clock())

    def task(self, task_id: int) -> SendTask | None:
        return self._dispatcher.task(task_id)

    def send_ussd(
        self, ports: Sequence[int], text: str = "", *, command: UssdCommand = "send"
    ) -> list[tuple[int, int]]:
        """`send_ussd` on each port: (port, 200 sent | 486 busy | 503 not registered)."""
        return self.ussd.request(ports, text, command=command)

    def ussd_reply(self, port: int) -> str:
        """What `query_ussd_reply` shows for `port` now (" " when there is none)."""
        return self.ussd.reply(port)

    def add_call(self, call: CallRecord) -> None:
        """Store a finished call; an answered one is also a `cdr` event (pushed) at its end."""
        self.call_log.add(call)

    def _random_call(self, ended_at: float) -> CallRecord:
        rng = self._call_rng
        port = self._usable_port(rng.randrange(self.port_count))
        sim = self.ports[port].sim
        peer = rng.choice(self._numbers).strip()
        own = sim.number if sim else ""
        return random_call(rng, port=port, own_number=own, peer=peer, ended_at=ended_at)

    def add_random_device_events(self) -> None:
        """What live traffic does besides SMS (seeded): now and then a call ends, a registered
        port flaps (down, then up a few seconds later), or a call fails and the port resets."""
        self.settle()
        rng = self._device_rng
        if rng.random() < CALL_CHANCE:
            self.add_call(self._random_call(self.clock()))
        registered = self.ports.registered()
        if rng.random() < FLAP_CHANCE and registered:
            self.ports.reset(rng.choice(registered))
        if rng.random() < EXCEPTION_CHANCE and registered:
            port = rng.choice(registered)
            self.emit_exception(port)
            self.ports.reset(port)

    def emit_exception(self, port: int, kind: str = "call_fail", action: str = "reset") -> None:
        """Record an `exception_info` event now (pushed as a single object)."""
        element: dict[str, object] = {"port": port, "type": kind, "action": action}
        self.timeline.emit(self.clock(), "exception_info", element)

    def wire_device(self, status: str = "power_on") -> dict[str, object]:
        """The `device` push object (§5), with its upper-case `IP` and `MAC`."""
        return {"port_number": self.port_count, "IP": self.ip, "MAC": self.mac, "status": status}

    def performance(self) -> dict[str, str]:
        """`get_status`'s performance section now (all strings)."""
        return status.performance(self.seed, self.clock())

    # -- fault injection ----------------------------------------------------------------------

    def inject_fault(self, kind: FaultKind, *, error_code: int = 500, times: int = 1) -> None:
        """Make the next `times` authenticated API requests fail in the given way."""
        fault = Fault(kind, error_code)
        self._faults.extend([fault] * times)

    def take_fault(self) -> Fault | None:
        """The fault for the current request, if one is pending."""
        return self._faults.popleft() if self._faults else None


def _subscribe(
    listeners: list[Callable[..., None]], listener: Callable[..., None]
) -> Callable[[], None]:
    listeners.append(listener)

    def unsubscribe() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return unsubscribe
