"""Fan-out: one pushed event reaching N WebSocket subscribers of the same document (issue #10).

Two servers, each measured by the same client (``wsclient.py``, a separate process, one
``graphql-transport-ws`` connection and subscription per subscriber):

* the facade (``create_app`` over a config; memory broker), which today executes the
  subscription once per subscriber and event: the naive figure;
* ``apps/broadcast_app.py``, a bare Starlette WebSocket broadcast of one pre-serialised frame
  per connection: the baseline.

Curve: for each N in ``--subscribers`` the client pushes events one at a time (the next once
every subscriber received the last) and reads the server's CPU time from /proc. CPU per event
against N is a line; its slope is the CPU per further subscriber per event, the figure compared.
Sustained: ``--live`` subscribers while ``--rate`` results a second are pushed for
``--seconds``: every event must reach every subscriber; push-to-frame p50/p99 (target p99 <
200 ms). Writes ``results/fanout-<time>.json``. ``--profile S`` samples the facade with py-spy
during the first S seconds of its sustained run.

    .venv/bin/python benchmarks/fanout.py
    .venv/bin/python benchmarks/fanout.py --subscribers 1,100,1000 --live 500 --seconds 20
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

import common
import profiling
import subscribers

P99_TARGET_MS = 200.0


def events_for(n: int, args: argparse.Namespace) -> int:
    """Enough events that the CPU figure is well above the clock tick, for every N."""
    return min(max(round(args.deliveries / n), args.min_events), args.max_events)


def curve(args: argparse.Namespace, servers: dict[str, common.Proc]) -> dict[str, Any]:
    rows: dict[str, list[dict[str, Any]]] = {side: [] for side in servers}
    uid = 1_000_000
    for n in args.subscribers:
        for side, server in servers.items():
            uid += 1_000_000
            events = events_for(n, args)
            result = subscribers.run(
                server, n, "closed", events=events, uid_base=uid, drain=args.drain
            )
            if result["missing"] or result["broken"]:
                raise RuntimeError(f"{side} at N={n} lost events: {result}")
            per_event_ms = 1000 * result["server_cpu_s"] / result["events"]
            row = {
                "subscribers": n,
                "events": result["events"],
                "server_cpu_s": result["server_cpu_s"],
                "cpu_ms_per_event": round(per_event_ms, 3),
                "cpu_us_per_delivery": round(1000 * per_event_ms / n, 2),
                "latency_ms": result["latency_ms"],
                "client_cpu_s": result["client_cpu_s"],
                "open_seconds": result["open_seconds"],
            }
            rows[side].append(row)
            print(
                f"  {side:<8} N={n:<5} {result['events']:>4} events: "
                f"{row['cpu_ms_per_event']:9.3f} ms CPU/event, "
                f"{row['cpu_us_per_delivery']:8.2f} us/delivery, "
                f"p50 {result['latency_ms']['p50']} ms, p99 {result['latency_ms']['p99']} ms",
                flush=True,
            )
    slopes = {}
    for side, side_rows in rows.items():
        xs = [row["subscribers"] for row in side_rows]
        ys = [row["cpu_ms_per_event"] * 1000 for row in side_rows]
        slope, intercept = statistics.linear_regression(xs, ys)
        slopes[side] = {
            "us_per_subscriber_event": round(slope, 2),
            "us_per_event": round(intercept, 1),
        }
    return {"rows": rows, "slopes": slopes}


def profiled(
    server: common.Proc, args: argparse.Namespace, options: dict[str, Any], out: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A sustained run with py-spy on the server for its first ``--profile`` seconds."""
    runs: list[dict[str, Any]] = []

    def load() -> None:
        runs.append(subscribers.run(server, args.live, "rate", **options))

    profiling.record(server.pid, out, args.profile, load)
    profile = profiling.summarise(out, requests=None)
    profiling.print_summary("the facade, sustained fan-out", profile)
    return runs[0], profile


