"""Cancellation that a library swallowed, honoured anyway.

On Python 3.11, ``asyncio.wait_for`` (used by aiomqtt for every acknowledgement, and by
redis-py) returns normally when the awaited thing completes in the same instant as the task is
cancelled, and anyio cancel scopes under httpx can do the same. The task is left "cancelling"
but running, so a loop would outlive the session that owns it. Loops call this after such awaits.
"""

from __future__ import annotations

import asyncio


def raise_if_cancelled() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def cancel_and_wait(task: asyncio.Task[object], *, again_after: float = 5.0) -> None:
    """Cancel ``task`` and wait for it to end, cancelling it again should it swallow that."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=again_after)
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()  # type: ignore[misc]
