"""``CircuitBreaker``: stop calling a gateway that keeps failing, and try it again later.

::

    closed ──(``threshold`` failures in a row)──> open ──(``cooldown`` elapsed)──> half_open
      ^                                            ^                                 │
      └──────────── the trial call succeeds ───────┼─────────────────────────────────┤
                                                   └──────── the trial call fails ───┘

In ``half_open`` one trial call is let through at a time; the others are refused until it ends.
The breaker only counts: what is a failure is for the caller to say.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

BreakerState = Literal["closed", "open", "half_open"]
Admission = Literal["call", "trial"]


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failures, for ``cooldown`` seconds of ``clock``."""

    def __init__(
        self,
        *,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if threshold < 1:
            raise ValueError("the breaker threshold must be at least 1")
        if cooldown < 0:
            raise ValueError("the breaker cool-down cannot be negative")
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False  # a half-open trial call is in flight

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return "closed"
        if self._clock() - self._opened_at < self.cooldown:
            return "open"
        return "half_open"

    @property
    def consecutive_failures(self) -> int:
        return self._failures

    def retry_after(self) -> float:
        """Seconds until a trial call may go; 0 once the cool-down is over."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self._opened_at + self.cooldown - self._clock())

    def allows(self) -> bool:
        """Whether a call would be let through now, without claiming the trial."""
        state = self.state
        return state == "closed" or (state == "half_open" and not self._trial)

    def admit(self) -> Admission | None:
        """Let a call through (None: refused); in ``half_open`` the one let through is the trial."""
        if not self.allows():
            return None
        if self._opened_at is None:
            return "call"
        self._trial = True
        return "trial"

    def record_success(self) -> None:
        """The gateway answered: close the circuit."""
        self._failures = 0
        self._opened_at = None
        self._trial = False

    def record_failure(self) -> None:
        """The gateway could not be reached: count it, and open (again) at the threshold."""
        self._failures += 1
        if self._failures >= self.threshold:
            self._opened_at = self._clock()
        self._trial = False

    def release(self, admission: Admission) -> None:
        """A call ended with no verdict on the gateway (cancelled, refused locally)."""
        if admission == "trial":
            self._trial = False


__all__ = ["Admission", "BreakerState", "CircuitBreaker"]
