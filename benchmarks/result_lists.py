"""Result lists: ``smsResults`` with every field, facade against a hand-written proxy (issue #10).

One simulated gateway per size (``--sizes``, results held by each), the facade over all of them,
and ``apps/proxy_app.py``: Starlette + httpx (``DigestAuth``) + orjson making the same
``query_sms_result`` call and mapping to the same JSON. Both answers are checked byte-equal once,
then wrk POSTs the query at each server in turn (ABBA rounds, medians). Prints requests per
second of both, the ratio (targets: >= 0.70 at 100 results, >= 0.50 at 3,000), server and gateway
CPU per request; writes ``results/result_lists-<time>.json``. ``--profile`` also samples the
facade with py-spy under the same load and prints where its time goes, by function.

    .venv/bin/python benchmarks/result_lists.py
    .venv/bin/python benchmarks/result_lists.py --sizes 100 --rounds 5 --profile
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import common
import httpload
import httpx
import profiling

FIELDS = "number userId time status rawStatus count succCount refId imsi cursor"
QUERY = (
    "query Results($ids: [ID!]) { smsResults(gatewayIds: $ids) "
    f"{{ {FIELDS} port {{ index }} gateway {{ id }} }} }}"
)
TARGETS = {100: 0.70, 3000: 0.50}


def body(size: int) -> bytes:
    return json.dumps({"query": QUERY, "variables": {"ids": [f"r{size}"]}}).encode()


def same_answer(facade: common.Proc, proxy: common.Proc, size: int) -> int:
    """Both servers answer the same bytes, with ``size`` results; raises otherwise."""
    headers = {"content-type": "application/json"}
    ours, theirs = (
        httpx.post(p.url + "/graphql", content=body(size), headers=headers, timeout=120).content
        for p in (facade, proxy)
    )
    count = len(json.loads(ours)["data"]["smsResults"])
    if ours != theirs:
        at = next(i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b)
        raise RuntimeError(
            f"answers differ at byte {at}:\n ours {ours[at - 80 : at + 80]!r}\n"
            f" base {theirs[at - 80 : at + 80]!r}"
        )
    if count != size:
        raise RuntimeError(f"expected {size} results, the facade answered {count}")
    return len(ours)


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    sims = {size: common.simulator(f"sim-{size}", tmp, results=size) for size in args.sizes}
    config = common.write_config(tmp, {f"r{size}": sim for size, sim in sims.items()})
    facade = common.facade(tmp, config)
    proxy = common.uvicorn("proxy", "proxy_app:app", tmp, env={"BENCH_CONFIG": str(config)})
    load = httpload.Load(
        threads=args.threads,
        connections=args.connections,
        warmup=args.warmup,
        seconds=args.seconds,
        min_requests=args.min_requests,
        max_seconds=args.max_seconds,
        rounds=args.rounds,
    )
    out: dict[str, Any] = {"sizes": {}}
    with common.running(*sims.values(), facade, proxy):
        for size, sim in sims.items():
            answer_bytes = same_answer(facade, proxy, size)
            script = httpload.wrk_script(tmp, f"results-{size}", body(size))
            result = httpload.compare(facade, proxy, script, load, gateway=sim)
            ours, base = result["ours"], result["baseline"]
            target = TARGETS.get(size)
            value = common.print_ratio(
                f"smsResults x {size} (requests/s)",
                ours["rps_median"],
                base["rps_median"],
                "req/s",
                f">= {target}" if target else "none",
            )
            print(
                f"  server CPU per request: ours {ours['server_cpu_ms_per_request']} ms, "
                f"baseline {base['server_cpu_ms_per_request']} ms; gateway (simulator) "
                f"{result['gateway_cpu_ms_per_request']} ms; answer {answer_bytes} bytes",
                flush=True,
            )
            row = result | {"ratio": value, "target": target, "answer_bytes": answer_bytes}
            row["meets_target"] = None if target is None else value >= target
            if args.profile:
                out_file = tmp / f"profile-results-{size}.txt"
                row["profile"] = profiling.under_wrk(facade, script, load, args.profile, out_file)
                profiling.print_summary(f"the facade, smsResults x {size}", row["profile"])
            out["sizes"][str(size)] = row
    return out


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,3000", help="results per query (default 100,3000)")
    parser.add_argument("--rounds", type=int, default=3, help="ABBA rounds (default 3)")
    parser.add_argument("--seconds", type=float, default=5.0, help="least per wrk run (5)")
    parser.add_argument(
        "--min-requests", type=int, default=30, help="runs last long enough for this many (30)"
    )
    parser.add_argument("--max-seconds", type=float, default=15.0, help="most per wrk run (15)")
    parser.add_argument("--warmup", type=float, default=2.0, help="wrk warm-up per server (2)")
    parser.add_argument("--connections", type=int, default=2, help="wrk connections (2)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument(
        "--profile", type=float, default=0, metavar="S", help="py-spy the facade for S seconds"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    args.sizes = [int(size) for size in args.sizes.split(",")]
    if args.quick:
        args.rounds, args.seconds, args.warmup = 1, 1.0, 1.0
        args.min_requests, args.max_seconds = 3, 3.0
        if args.sizes == [100, 3000]:
            args.sizes = [100, 1000]
    return args


def main(argv: list[str] | None = None) -> int:
    return httpload.run_with_wrk("result_lists", parse(argv), measure)


if __name__ == "__main__":
    sys.exit(main())
