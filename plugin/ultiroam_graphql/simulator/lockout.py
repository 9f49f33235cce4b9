"""Per-address login lockout, as gateways ban an IP after repeated failed logins.

Successful logins do not clear the failure count: on a real device an unauthenticated probe
before each request still counts, so a client that probes every time gets banned here too.
"""

from __future__ import annotations

import collections


class Lockout:
    """Counts failed logins per client address and bans addresses that fail too often."""

    def __init__(self, *, failures: int, window: float, duration: float) -> None:
        if failures < 1:
            raise ValueError("failures must be at least 1")
        self._failures = failures
        self._window = window
        self._duration = duration
        self._recent: dict[str, collections.deque[float]] = {}
        self._banned_until: dict[str, float] = {}

    def is_locked(self, host: str, now: float) -> bool:
        until = self._banned_until.get(host)
        if until is None:
            return False
        if now < until:
            return True
        del self._banned_until[host]
        return False

    def record_failure(self, host: str, now: float) -> None:
        """Count one failed login; the `failures`-th within the window starts a ban."""
        recent = self._recent.setdefault(host, collections.deque())
        while recent and recent[0] <= now - self._window:
            recent.popleft()
        recent.append(now)
        if len(recent) >= self._failures:
            self._banned_until[host] = now + self._duration
            del self._recent[host]
        self._prune(now)

    def _prune(self, now: float) -> None:
        """Forget addresses whose failures have all left the window, to stay bounded."""
        stale = [h for h, d in self._recent.items() if not d or d[-1] <= now - self._window]
        for host in stale:
            del self._recent[host]
