"""Soak test: real facade and simulator processes on loopback, under push, query and churn load.

Starts, on 127.0.0.1 with free ports and a temporary directory (its path is printed; logs stay):
  * two simulated gateways (``ultiroam-graphql simulate --traffic-interval 0``): ``steady``, and
    ``flappy``, killed (SIGKILL) every ``--flap-interval`` s, left down ``--down-seconds`` and
    started again, so the facade sees it go away and come back;
  * one facade (``ultiroam-graphql serve --config``) over both, each with a ``push_token``;
    broker ``memory://``, or ``--broker redis://127.0.0.1:6379/15`` with a unique prefix whose
    keys are deleted afterwards.

For ``--duration`` seconds it runs, concurrently:
  * ``--query-workers`` GraphQL query loops: ``smsResults`` over both gateways with port, status
    and number filters, and the port state of both gateways;
  * webhook pushes at ``--push-rate`` a second, alternating gateways, each one distinct
    ``sms_result`` element with a unique ``user_id``, so each must reach a subscriber once; sent
    on a fixed schedule by ``--push-workers`` kept-alive connections (``--fresh-connections``:
    a new one per push, as many devices do), a push waiting while every worker is busy;
  * ``--subscribers`` WebSocket subscribers (graphql-transport-ws, ``smsResults``, no filter),
    each living a random 5-30 s and then replaced; each records the user ids it receives.

How loss is counted, per subscriber. Its window opens ``--grace`` s after it sent ``subscribe``
(later if its first event was accepted later: events fan out in publish order, so that event proves
it was registered) and closes when it decides to leave. Expected = pushes whose request started
after the window opened and whose 200 arrived before it closed. After deciding to leave it keeps
reading until it receives a push that was *started* after that moment (which was published after
everything expected, so nothing expected is still in flight), or ``--drain`` s pass. Lost =
expected but never received; duplicates = a user id received twice. A subscriber whose stream
ended early (error, close) is "broken" and its losses are reported apart.

Also reported: push and query latencies and statuses (pushes that opened a connection apart from
those on a kept-alive one), the queue wait, 5xx counts (must be 0), GraphQL error codes
(GATEWAY_UNAVAILABLE is expected while ``flappy`` is down), push-to-subscriber latency (sampled),
this script's own event-loop lag and CPU (it shares the machine), the facade's ERROR/WARNING log
lines, and the facade's RSS and CPU every 10 s (from /proc/<pid>) with a plateau verdict: mean RSS
of the last third of the samples over the middle third, <= 1.10 counts as a plateau.

Writes ``benchmarks/results/soak-<timestamp>.json``. Exits 1 when any 5xx was answered or any
accepted push was lost for a subscriber that stayed connected throughout; else 0.

    .venv/bin/python benchmarks/soak.py                     # ten minutes, memory:// broker
    .venv/bin/python benchmarks/soak.py --duration 60
    .venv/bin/python benchmarks/soak.py --duration 60 --broker redis://127.0.0.1:6379/15
    .venv/bin/python benchmarks/soak.py --duration 60 --fresh-connections
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import platform
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from array import array
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

HOST = "127.0.0.1"
TOKEN = "soak-push-token"
GATEWAYS = ("steady", "flappy")
RESULTS = Path(__file__).resolve().parent / "results"
SUBSCRIPTION = "subscription { smsResults { userId gateway { id } cursor } }"
QUERIES = [
    """{ smsResults(gatewayIds: ["steady", "flappy"],
         filter: {ports: [0, 1, 2, 3], statuses: [SENDING, SENT_OK, DELIVERED, FAILED]}) {
         gateway { id } port { index } number status userId time } }""",
    """{ a: gateway(id: "steady") { ports { index state { registration signal imsi } } }
         b: gateway(id: "flappy") { ports { index state { registration signal imsi } } } }""",
    """{ smsResults(filter: {numbers: ["+33612345678", "0698765432"], statuses: [DELIVERED]})
         { gateway { id } number status time } gateways { id sn portCount } }""",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class Child:
    """One ``python -m ultiroam_graphql`` process, its output appended to a log file."""

    args: list[str]
    port: int
    log: Path
    process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "ultiroam_graphql", *self.args, stdout=output, stderr=output
            )
        for _ in range(400):  # bounded: 20 s
            if self.process.returncode is not None:
                raise RuntimeError(f"{self.args[0]} exited: see {self.log}")
            with socket.socket() as sock:
                if sock.connect_ex((HOST, self.port)) == 0:
                    return
            await asyncio.sleep(0.05)
        raise RuntimeError(f"nothing listens on {self.port}: see {self.log}")

    async def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.returncode is None:
            self.process.send_signal(sig)
            await asyncio.wait_for(self.process.wait(), 15)


@dataclass
class Sub:
    subscribed: float = 0.0  # when it sent ``subscribe``
    leave: float = 0.0  # when it decided to leave: its window closes
    received: array = field(default_factory=lambda: array("q"))
    fenced: bool = False  # it saw a push started after ``leave``: nothing expected in flight
    broken: str | None = None  # why its stream ended early, if it did


@dataclass
class Stats:
    pushes: list[tuple[float, float, int]] = field(default_factory=list)  # started, 200 at, uid
    sent_at: dict[int, float] = field(default_factory=dict)
    push_status: Counter = field(default_factory=Counter)
    push_latency: list[float] = field(default_factory=list)
    push_wait: list[float] = field(default_factory=list)  # scheduled -> a worker sends it
    new_conn_latency: list[float] = field(default_factory=list)  # pushes that opened a connection
    reused_latency: list[float] = field(default_factory=list)  # pushes on a kept-alive one
    gql_status: Counter = field(default_factory=Counter)
    gql_codes: Counter = field(default_factory=Counter)
    gql_latency: list[float] = field(default_factory=list)
    gql_times: list[tuple[float, bool]] = field(default_factory=list)  # started, unavailable?
    subs: list[Sub] = field(default_factory=list)
    sub_connect_errors: Counter = field(default_factory=Counter)
    delivery_latency: array = field(default_factory=lambda: array("d"))
    samples: list[dict] = field(default_factory=list)
    loop_lag: list[float] = field(default_factory=list)
    flaps: list[tuple[float, float]] = field(default_factory=list)  # killed, back up
    started: float = 0.0
    backlog_dropped: int = 0  # pushes still waiting for a worker when the run ended
    facade_exit: int | None = None  # the facade's exit status, had it died during the run


PCTS = (("p50", 0.5), ("p99", 0.99), ("max", 1.0))


def pct(values, q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3) if ordered else None


async def pusher(args, api: str, stats: Stats, deadline: float) -> None:
    """A schedule of ``--push-rate`` pushes a second, sent by ``--push-workers`` connections.

    Each worker sends one push at a time, on a kept-alive connection unless
    ``--fresh-connections``; a push waits in the queue while every worker is busy (its wait is
    reported), so the schedule never slows down and the client never piles up requests.
    """
    due: asyncio.Queue[tuple[int, float]] = asyncio.Queue()
    keep = 0 if args.fresh_connections else args.push_workers  # devices often do not keep-alive
    limits = httpx.Limits(
        max_connections=args.push_workers, max_keepalive_connections=keep, keepalive_expiry=2
    )
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:

        async def worker() -> None:
            while (item := await due.get()) is not None:
                uid, scheduled = item
                gateway = GATEWAYS[uid % 2]
                now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
                element = {"port": uid % 32, "number": f" +3361{uid:07d} ", "time": now}
                element |= {"status": "SENT_OK", "count": 1, "succ_count": 1, "user_id": uid}
                body = {"sn": f"soak-{gateway}", "sms_result": [element]}
                opened: list[str] = []  # httpx's trace: did this push open a connection?

                async def trace(name: str, info: dict, opened: list[str] = opened) -> None:
                    if name == "connection.connect_tcp.started":
                        opened.append(name)

                stats.sent_at[uid] = started = time.monotonic()
                stats.push_wait.append(started - scheduled)
                try:
                    response = await client.post(
                        f"{api}/push/{gateway}?token={TOKEN}",
                        json=body,
                        extensions={"trace": trace},
                    )
                except httpx.HTTPError as exc:
                    stats.push_status[type(exc).__name__] += 1
                    continue
                done = time.monotonic()
                stats.push_status[response.status_code] += 1
                stats.push_latency.append(done - started)
                (stats.new_conn_latency if opened else stats.reused_latency).append(done - started)
                if response.status_code == 200:
                    stats.pushes.append((started, done, uid))

        workers = [asyncio.create_task(worker()) for _ in range(args.push_workers)]
        uid, start = 0, time.monotonic()
        while (now := time.monotonic()) < deadline:
            while uid + 1 <= (now - start) * args.push_rate:  # every push due, even if late
                uid += 1
                due.put_nowait((uid, start + uid / args.push_rate))
            await asyncio.sleep(start + (uid + 1) / args.push_rate - now)  # the next one due
        while not due.empty():  # the backlog the facade could not take in time is not sent
            due.get_nowait()
            stats.backlog_dropped += 1
        for _ in workers:
            due.put_nowait(None)
        await asyncio.gather(*workers)


async def querier(api: str, stats: Stats, deadline: float) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                response = await client.post(
                    f"{api}/graphql", json={"query": random.choice(QUERIES)}
                )
            except httpx.HTTPError as exc:
                stats.gql_status[type(exc).__name__] += 1
                await asyncio.sleep(0.5)
                continue
            stats.gql_latency.append(time.monotonic() - started)
            stats.gql_status[response.status_code] += 1
            codes = set()
            with contextlib.suppress(ValueError):
                for error in response.json().get("errors") or []:
                    codes.add((error.get("extensions") or {}).get("code", "NONE"))
            stats.gql_codes.update(codes)  # per request: how many requests saw each code
            stats.gql_times.append((started, "GATEWAY_UNAVAILABLE" in codes))
            await asyncio.sleep(0.05)


async def subscriber_slot(args, ws_url: str, stats: Stats, deadline: float) -> None:
    """One of the ``--subscribers`` slots: a subscriber, then its replacement, until the end."""
    await asyncio.sleep(random.uniform(0, 2))  # do not open every socket in the same instant
    while (now := time.monotonic()) < deadline - 7:
        sub = Sub(leave=min(now + random.uniform(5, 30), deadline - 2))
        try:
            await live_subscriber(args, ws_url, sub, stats)
        except Exception as exc:
            if not sub.subscribed:
                stats.sub_connect_errors[type(exc).__name__] += 1
                await asyncio.sleep(1)
                continue
            sub.broken = sub.broken or f"{type(exc).__name__}: {exc}"[:200]
        stats.subs.append(sub)


async def live_subscriber(args, ws_url: str, sub: Sub, stats: Stats) -> None:
    async with connect(ws_url, subprotocols=["graphql-transport-ws"], open_timeout=20) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 20))
        if ack.get("type") != "connection_ack":
            raise RuntimeError(f"no connection_ack: {ack}")
        await ws.send(
            json.dumps({"type": "subscribe", "id": "1", "payload": {"query": SUBSCRIPTION}})
        )
        sub.subscribed = time.monotonic()
        sample = random.random() < 0.1  # one subscriber in ten records delivery latencies
        with contextlib.suppress(TimeoutError):  # one timer for the whole life, not per message
            async with asyncio.timeout_at(max(sub.leave, sub.subscribed) + args.drain):
                async for raw in ws:
                    message = json.loads(raw)
                    kind = message.get("type")
                    if kind == "next" and message["payload"].get("data"):
                        uid = message["payload"]["data"]["smsResults"]["userId"]
                        sub.received.append(uid)
                        sent = stats.sent_at.get(uid, 0.0)
                        if sample:
                            stats.delivery_latency.append(time.monotonic() - sent)
                        if sent > sub.leave:
                            sub.fenced = True
                            break
                    elif kind == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    elif kind in ("next", "error", "complete"):
                        sub.broken = json.dumps(message)[:300]
                        return
                else:
                    sub.broken = "the server closed the connection"
                    return
        await ws.send(json.dumps({"type": "complete", "id": "1"}))


async def flapper(args, child: Child, stats: Stats, deadline: float) -> None:
    while time.monotonic() + args.flap_interval < deadline:
        await asyncio.sleep(args.flap_interval - args.down_seconds)
        killed = time.monotonic()
        await child.stop(signal.SIGKILL)
        await asyncio.sleep(args.down_seconds)
        await child.start()
        stats.flaps.append((killed - stats.started, time.monotonic() - stats.started))


def proc_sample(pid: int) -> tuple[int, float]:
    """(VmRSS in KiB, user + system CPU seconds) of a process, from /proc."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return rss, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


