"""The simulated gateway the benchmarks query: ``BENCH_SIM_RESULTS`` sending results, a clock
that stands still, and ``GET /bench/calls`` with the REST calls it answered, per endpoint.

The stock ``ultiroam-graphql simulate`` holds a fixed 120 results; the benchmarks need 10 to
10,000, so this factory builds the same simulator through its public API. The clock stands
still so every reply is the same bytes: the facade and the baseline proxy can be checked equal
once and then measured on identical work.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from ultiroam_graphql.simulator import ManualClock, SimulatedGateway, create_simulator_app

TIMEZONE = "Europe/Paris"
PASSWORD = "bench-gateway-pass"
MAX_RESULTS = 100_000


class CallCounter:
    """ASGI wrapper: ``/bench/calls`` answers the device's call counter; the rest is the device."""

    def __init__(self, inner: Any, device: SimulatedGateway) -> None:
        self.inner = inner
        self.device = device

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/bench/calls":
            body = json.dumps(dict(self.device.calls)).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await self.inner(scope, receive, send)


def app() -> CallCounter:
    results = int(os.environ.get("BENCH_SIM_RESULTS", "120"))
    if not 0 <= results <= MAX_RESULTS:
        raise ValueError(f"BENCH_SIM_RESULTS must be within 0..{MAX_RESULTS}")
    device = SimulatedGateway(
        ports=32,
        timezone=TIMEZONE,
        seed=int(os.environ.get("BENCH_SIM_SEED", "1")),
        initial_results=results,
        clock=ManualClock(float(int(time.time()))),
    )
    return CallCounter(create_simulator_app(device, password=PASSWORD), device)
