"""Sending tasks: `send_sms` recipients queued on ports (§3.1), and `stop_sms` (§3.6).

Each port sends one message at a time, so a recipient waits (SENDING) behind the messages
already queued on its port; the least busy allowed port takes the next recipient. A message is
SENDING for a few seconds of its own, then SENT_OK (about 5% FAILED), then DELIVERED a few
seconds later when a status report was asked for.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .record import Fate, SimRecord
from .send_request import SendRequest, render, segment_count

SEND_TIME: tuple[float, float] = (2.0, 5.0)
"""Seconds a port takes to send one message."""
DELIVERY_TIME: tuple[float, float] = (2.0, 8.0)
"""Seconds from SENT_OK to DELIVERED."""
FAILURE_CHANCE = 0.05
MAX_TASKS = 10_000
"""Oldest tasks are forgotten past this (`stop_sms` then answers 404 for them)."""

AddResult = Callable[..., SimRecord]
Replace = Callable[[SimRecord, SimRecord], None]


@dataclass(slots=True)
class SendTask:
    """One accepted `send_sms` request and its messages, in recipient order."""

    task_id: int
    records: list[SimRecord]

    def sending(self, now: float) -> list[SimRecord]:
        return [r for r in self.records if r.is_sending(now)]


class Dispatcher:
    """Queues recipients on ports and keeps the tasks `stop_sms` can stop."""

    def __init__(
        self, port_count: int, rng: random.Random, add_result: AddResult, replace: Replace
    ) -> None:
        """`add_result` stores a record (the gateway's `add_result`); `replace(old, new)` swaps
        a stored record for its stopped version."""
        self._port_count = port_count
        self._rng = rng
        self._add_result = add_result
        self._replace = replace
        self._free_at = [0.0] * port_count
        self._cursor = 0
        self._tasks: dict[int, SendTask] = {}
        self._last_task_id = 0

    @property
    def last_task_id(self) -> int:
        return self._last_task_id

    def task(self, task_id: int) -> SendTask | None:
        return self._tasks.get(task_id)

    def _pick_port(self, usable: Sequence[int], now: float) -> int:
        """The allowed port free soonest; ties go round-robin."""
        port = min(
            usable,
            key=lambda p: (max(self._free_at[p], now), (p - self._cursor) % self._port_count),
        )
        self._cursor = (port + 1) % self._port_count
        return port

    def send(self, request: SendRequest, usable: Sequence[int], now: float) -> SendTask:
        """Queue every recipient on one of the `usable` ports (not empty) as a new task."""
        if not usable:
            raise ValueError("no usable port")
        self._last_task_id += 1
        task = SendTask(self._last_task_id, [])
        rng = self._rng
        report = request.request_status_report
        for recipient in request.recipients:
            port = self._pick_port(usable, now)
            done = max(self._free_at[port], now) + rng.uniform(*SEND_TIME)
            self._free_at[port] = done
            fate: Fate = (
                "FAILED" if rng.random() < FAILURE_CHANCE else "DELIVERED" if report else "SENT_OK"
            )
            text = render(request.text, recipient.text_params)
            task.records.append(
                self._add_result(
                    port=port,
                    number=recipient.number,
                    user_id=recipient.user_id,
                    count=segment_count(text, request.encoding),
                    fate=fate,
                    sent_at=now,
                    send_delay=done - now,
                    delivery_delay=rng.uniform(*DELIVERY_TIME),
                    text=text,
                    status_report=report,
                    task_id=task.task_id,
                )
            )
        self._tasks[task.task_id] = task
        while len(self._tasks) > MAX_TASKS:
            del self._tasks[next(iter(self._tasks))]
        return task

    def stop(self, task_id: int, now: float) -> bool:
        """Fail the task's messages still SENDING; False if the task is unknown or done."""
        task = self._tasks.get(task_id)
        if task is None or not task.sending(now):
            return False
        ports: set[int] = set()
        for index, record in enumerate(task.records):
            if record.is_sending(now):
                stopped = record.stopped(now)
                self._replace(record, stopped)
                task.records[index] = stopped
                ports.add(record.port)
        for port in ports:
            self._free_at[port] = max(
                (
                    r.sent_at + r.send_delay
                    for t in self._tasks.values()
                    for r in t.sending(now)
                    if r.port == port
                ),
                default=now,
            )
        return True
