"""A clock that only moves when told, so tests can age records, nonces and lockouts."""

from __future__ import annotations


class ManualClock:
    """Callable like `time.time`; pass it as `SimulatedGateway(clock=...)`."""

    def __init__(self, now: float = 1_714_730_400.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now
