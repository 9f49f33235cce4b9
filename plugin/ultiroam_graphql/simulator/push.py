"""Pushing events to a URL, the way a device does (§5 of the gateway HTTP API notes).

Three parts, so each can be tested on its own:

- `PushTracker.collect` decides what is due and builds the bodies (no I/O): each record's
  sending result once per status it reaches, a delivery report when one appears, every
  received SMS once, and every device event (USSD reply, registration change, answered call,
  exception) once it has happened.
- `PushSender` POSTs one body as `application/json`, best-effort: a failure is counted and logged
  once, never retried, as nothing says a device retries.
- `push_loop` ticks: collect, send, sleep; with `announce` it first pushes `device` (power_on).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from typing import Literal, get_args

import httpx

from .events import EventKind
from .gateway import SimulatedGateway
from .record import SimRecord, Status

log = logging.getLogger(__name__)

PushKind = Literal[
    "device",
    "sms_result",
    "sms_deliver_status",
    "sms",
    "ussd",
    "exception_info",
    "register",
    "cdr",
]
PUSH_KINDS: tuple[PushKind, ...] = get_args(PushKind)
"""Every kind, in the order bodies come (`device` only once, first)."""
EVENT_KINDS: tuple[EventKind, ...] = ("ussd", "exception_info", "register", "cdr")
SINGLE_OBJECT_KINDS: frozenset[PushKind] = frozenset({"device", "exception_info"})
"""Kinds whose value is one object (one body per event); the others carry an array, one body
per kind and tick."""
PUSH_TIMEOUT = 5.0
"""Seconds before a push counts as failed."""
OMIT_USER_ID_CHANCE = 0.15
"""Share of `sms_result` elements sent without `user_id` (the manual's example has none)."""
MAX_TRACKED = 100_000
"""Records watched at most; the oldest are dropped past this, so the tracker stays bounded."""

_RANK: dict[Status, int] = {"SENDING": 0, "SENT_OK": 1, "FAILED": 1, "DELIVERED": 2}
"""Statuses only move forward; a clock set back must not make one be pushed again."""

PushBody = dict[str, object]
SendPush = Callable[[PushBody], Awaitable[object]]


def push_body(sn: str | None, kind: PushKind, elements: Iterable[object]) -> PushBody:
    """`{"sn": ..., kind: [...]}`; like the replies of old firmware, no "sn" when it is None."""
    body: PushBody = {}
    if sn is not None:
        body["sn"] = sn
    body[kind] = list(elements)
    return body


def push_object(sn: str | None, kind: PushKind, element: dict[str, object]) -> PushBody:
    """`{"sn": ..., kind: {...}}` for the single-object kinds (`device`, `exception_info`)."""
    body: PushBody = {} if sn is None else {"sn": sn}
    body[kind] = element
    return body


def device_body(gateway: SimulatedGateway, status: str = "power_on") -> PushBody:
    """The `device` push a gateway sends when it starts pushing."""
    return push_object(gateway.sn, "device", gateway.wire_device(status))


def push_kind(body: PushBody) -> str:
    """The event key of a push body (the key that is not "sn")."""
    return next((key for key in body if key != "sn"), "?")


class PushTracker:
    """What has been pushed, and what is due now.

    Records present when the tracker starts count as already pushed in their current status
    (their later changes are pushed); records added afterwards are pushed from the status they
    are first seen in. A record is forgotten once it has been pushed in its final status, so
    only messages still on their way are kept. Received SMS and device events are tracked by
    high-water marks: those from before the tracker started are not pushed.
    """

    def __init__(
        self,
        gateway: SimulatedGateway,
        *,
        rng: random.Random | None = None,
        omit_user_id: float = OMIT_USER_ID_CHANCE,
        max_tracked: int = MAX_TRACKED,
    ) -> None:
        self._gateway = gateway
        self._rng = random.Random(f"push-{gateway.seed}") if rng is None else rng
        self._omit_user_id = omit_user_id
        self._max_tracked = max_tracked
        now = gateway.clock()
        self._pending: dict[int, tuple[SimRecord, Status | None]] = {}
        """id(record) -> (record, status last pushed or None); the record keeps its id unique."""
        for record in gateway.records:
            if not record.is_final(now):
                self._track(record, record.status(now))
        self._last_incoming_id = gateway.last_incoming_id
        gateway.settle(now)
        self._last_event_seq = gateway.last_event_seq
        unsubscribe_results = gateway.subscribe_results(self._track)
        unsubscribe_replacements = gateway.subscribe_replacements(self._replaced)

        def unsubscribe() -> None:
            unsubscribe_results()
            unsubscribe_replacements()

        self._unsubscribe = unsubscribe

    @property
    def tracked(self) -> int:
        """How many records are watched for a status change."""
        return len(self._pending)

    def close(self) -> None:
        """Stop watching the gateway for new records."""
        self._unsubscribe()

    def _track(self, record: SimRecord, pushed: Status | None = None) -> None:
        self._pending.setdefault(id(record), (record, pushed))
        while len(self._pending) > self._max_tracked:
            del self._pending[next(iter(self._pending))]

    def _replaced(self, old: SimRecord, new: SimRecord) -> None:
        """A stopped message: watch its new version from the status already pushed."""
        entry = self._pending.pop(id(old), None)
        if entry is not None:
            self._pending[id(new)] = (new, entry[1])

    def collect(self, now: float | None = None) -> list[PushBody]:
        """The bodies to push at `now` (default: the gateway's clock), in the order of
        PUSH_KINDS: at most one per list kind, one per `exception_info` event; marks
        everything returned as pushed."""
        gateway = self._gateway
        now = gateway.clock() if now is None else now
        results: list[dict[str, object]] = []
        reports: list[dict[str, object]] = []
        for key, (record, pushed) in list(self._pending.items()):
            status = record.status(now)
            if pushed is None or _RANK[status] > _RANK[pushed]:
                results.append(self.result_element(record, now))
                if status in ("DELIVERED", "FAILED"):
                    report = gateway.wire_deliver_status(record, now)
                    if report is not None:
                        reports.append(report)
                self._pending[key] = (record, status)
            if record.is_final(now):
                del self._pending[key]
        incoming = gateway.incoming_since(self._last_incoming_id)
        if incoming:
            self._last_incoming_id = incoming[-1].incoming_sms_id
        sections: tuple[tuple[PushKind, list[dict[str, object]]], ...] = (
            ("sms_result", results),
            ("sms_deliver_status", reports),
            ("sms", [gateway.wire_incoming(m, imsi=True) for m in incoming]),
        )
        bodies = [push_body(gateway.sn, kind, items) for kind, items in sections if items]
        return bodies + self._event_bodies(now)

    def _event_bodies(self, now: float) -> list[PushBody]:
        events = self._gateway.events_since(self._last_event_seq, now)
        if not events:
            return []
        self._last_event_seq = events[-1].seq
        sn = self._gateway.sn
        bodies: list[PushBody] = []
        for kind in EVENT_KINDS:
            elements = [e.element for e in events if e.kind == kind]
            if kind in SINGLE_OBJECT_KINDS:
                bodies += [push_object(sn, kind, element) for element in elements]
            elif elements:
                bodies.append(push_body(sn, kind, elements))
        return bodies

    def result_element(self, record: SimRecord, now: float) -> dict[str, object]:
        """One `sms_result` element: the §3.2 result, sometimes without `user_id`."""
        element = self._gateway.wire_result(record, now)
        if self._rng.random() < self._omit_user_id:
            del element["user_id"]
        return element


def _log_target(url: httpx.URL) -> str:
    """Scheme, host and port only: the path or query may carry a receiver's token."""
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}"


