"""Live traffic: new messages appear while the simulator runs.

Kept as one small loop; what changes is pushed by `push.push_loop`, which watches the gateway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from .gateway import INCOMING_CHANCE, SimulatedGateway

MAX_BURST = 3


async def traffic_loop(
    gateway: SimulatedGateway,
    interval: float,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Every `interval` seconds add 1-3 random results, and about one burst in four also
    brings a received SMS; now and then a call ends, a port flaps or a call fails (see
    `SimulatedGateway.add_random_device_events`). Runs until cancelled."""
    while True:
        await sleep(interval)
        gateway.add_random_burst(MAX_BURST)
        gateway.maybe_add_random_incoming(INCOMING_CHANCE)
        gateway.add_random_device_events()