async def sampler(facade: Child, stats: Stats, started: float, deadline: float) -> None:
    """Every 10 s: the facade's RSS and CPU share, this script's CPU share, the load average."""
    pid, last = facade.process.pid, None
    while True:
        now = time.monotonic()
        if facade.process.returncode is not None:
            stats.facade_exit = facade.process.returncode
            return
        (rss, cpu), own = proc_sample(pid), proc_sample(os.getpid())[1]
        sample = {"t": round(now - started, 1), "rss_mib": round(rss / 1024, 1)}
        if last is not None:  # CPU shares over the last interval
            sample["facade_cpu_percent"] = round(100 * (cpu - last[0]) / (now - last[2]))
            sample["soak_py_cpu_percent"] = round(100 * (own - last[1]) / (now - last[2]))
        stats.samples.append(sample | {"loadavg_1m": loadavg()})
        last = cpu, own, now
        if now >= deadline:
            return
        await asyncio.sleep(min(10.0, deadline - now))


async def lag_monitor(stats: Stats, deadline: float) -> None:
    """How late this script's own loop wakes up: large values mean the load generator lags."""
    while time.monotonic() < deadline:
        before = time.monotonic()
        await asyncio.sleep(0.1)
        stats.loop_lag.append(time.monotonic() - before - 0.1)


