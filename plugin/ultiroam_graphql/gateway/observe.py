"""What the gateway client tells the world: each call's outcome, and the gateway's state changes.

The client knows nothing of metrics: it calls a :class:`GatewayObserver` (a no-op by default),
which the app connects to its metrics. Each state change is also logged here, once per transition,
with structured fields. :func:`count_calls` counts the REST calls of one GraphQL operation: the
counter lives in a context variable, so the DataLoader's tasks, which copy the context, share it.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal, Protocol

import httpx

from ..errors import (
    GatewayAuthFailed,
    GatewayProtocolError,
    GatewayRejected,
    GatewayUnavailable,
)

log = logging.getLogger("ultiroam_graphql.gateway")

CallOutcome = Literal[
    "ok",
    "unavailable",  # cannot connect, the connection broke, or HTTP 502/503/504
    "timeout",  # no whole answer within the gateway's timeout
    "auth_failed",  # HTTP 401/403 from the device
    "auth_cooldown",  # refused locally after a failed login: nothing sent
    "rejected",  # the device's own error_code
    "protocol_error",  # a reply that is not the documented JSON
    "circuit_open",  # refused locally by the circuit breaker: nothing sent
    "cancelled",  # the caller went away while the call was in flight
    "error",  # anything else (a bug): logged where it is raised
]
CALL_OUTCOMES: tuple[CallOutcome, ...] = CallOutcome.__args__  # type: ignore[attr-defined]
NOT_SENT: frozenset[CallOutcome] = frozenset({"circuit_open", "auth_cooldown"})

GatewayState = Literal[
    "reachable", "unreachable", "circuit_open", "circuit_closed", "auth_ok", "auth_failed",
    "locked_out",
]  # fmt: skip
GATEWAY_STATES: tuple[GatewayState, ...] = GatewayState.__args__  # type: ignore[attr-defined]


class GatewayObserver(Protocol):
    """Told of every call and every state change of the gateways it is connected to."""

    def call_finished(
        self, gateway_id: str, endpoint: str, outcome: CallOutcome, seconds: float | None
    ) -> None:
        """One API call ended; ``seconds`` is None for a call refused before it was sent."""

    def state_changed(self, gateway_id: str, state: GatewayState) -> None:
        """The gateway entered ``state`` (once per transition)."""

    def reply_unparsable(self, gateway_id: str, endpoint: str) -> None:
        """A call counted ``ok`` whose records then did not parse (GATEWAY_PROTOCOL_ERROR)."""


class NullObserver:
    """The default: observes nothing."""

    def call_finished(
        self, gateway_id: str, endpoint: str, outcome: CallOutcome, seconds: float | None
    ) -> None:
        pass

    def state_changed(self, gateway_id: str, state: GatewayState) -> None:
        pass

    def reply_unparsable(self, gateway_id: str, endpoint: str) -> None:
        pass


NULL_OBSERVER: GatewayObserver = NullObserver()


class AuthCoolingDown(GatewayAuthFailed):
    """A call refused without contacting the device while a failed login cools down."""


def outcome_of(error: BaseException | None) -> CallOutcome:
    """The outcome label of a call that ended with ``error`` (None: it succeeded)."""
    if error is None:
        return "ok"
    if isinstance(error, GatewayUnavailable):
        timed_out = isinstance(error.__cause__, (httpx.TimeoutException, TimeoutError))
        return "timeout" if timed_out else "unavailable"
    if isinstance(error, AuthCoolingDown):
        return "auth_cooldown"
    if isinstance(error, GatewayAuthFailed):
        return "auth_failed"
    if isinstance(error, GatewayRejected):
        return "rejected"
    if isinstance(error, GatewayProtocolError):
        return "protocol_error"
    if isinstance(error, asyncio.CancelledError):
        return "cancelled"
    return "error"


@dataclass
class CallCount:
    """REST calls sent so far by one GraphQL operation."""

    value: int = 0


_operation_calls: ContextVar[CallCount | None] = ContextVar("ultiroam_rest_calls", default=None)


def count_calls() -> CallCount:
    """Start counting the REST calls made from this context (and the tasks it starts)."""
    count = CallCount()
    _operation_calls.set(count)
    return count


class GatewayWatch:
    """One gateway's state as its client last saw it; each change logged once and observed."""

    def __init__(self, gateway_id: str, observer: GatewayObserver = NULL_OBSERVER) -> None:
        self.gateway_id = gateway_id
        self.observer = observer
        self.reachable: bool | None = None  # None: not tried yet
        self.auth: Literal["ok", "failed", "locked_out"] | None = None
        self.circuit_open = False

    def call(self, endpoint: str, outcome: CallOutcome, seconds: float | None) -> None:
        """A call ended: counted for the operation that made it, if it was sent."""
        if outcome in NOT_SENT:
            seconds = None
        else:
            count = _operation_calls.get()
            if count is not None:
                count.value += 1
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "gateway %s: %s %s",
                self.gateway_id,
                endpoint,
                outcome,
                extra={
                    "event": "gateway_call",
                    "gateway": self.gateway_id,
                    "endpoint": endpoint,
                    "outcome": outcome,
                    "duration_ms": None if seconds is None else round(seconds * 1000, 1),
                },
            )
        self.observer.call_finished(self.gateway_id, endpoint, outcome, seconds)

    def answered(self, *, logged_in: bool) -> None:
        """The device sent an HTTP answer; ``logged_in`` when it accepted the credentials."""
        if self.reachable is not True:
            self._change("reachable", again=self.reachable is False)
            self.reachable = True
        if logged_in and self.auth != "ok":
            self._change("auth_ok", again=self.auth is not None)
            self.auth = "ok"

    def unreachable(self, reason: str) -> None:
        if self.reachable is not False:
            self.reachable = False
            self._change("unreachable", logging.WARNING, reason=reason)

    def refused(self, http_status: int, *, cooldown: float) -> None:
        """The device refused the login (401) or forbade access (403: maybe a lockout)."""
        state: Literal["failed", "locked_out"] = "failed" if http_status == 401 else "locked_out"
        if self.auth != state:
            self.auth = state
            self._change(
                "auth_failed" if state == "failed" else "locked_out",
                logging.WARNING,
                http_status=http_status,
                cooldown_seconds=cooldown,
            )

    def circuit(self, *, is_open: bool, failures: int, cooldown: float) -> None:
        """The breaker's state after a call; open and closed each logged once."""
        if is_open == self.circuit_open:
            return
        self.circuit_open = is_open
        if is_open:
            self._change(
                "circuit_open",
                logging.WARNING,
                consecutive_failures=failures,
                cooldown_seconds=cooldown,
            )
        else:
            self._change("circuit_closed")

    def _change(
        self,
        state: GatewayState,
        level: int = logging.INFO,
        *,
        again: bool = True,
        **fields: object,
    ) -> None:
        """Log and observe a transition; the first good news about a gateway is no change
        worth counting, and is logged at debug level only."""
        log.log(
            level if again else logging.DEBUG,
            "gateway %s: %s",
            self.gateway_id,
            _DESCRIPTIONS[state],
            extra={"event": "gateway_state", "gateway": self.gateway_id, "state": state, **fields},
        )
        if again:
            self.observer.state_changed(self.gateway_id, state)


_DESCRIPTIONS: dict[GatewayState, str] = {
    "reachable": "reachable",
    "unreachable": "unreachable",
    "circuit_open": "circuit open: failing fast without contacting the gateway",
    "circuit_closed": "circuit closed: calls go through again",
    "auth_ok": "credentials accepted",
    "auth_failed": "the gateway refused the username or password",
    "locked_out": "the gateway forbids access (it may have locked this address out)",
}


__all__ = [
    "CALL_OUTCOMES",
    "GATEWAY_STATES",
    "NOT_SENT",
    "NULL_OBSERVER",
    "AuthCoolingDown",
    "CallCount",
    "CallOutcome",
    "GatewayObserver",
    "GatewayState",
    "GatewayWatch",
    "NullObserver",
    "count_calls",
    "outcome_of",
]