def sustained(
    args: argparse.Namespace, servers: dict[str, common.Proc], tmp: Path
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for index, (side, server) in enumerate(servers.items()):
        options = {"rate": args.rate, "seconds": args.seconds, "drain": args.drain}
        options["uid_base"] = 100_000_000 * (index + 1)
        if args.profile and side == "ours":
            result, out["profile"] = profiled(server, args, options, tmp / "profile-fanout.txt")
        else:
            result = subscribers.run(server, args.live, "rate", **options)
        out[side] = result
        latency = result["latency_ms"]
        print(
            f"  sustained {side:<8} {args.live} subscribers x {args.rate:g}/s for "
            f"{args.seconds:g} s: delivered {result['deliveries']}/{result['expected_deliveries']}"
            f" ({result['subscribers_missing_some']} subscribers missing some), "
            f"p50 {latency['p50']} ms, p99 {latency['p99']} ms, max {latency['max']} ms,"
            f" server CPU {result['server_cpu_s']} s",
            flush=True,
        )
    return out


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    sim = common.simulator("sim", tmp)
    config = common.write_config(
        tmp, {"office": sim}, server={"max_connections": 4 * max(*args.subscribers, args.live)}
    )
    facade = common.facade(tmp, config)
    broadcast = common.uvicorn("broadcast", "broadcast_app:app", tmp)
    with common.running(sim, facade, broadcast):
        servers = {"ours": facade, "baseline": broadcast}
        fan = curve(args, servers)
        ours, base = (fan["slopes"][side]["us_per_subscriber_event"] for side in servers)
        value = common.print_ratio(
            "fan-out CPU per further subscriber per event (cost, lower is better)",
            ours,
            base,
            "us",
            "none set; ours/baseline",
        )
        live = sustained(args, servers, tmp)
    ours_live = live["ours"]
    p99 = ours_live["latency_ms"]["p99"]
    complete = ours_live["missing"] == 0 and not ours_live["broken"]
    common.print_ratio(
        f"sustained p99 push-to-frame, {args.live} subscribers x {args.rate:g}/s (latency)",
        p99 or float("nan"),
        live["baseline"]["latency_ms"]["p99"] or float("nan"),
        "ms",
        f"ours p99 < {P99_TARGET_MS:g} ms, every event delivered",
    )
    return {
        "curve": fan,
        "marginal_cost_ratio": value,
        "naive_per_subscriber_execution": {
            "note": "the facade at this commit executes the subscription once per subscriber",
            "us_per_subscriber_event": ours,
        },
        "sustained": live,
        "sustained_target": {
            "p99_ms_below": P99_TARGET_MS,
            "meets_target": complete and p99 is not None and p99 < P99_TARGET_MS,
            "every_event_delivered": complete,
        },
    }


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", default="1,10,100,500,1000", help="the curve's N")
    parser.add_argument("--deliveries", type=int, default=20_000, help="events x N per point")
    parser.add_argument("--min-events", type=int, default=20)
    parser.add_argument("--max-events", type=int, default=200)
    parser.add_argument("--live", type=int, default=500, help="sustained run: subscribers")
    parser.add_argument("--rate", type=float, default=20.0, help="sustained run: pushes/s")
    parser.add_argument("--seconds", type=float, default=10.0, help="sustained run: length")
    parser.add_argument("--drain", type=float, default=120.0, help="s to wait for stragglers")
    parser.add_argument(
        "--profile",
        type=float,
        default=0,
        metavar="S",
        help="py-spy the facade for the first S seconds of the sustained run",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    if args.quick:
        args.subscribers, args.deliveries, args.min_events, args.max_events = "1,50", 1000, 20, 20
        args.live, args.seconds, args.drain = 20, 1.0, 30.0
    args.subscribers = [int(n) for n in args.subscribers.split(",")]
    if len(args.subscribers) < 2:
        parser.error("--subscribers needs two N at least: the cost is a slope")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    common.run("fanout", args, measure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
