"""A real TCP server that accepts and then stays silent (or trickles): the timeout bounds the call.

Outcomes are counted, never seconds; ``asyncio.wait_for(..., 10)`` only keeps a broken client
from hanging the suite.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Literal

import pytest
from tests.support import gateway_settings

from ultiroam_graphql.errors import GatewayUnavailable
from ultiroam_graphql.gateway import GatewayClient

Behaviour = Literal["silent", "trickle", "answer"]
GUARD = 10.0  # seconds: far above any timeout used here


class Device:
    """Accepts every connection; the n-th one is served as ``behaviours[n]`` (the last repeats)."""

    def __init__(self, *behaviours: Behaviour) -> None:
        self.behaviours = behaviours
        self.connections = 0
        self.port = 0
        self._stop = asyncio.Event()
        self._handlers: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Device:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._stop.set()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        behaviour = self.behaviours[min(self.connections, len(self.behaviours) - 1)]
        self.connections += 1
        try:
            await reader.readuntil(b"\r\n\r\n")
            if behaviour == "answer":
                body = json.dumps({"error_code": 200, "in_queue": 3}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
                )
                await writer.drain()
            elif behaviour == "trickle":
                # A byte of header now and then, each well within the read timeout, never ending.
                writer.write(b"HTTP/1.1 200 OK\r\n")
                while not self._stop.is_set() and not reader.at_eof():
                    writer.write(b"X-Pad: 1\r\n")
                    await writer.drain()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._stop.wait(), 0.05)
            else:
                await self._stop.wait()
        except (OSError, asyncio.IncompleteReadError):
            pass  # the client gave up and closed the connection
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


@contextlib.asynccontextmanager
async def client_of(device: Device, **options: object) -> AsyncIterator[GatewayClient]:
    settings = gateway_settings(
        url=f"http://127.0.0.1:{device.port}", auth="basic", timeout=0.5, max_concurrency=1
    )
    client = GatewayClient(settings, **options)  # type: ignore[arg-type]
    try:
        yield client
    finally:
        await client.aclose()


async def in_queue(client: GatewayClient, attempt: int) -> int:
    """One distinct read (identical reads in flight at once would share one call)."""
    reply = await client._request(
        "GET", "query_sms_in_queue", params={"attempt": attempt}, idempotent=True
    )
    return int(reply["in_queue"])


async def outcomes(client: GatewayClient, calls: int) -> list[object]:
    return await asyncio.wait_for(
        asyncio.gather(
            *(in_queue(client, attempt) for attempt in range(calls)), return_exceptions=True
        ),
        GUARD,
    )


async def test_a_silent_device_is_unavailable_and_frees_the_slot_for_the_next_call() -> None:
    async with Device("silent", "answer") as device, client_of(device) as client:
        first, second = await outcomes(client, 2)
        assert isinstance(first, GatewayUnavailable)
        assert "no answer within 0.5 s" in str(first)
        assert second == 3  # the single slot was freed: the second call had its turn
        assert device.connections == 2
        assert (client.breaker_state, client.consecutive_failures) == ("closed", 0)


async def test_every_call_to_a_silent_device_ends_and_they_open_the_circuit() -> None:
    async with (
        Device("silent") as device,
        client_of(device, breaker_failures=2) as client,
    ):
        results = await outcomes(client, 2)
        assert all(isinstance(result, GatewayUnavailable) for result in results)
        assert device.connections == 2
        assert client.breaker_state == "open"
        (refused,) = await outcomes(client, 1)
        assert isinstance(refused, GatewayUnavailable)
        assert "circuit open" in str(refused)
        assert device.connections == 2  # failing fast: the device was not contacted again


async def test_a_trickling_device_is_bounded_by_the_whole_call_timeout() -> None:
    # Every read gets a byte within httpx's read timeout: only a deadline on the whole call ends it.
    async with Device("trickle", "answer") as device, client_of(device) as client:
        first, second = await outcomes(client, 2)
        assert isinstance(first, GatewayUnavailable)
        assert "no answer within 0.5 s" in str(first)
        assert second == 3
        assert device.connections == 2


@pytest.mark.parametrize("behaviour", ["silent", "trickle"])
async def test_an_action_to_a_hanging_device_ends_too(behaviour: Behaviour) -> None:
    async with Device(behaviour) as device, client_of(device) as client:
        with pytest.raises(GatewayUnavailable, match="no answer"):
            await asyncio.wait_for(client.stop_sms(7), GUARD)
        assert device.connections == 1
