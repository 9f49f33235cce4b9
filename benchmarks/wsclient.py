"""The WebSocket side of the fan-out and memory benchmarks, run as its own process.

Opens ``--subscribers`` connections (asyncio, many per process), each ``graphql-transport-ws``
with one subscription to the same document, and proves every one is registered: probe pushes
until each has received one, then a fence push that all must receive (events fan out in publish
order, so no probe is still in flight after it). Then, by ``--mode``:

* ``closed``: ``--events`` pushes, each sent once every subscriber received the one before; the
  server's CPU time (``/proc/<--server-pid>``) over them is the fan-out cost.
* ``rate``: ``--rate`` pushes a second for ``--seconds``, whatever the server's pace; then waits
  up to ``--drain`` s for the stragglers. Every subscriber must receive every event.
* ``hold``: prints ``READY``, keeps the connections idle until a line (or EOF) on stdin.

Prints one ``RESULT {json}`` line: deliveries, missing ones, push-to-frame latency percentiles
(push request started -> frame read, one clock), server and client CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from array import array
from collections import Counter
from datetime import datetime
from typing import Any

import common
import httpx
import orjson
import uvloop
from websockets.asyncio.client import ClientConnection, connect

DOCUMENT = (
    "subscription { smsResults { number userId time status rawStatus count succCount refId "
    "imsi cursor port { index } gateway { id } } }"
)
PROBE_OFFSET = 900_000


def pct(values: array, q: float) -> float | None:
    ordered = sorted(values)
    return (
        round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else None
    )


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sent_at: dict[int, float] = {}
        self.counts: Counter[int] = Counter()
        self.complete: dict[int, asyncio.Event] = {}
        self.per_subscriber: list[Counter[int]] = []
        self.latency = array("d")
        self.broken: list[str] = []
        self.push_status: Counter[str] = Counter()
        self.push_latency = array("d")
        self.measured: set[int] = set()
        self.connections: list[ClientConnection] = []

    # -- subscribers ---------------------------------------------------------------------------

    async def subscriber(self, index: int, ready: asyncio.Event, gate: asyncio.Semaphore) -> None:
        received: Counter[int] = Counter()
        self.per_subscriber.append(received)
        try:
            async with gate:
                ws = await connect(
                    self.args.url,
                    subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                    compression=None if self.args.no_deflate else "deflate",
                    open_timeout=120,
                    ping_interval=None,
                    proxy=None,
                    max_size=2**20,
                )
                await ws.send('{"type":"connection_init"}')
                ack = orjson.loads(await asyncio.wait_for(ws.recv(), 120))
                if ack.get("type") != "connection_ack":
                    raise RuntimeError(f"no connection_ack: {ack}")
                subscribe = {"type": "subscribe", "id": "1", "payload": {"query": DOCUMENT}}
                await ws.send(orjson.dumps(subscribe).decode())
            self.connections.append(ws)
            ready.set()
            await self.read(ws, received)
        except Exception as exc:
            self.broken.append(f"{index}: {type(exc).__name__}: {exc}"[:200])
            ready.set()

    async def read(self, ws: ClientConnection, received: Counter[int]) -> None:
        async for raw in ws:
            now = time.monotonic()
            message = orjson.loads(raw)
            kind = message.get("type")
            if kind == "next":
                uid = message["payload"]["data"]["smsResults"]["userId"]
                received[uid] += 1
                self.counts[uid] += 1
                if uid in self.measured:
                    self.latency.append(now - self.sent_at[uid])
                if self.counts[uid] == self.args.subscribers and uid in self.complete:
                    self.complete[uid].set()
            elif kind == "ping":
                await ws.send('{"type":"pong"}')
            elif kind in ("error", "complete"):
                raise RuntimeError(json.dumps(message)[:200])
        raise RuntimeError("the server closed the connection")

    # -- pushes --------------------------------------------------------------------------------

    async def push(self, http: httpx.AsyncClient, uid: int) -> None:
        element = {
            "port": uid % 32,
            "number": f" +3361{uid % 10_000_000:07d} ",
            "time": datetime.now().strftime("%Y-%m-%d %H:%M:%S"),
            "status": "DELIVERED",
            "count": 1,
            "succ_count": 1,
            "ref_id": uid % 256,
            "imsi": "208011234567890 ",
            "user_id": uid,
        }
        self.complete.setdefault(uid, asyncio.Event())
        self.sent_at[uid] = started = time.monotonic()
        try:
            reply = await http.post(
                self.args.push_url, json={"sn": "bench", "sms_result": [element]}
            )
            self.push_status[str(reply.status_code)] += 1
        except httpx.HTTPError as exc:
            self.push_status[type(exc).__name__] += 1
        self.push_latency.append(time.monotonic() - started)

    async def wait_all(self, uid: int, seconds: float) -> bool:
        """Whether every subscriber received ``uid`` within ``seconds``."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.complete[uid].wait()
        return self.complete[uid].is_set()

    async def registered(self, http: httpx.AsyncClient) -> None:
        """Probe until every subscriber heard one, then a fence every subscriber must hear."""
        probe = self.args.uid_base + PROBE_OFFSET
        deadline = time.monotonic() + 120
        while True:
            probe += 1
            await self.push(http, probe)
            await self.wait_all(probe, 0.5)
            probes = range(self.args.uid_base + PROBE_OFFSET, probe + 1)
            if all(any(r[p] for p in probes) for r in self.per_subscriber):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("subscribers never all registered")
        await self.push(http, probe + 1)
        if not await self.wait_all(probe + 1, 120):
            raise RuntimeError("the fence push did not reach every subscriber")

    # -- modes ---------------------------------------------------------------------------------

    async def closed(self, http: httpx.AsyncClient) -> None:
        for i in range(self.args.events):
            uid = self.args.uid_base + i
            self.measured.add(uid)
            await self.push(http, uid)
            if not await self.wait_all(uid, self.args.drain):
                break

    async def rate(self, http: httpx.AsyncClient) -> None:
        total = round(self.args.rate * self.args.seconds)
        start = time.monotonic()
        tasks = []
        for i in range(total):
            await asyncio.sleep(max(0.0, start + i / self.args.rate - time.monotonic()))
            uid = self.args.uid_base + i
            self.measured.add(uid)
            tasks.append(asyncio.create_task(self.push(http, uid)))
        await asyncio.gather(*tasks)
        deadline = time.monotonic() + self.args.drain
        for i in range(total):
            if not await self.wait_all(
                self.args.uid_base + i, max(0.0, deadline - time.monotonic())
            ):
                break

    async def run(self) -> dict[str, Any]:
        args = self.args
        limits = httpx.Limits(max_connections=args.push_connections)
        async with httpx.AsyncClient(limits=limits, timeout=120) as http:
            gate = asyncio.Semaphore(args.open_at_once)
            readies = [asyncio.Event() for _ in range(args.subscribers)]
            opened = time.monotonic()
            readers = [
                asyncio.create_task(self.subscriber(i, readies[i], gate))
                for i in range(args.subscribers)
            ]
            await asyncio.gather(*(ready.wait() for ready in readies))
            if self.broken:
                raise RuntimeError(f"{len(self.broken)} subscribers failed: {self.broken[:3]}")
            open_seconds = time.monotonic() - opened
            await self.registered(http)
            if args.mode == "hold":
                print("READY " + json.dumps({"open_seconds": round(open_seconds, 2)}), flush=True)
                await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
                await self.close(readers)
                return {"subscribers": args.subscribers, "broken": self.broken}
            cpu, own, wall = self.server_cpu(), common.cpu_seconds(os.getpid()), time.monotonic()
            await (self.closed(http) if args.mode == "closed" else self.rate(http))
            cpu = self.server_cpu() - cpu
            own = common.cpu_seconds(os.getpid()) - own
            wall = time.monotonic() - wall
            await self.close(readers)
        events = sorted(self.measured)
        missing = [sum(1 for uid in events if not r[uid]) for r in self.per_subscriber]
        duplicates = sum(
            sum(r[uid] - 1 for uid in events if r[uid] > 1) for r in self.per_subscriber
        )
        return {
            "mode": args.mode,
            "subscribers": args.subscribers,
            "events": len(events),
            "expected_deliveries": len(events) * args.subscribers,
            "deliveries": len(events) * args.subscribers - sum(missing),
            "missing": sum(missing),
            "subscribers_missing_some": sum(1 for m in missing if m),
            "duplicates": duplicates,
            "broken": self.broken[:5],
            "latency_ms": {
                q: pct(self.latency, v) for q, v in (("p50", 0.5), ("p99", 0.99), ("max", 1.0))
            },
            "push_latency_ms": {
                q: pct(self.push_latency, v) for q, v in (("p50", 0.5), ("p99", 0.99))
            },
            "push_status": dict(self.push_status),
            "server_cpu_s": round(cpu, 3),
            "client_cpu_s": round(own, 3),
            "wall_s": round(wall, 3),
            "open_seconds": round(open_seconds, 2),
        }

    async def close(self, readers: list[asyncio.Task[None]]) -> None:
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(30):
                await asyncio.gather(
                    *(ws.close() for ws in self.connections), return_exceptions=True
                )

    def server_cpu(self) -> float:
        return common.cpu_seconds(self.args.server_pid) if self.args.server_pid else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="ws://host:port/graphql")
    parser.add_argument("--push-url", required=True, help="http://host:port/push/<id>?token=...")
    parser.add_argument("--mode", choices=["closed", "rate", "hold"], default="closed")
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--events", type=int, default=20, help="closed mode: pushes")
    parser.add_argument("--rate", type=float, default=20.0, help="rate mode: pushes a second")
    parser.add_argument("--seconds", type=float, default=10.0, help="rate mode: how long")
    parser.add_argument("--drain", type=float, default=60.0, help="s to wait for stragglers")
    parser.add_argument("--server-pid", type=int, default=0, help="whose CPU to measure")
    parser.add_argument("--uid-base", type=int, default=1_000_000, help="first user id")
    parser.add_argument("--open-at-once", type=int, default=50, help="handshakes in flight")
    parser.add_argument("--push-connections", type=int, default=8)
    parser.add_argument("--no-deflate", action="store_true", help="no permessage-deflate")
    args = parser.parse_args()
    result = uvloop.run(Bench(args).run())
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