def analyse(args, stats: Stats) -> dict:
    pushes = sorted(stats.pushes)
    starts = [p[0] for p in pushes]
    accepted_at = {uid: done for _, done, uid in pushes}
    keys = ("subscribers", "expected", "lost")
    totals = Counter({f"{group}_{key}": 0 for group in ("intact", "broken") for key in keys})
    totals.update(dict.fromkeys(("received", "duplicates", "drain_timeouts"), 0))
    details: list[dict] = []
    for sub in stats.subs:
        got = Counter(sub.received)
        opens = sub.subscribed + args.grace
        if sub.received and sub.received[0] in accepted_at:
            opens = max(opens, accepted_at[sub.received[0]])
        lo, hi = bisect.bisect_left(starts, opens), bisect.bisect_right(starts, sub.leave)
        expected = [(s, uid) for s, done, uid in pushes[lo:hi] if done <= sub.leave]
        missing = [s for s, uid in expected if uid not in got]
        group = "broken" if sub.broken else "intact"
        totals[f"{group}_subscribers"] += 1
        totals[f"{group}_expected"] += len(expected)
        totals[f"{group}_lost"] += len(missing)
        totals["received"] += len(sub.received)
        totals["duplicates"] += sum(n - 1 for n in got.values() if n > 1)
        totals["drain_timeouts"] += not sub.fenced and not sub.broken
        if missing or sub.broken:
            detail = {"expected": len(expected), "lost": len(missing), "broken": sub.broken}
            if missing:  # at the edges of the window or in its middle?
                detail["first_lost_s_after_open"] = round(missing[0] - opens, 2)
                detail["last_lost_s_before_close"] = round(sub.leave - missing[-1], 2)
            details.append(detail)
    rss = [s["rss_mib"] for s in stats.samples]
    third = len(rss) // 3
    ratio = None
    if third:
        ratio = round(statistics.mean(rss[-third:]) / statistics.mean(rss[third : 2 * third]), 3)
    statuses = [*stats.push_status.items(), *stats.gql_status.items()]
    return {
        "pushes": {
            "scheduled": sum(stats.push_status.values()) + stats.backlog_dropped,
            "sent": sum(stats.push_status.values()),
            "accepted": stats.push_status[200],
            "accepted_per_s": round(stats.push_status[200] / args.duration, 1),
            "statuses": {str(k): v for k, v in stats.push_status.items()},
            "latency_s": {q: pct(stats.push_latency, v) for q, v in PCTS},
            "queue_wait_s": {q: pct(stats.push_wait, v) for q, v in PCTS},
            "on_new_connection": len(stats.new_conn_latency),
            "latency_on_new_connection_s": {q: pct(stats.new_conn_latency, v) for q, v in PCTS},
            "latency_on_kept_alive_connection_s": {
                q: pct(stats.reused_latency, v) for q, v in PCTS
            },
        },
        "subscribers": {
            **totals,
            "connect_errors": dict(stats.sub_connect_errors),
            "delivery_latency_s": {q: pct(stats.delivery_latency, v) for q, v in PCTS},
            "with_loss_or_broken": details[:30],
        },
        "graphql": {
            "requests": sum(stats.gql_status.values()),
            "statuses": {str(k): v for k, v in stats.gql_status.items()},
            "requests_with_error_code": dict(stats.gql_codes),
            "latency_s": {q: pct(stats.gql_latency, v) for q, v in PCTS},
        },
        "facade_died_with": stats.facade_exit,
        "five_xx": sum(n for code, n in statuses if isinstance(code, int) and code >= 500),
        "gateway_down_s": [[round(a, 1), round(b, 1)] for a, b in stats.flaps],
        "timeline": timeline(stats, max(5.0, args.duration // 30)),
        "soak_py_loop_lag_s": {q: pct(stats.loop_lag, v) for q, v in PCTS},
        "facade": {
            "samples": stats.samples,
            "rss_last_over_middle_third": ratio,
            "verdict": "n/a" if ratio is None else "plateau" if ratio <= 1.10 else "GROWING",
        },
    }


def timeline(stats: Stats, step: float) -> list[str]:
    """Per ``step`` s of the run: pushes accepted (by start) and their slowest answer, and how
    many queries answered GATEWAY_UNAVAILABLE (compare with ``gateway_down_s``)."""
    pushes: dict[int, list[float]] = {}
    for started, done, _ in stats.pushes:
        pushes.setdefault(int((started - stats.started) // step), []).append(done - started)
    queries: dict[int, list[bool]] = {}
    for started, unavailable in stats.gql_times:
        queries.setdefault(int((started - stats.started) // step), []).append(unavailable)
    return [
        f"{k * step:>5.0f}s: {len(v):>4} pushes accepted, slowest 200 after {max(v):5.2f} s; "
        f"{sum(queries.get(k, []))}/{len(queries.get(k, []))} queries GATEWAY_UNAVAILABLE"
        for k, v in sorted(pushes.items())
    ]


def log_summary(log: Path) -> dict:
    """The facade's ERROR and WARNING lines: counts and the most frequent ones."""
    text = log.read_text(errors="replace")
    lines = [line for line in text.splitlines() if line.startswith(("ERROR", "WARNING"))]
    return {
        "errors": sum(line.startswith("ERROR") for line in lines),
        "warnings": sum(line.startswith("WARNING") for line in lines),
        "tracebacks": text.count("Traceback (most recent call last)"),
        "most_common": [f"{n} x {line[:150]}" for line, n in Counter(lines).most_common(6)],
    }


def git_state() -> str:
    """The commit the facade ran from, and whether its code had uncommitted changes."""

    def git(*args: str) -> str:
        run = subprocess.run(["git", *args], capture_output=True, text=True, cwd=RESULTS.parent)
        return run.stdout.strip()

    return git("rev-parse", "--short", "HEAD") + (
        " + changes" if git("status", "-s", "plugin") else ""
    )


async def drop_redis_keys(url: str, prefix: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(url)
    try:
        async for key in client.scan_iter(match=f"{prefix}*"):
            await client.delete(key)
    finally:
        await client.aclose()


async def run(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="ultiroam-soak-"))
    ports = {name: free_port() for name in (*GATEWAYS, "api")}
    api, prefix = f"http://{HOST}:{ports['api']}", f"soak-{uuid.uuid4().hex[:8]}"
    sims = {
        name: Child(
            f"simulate --port {ports[name]} --traffic-interval 0 --seed {seed}".split(),
            ports[name],
            tmp / f"simulate-{name}.log",
        )
        for seed, name in enumerate(GATEWAYS, 1)
    }
    config = tmp / "soak.toml"
    config.write_text(
        f'[server]\nhost = "{HOST}"\nport = {ports["api"]}\nstate_dir = "{tmp}"\n\n'
        f'[broker]\nurl = "{args.broker}"\nprefix = "{prefix}"\n'
        + "".join(
            f'\n[[gateways]]\nid = "{name}"\nurl = "http://{HOST}:{ports[name]}"\n'
            f'password = "admin"\npush_token = "{TOKEN}"\ninbox_poll_interval = 0\ntimeout = 5.0\n'
            for name in GATEWAYS
        )
    )
    serve = f"serve --config {config} --log-level warning".split()
    facade = Child(serve, ports["api"], tmp / "serve.log")
    stats = Stats()
    try:
        for child in (*sims.values(), facade):
            await child.start()
        started = stats.started = time.monotonic()
        deadline = started + args.duration
        print(
            f"soak: {args.duration:.0f} s; facade pid {facade.process.pid}; logs in {tmp}",
            flush=True,
        )
        ws_url = f"ws://{HOST}:{ports['api']}/graphql"
        await asyncio.gather(
            sampler(facade, stats, started, deadline),
            lag_monitor(stats, deadline),
            pusher(args, api, stats, deadline),
            flapper(args, sims["flappy"], stats, deadline),
            *(querier(api, stats, deadline) for _ in range(args.query_workers)),
            *(subscriber_slot(args, ws_url, stats, deadline) for _ in range(args.subscribers)),
        )
    finally:
        for child in (facade, *sims.values()):
            await child.stop()
        if args.broker.startswith("redis"):
            await drop_redis_keys(args.broker, prefix)
    report = analyse(args, stats)
    report["facade_log"] = log_summary(facade.log)
    machine = {"nproc": os.cpu_count(), "python": platform.python_version(), "code": git_state()}
    report["setup"] = {**vars(args), **machine, "logs": str(tmp), "redis_prefix": prefix}
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600.0, help="seconds (default 600)")
    parser.add_argument("--push-rate", type=float, default=50.0, help="pushes a second")
    parser.add_argument("--push-workers", type=int, default=32, help="push connections")
    parser.add_argument(
        "--fresh-connections", action="store_true", help="a new connection for every push"
    )
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--query-workers", type=int, default=4)
    parser.add_argument("--broker", default="memory://", help="or redis://127.0.0.1:6379/15")
    parser.add_argument("--flap-interval", type=float, default=20.0)
    parser.add_argument("--down-seconds", type=float, default=5.0)
    parser.add_argument("--grace", type=float, default=1.0, help="s after subscribing")
    parser.add_argument("--drain", type=float, default=60.0, help="s to wait after leaving")
    args = parser.parse_args()
    if not args.broker.startswith(("memory://", "redis://127.0.0.1", "redis://localhost")):
        parser.error("--broker must be memory:// or a redis:// URL on loopback")
    if args.duration < 15:
        parser.error("--duration must be at least 15 s")
    report = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"soak-{datetime.now():%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(report, indent=2))
    pushes, subs, gql, facade = (report[k] for k in ("pushes", "subscribers", "graphql", "facade"))
    log = report["facade_log"]
    print(
        f"pushes: {pushes}\nsubscribers: {dict(subs, with_loss_or_broken='...')}\n"
        f"graphql: {gql}\nflappy down (s into the run): {report['gateway_down_s']}\n"
        f"soak.py event-loop lag: {report['soak_py_loop_lag_s']}\n" + "\n".join(report["timeline"])
    )
    for key in ("rss_mib", "facade_cpu_percent", "soak_py_cpu_percent", "loadavg_1m"):
        print(f"{key:>20}: " + " ".join(str(s.get(key, "-")) for s in facade["samples"]))
    print(
        f"RSS mean of last third / middle third = {facade['rss_last_over_middle_third']} -> "
        f"{facade['verdict']}\nfacade log: {log['errors']} ERROR, {log['warnings']} WARNING, "
        f"{log['tracebacks']} tracebacks: {log['most_common']}\n"
        f"5xx: {report['five_xx']}; lost (intact subscribers): {subs['intact_lost']}; report: {out}"
    )
    failed = report["five_xx"] > 0 or subs["intact_lost"] > 0
    if report["facade_died_with"] is not None:
        print(f"the facade died during the run (status {report['facade_died_with']})")
        failed = True
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
