"""Scaling curve: the cost of ``smsResults`` for 10 to 10,000 results (issue #10).

One simulated gateway per size (``--sizes``), the facade and the hand-written proxy of
``result_lists.py`` over them; answers checked byte-equal once per size. Then, per size, one
request at a time on one kept-alive connection, each server in turn (ABBA rounds), the median
time per request and the server's CPU per request. The table shows whether the cost grows
linearly with the results (steady microseconds per result) or worse. The fan-out curve (1 to
1,000 subscribers) is ``fanout.py``'s. Writes ``results/scaling-<time>.json``.

    .venv/bin/python benchmarks/scaling.py
    .venv/bin/python benchmarks/scaling.py --sizes 10,100,1000,10000,30000
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import common
import httpx
import result_lists


def timed(
    client: httpx.Client, server: common.Proc, size: int, count: int
) -> tuple[list[float], float]:
    """``count`` requests one after the other: their times (ms) and the server's CPU (ms each)."""
    headers = {"content-type": "application/json"}
    times = []
    cpu = server.cpu()
    for _ in range(count):
        started = time.perf_counter()
        reply = client.post(
            server.url + "/graphql", content=result_lists.body(size), headers=headers
        )
        reply.raise_for_status()
        times.append(1000 * (time.perf_counter() - started))
    return times, 1000 * (server.cpu() - cpu) / count


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    sims = {size: common.simulator(f"sim-{size}", tmp, results=size) for size in args.sizes}
    config = common.write_config(tmp, {f"r{size}": sim for size, sim in sims.items()})
    facade = common.facade(tmp, config)
    proxy = common.uvicorn("proxy", "proxy_app:app", tmp, env={"BENCH_CONFIG": str(config)})
    rows = []
    with common.running(*sims.values(), facade, proxy), httpx.Client(timeout=300) as client:
        for size in args.sizes:
            result_lists.same_answer(facade, proxy, size)
            servers = {"ours": facade, "baseline": proxy}
            first, _ = timed(client, facade, size, 1)
            count = min(max(args.least, round(args.seconds * 1000 / first[0])), args.most)
            times: dict[str, list[float]] = {side: [] for side in servers}
            cpu: dict[str, list[float]] = {side: [] for side in servers}
            for index in range(args.rounds):
                order = list(servers) if index % 2 == 0 else list(reversed(servers))
                for side in order:
                    spent, per_request = timed(client, servers[side], size, count)
                    times[side] += spent
                    cpu[side].append(per_request)
            row = {"results": size, "requests_each": count * args.rounds}
            for side in servers:
                row[f"{side}_ms"] = round(statistics.median(times[side]), 2)
                row[f"{side}_cpu_ms"] = round(statistics.median(cpu[side]), 2)
                row[f"{side}_us_per_result"] = round(1000 * row[f"{side}_cpu_ms"] / size, 1)
            rows.append(row)
            common.print_ratio(
                f"smsResults x {size}, one request at a time (requests/s)",
                1000 / row["ours_ms"],
                1000 / row["baseline_ms"],
                "req/s",
                "none; the curve's shape is what counts",
            )
    print(
        f"{'results':>8} {'ours ms':>9} {'base ms':>9} {'ours CPU':>9} {'base CPU':>9} "
        f"{'ours us/result':>15} {'base us/result':>15}"
    )
    for row in rows:
        print(
            f"{row['results']:>8} {row['ours_ms']:>9} {row['baseline_ms']:>9} "
            f"{row['ours_cpu_ms']:>9} {row['baseline_cpu_ms']:>9} "
            f"{row['ours_us_per_result']:>15} {row['baseline_us_per_result']:>15}"
        )
    return {"rows": rows}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,10000", help="results per query")
    parser.add_argument("--rounds", type=int, default=2, help="ABBA rounds (default 2)")
    parser.add_argument("--seconds", type=float, default=3.0, help="ours per size and round")
    parser.add_argument("--least", type=int, default=3, help="fewest requests per round (3)")
    parser.add_argument("--most", type=int, default=100, help="most requests per round (100)")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.rounds, args.seconds, args.least, args.most = "10,100,1000", 1, 0.3, 2, 10
    args.sizes = [int(size) for size in args.sizes.split(",")]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    common.run("scaling", args, measure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
