"""Live traffic: new messages appear while the simulator runs.

Kept as one small loop so that pushing each new record to a URL can be added in one place.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from .gateway import SimulatedGateway

MAX_BURST = 3


async def traffic_loop(
    gateway: SimulatedGateway,
    interval: float,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Every `interval` seconds add 1-3 random results; runs until cancelled."""
    while True:
        await sleep(interval)
        gateway.add_random_burst(MAX_BURST)