class PushSender:
    """POSTs push bodies to one URL and counts the outcome on the gateway."""

    def __init__(
        self,
        gateway: SimulatedGateway,
        client: httpx.AsyncClient,
        url: str,
        *,
        timeout: float = PUSH_TIMEOUT,
    ) -> None:
        self._gateway = gateway
        self._client = client
        self._url = httpx.URL(url)
        self._target = _log_target(self._url)
        self._timeout = timeout

    async def __call__(self, body: PushBody) -> bool:
        """Send one body; True if the receiver answered 2xx. Never raises for a failed push."""
        content = json.dumps(body, ensure_ascii=False).encode()
        try:
            response = await self._client.post(
                self._url,
                content=content,
                headers={"Content-Type": "application/json"},
                timeout=self._timeout,
            )
        except Exception as exc:  # best-effort, like a device: whatever went wrong, go on
            reason = type(exc).__name__
        else:
            if response.is_success:
                self._gateway.pushes_sent += 1
                return True
            reason = f"HTTP {response.status_code}"
        self._gateway.pushes_failed += 1
        log.warning(
            "push of %s to %s failed (%s); not retried", push_kind(body), self._target, reason
        )
        return False


async def push_loop(
    tracker: PushTracker,
    send: SendPush,
    interval: float,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    announce: PushBody | None = None,
) -> None:
    """Every `interval` seconds push what changed since the last tick; runs until cancelled.
    `announce` (the `device` body) is pushed once, before the first tick."""
    if announce is not None:
        await send(announce)
    while True:
        await sleep(interval)
        for body in tracker.collect():
            await send(body)
