"""One USSD exchange: send a code on a port and wait for the network's reply to *this* code.

The device keeps the last reply per port and has no session id, so a reply is taken from a
``ussd`` push or from polling ``query_ussd_reply``, never from what was there before: a pushed
text already seen before sending is ignored, and a polled one counts once the device has shown
the buffer cleared by the new code (the same balance twice is still a new reply).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from .broker import Broker
from .errors import GatewayError, GatewayRejected, GatewayUnavailable
from .events import Event
from .gateway import GatewayClient, UssdReplyRecord
from .gateway.models import record_from_data

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0


async def ussd_exchange(
    client: GatewayClient, broker: Broker, *, port: int, code: str, wait_seconds: float
) -> UssdReplyRecord:
    """The reply, or GatewayRejected (486 busy, 503 not registered) or GatewayUnavailable."""
    before = {reply.text for reply in await client.query_ussd_reply([port])}

    def on_port(event: Event) -> bool:
        return (
            event.kind == "ussd"
            and event.gateway_id == client.id
            and event.data.get("port") == port
        )

    async with broker.subscribe(on_port) as pushes:
        for status in await client.send_ussd(ports=[port], text=code):
            if status.port == port and not status.sent:
                raise GatewayRejected(
                    client.id,
                    f"USSD on port {port}: the gateway answered status {status.status}",
                    gateway_error_code=status.status,
                )
        pushes.drain()  # anything pushed before the code went out answers an earlier one

        async def from_push() -> UssdReplyRecord:
            async for event in pushes:
                reply = record_from_data(UssdReplyRecord, client.id, event.data)
                if reply.text not in before:
                    return reply
            raise GatewayUnavailable(client.id, "the broker closed while waiting for USSD")

        async def from_poll() -> UssdReplyRecord:
            cleared = False
            while True:
                await asyncio.sleep(POLL_SECONDS)
                try:
                    replies = [r for r in await client.query_ussd_reply([port]) if r.port == port]
                except GatewayError as exc:  # the push may still come; keep waiting
                    log.debug("USSD poll on %s port %s: %s", client.id, port, exc)
                    continue
                if not replies:
                    cleared = True
                for reply in replies:
                    if cleared or reply.text not in before:
                        return reply

        reply = await _first(from_push(), from_poll(), wait_seconds=wait_seconds)
    if reply is None:
        with contextlib.suppress(GatewayError, ValueError):  # free the port for the next code
            await client.send_ussd(ports=[port], text="", command="cancel")
        raise GatewayUnavailable(
            client.id, f"no USSD reply on port {port} within {wait_seconds:g} s"
        )
    return reply


async def _first(*waiting: object, wait_seconds: float) -> UssdReplyRecord | None:
    """The first of the waiters to finish, None after ``wait_seconds``; the rest are cancelled."""
    tasks = [asyncio.ensure_future(w) for w in waiting]  # type: ignore[arg-type]
    try:
        done, _ = await asyncio.wait(
            tasks, timeout=wait_seconds, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
    for task in done:
        if task.exception() is None:
            return task.result()  # type: ignore[no-any-return]
    for task in done:
        raise task.exception()  # type: ignore[misc]
    return None
