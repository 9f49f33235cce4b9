"""Small operations: ``{ gateways { id portCount } }`` on the facade against a plain route (#10).

The facade (``create_app`` over a config naming one simulated gateway) and ``apps/static_app.py``
(a plain Starlette route answering the very bytes the facade answered) run on uvicorn with
``--loop uvloop --http httptools`` and one worker each. wrk, a separate process, POSTs the query
at each in turn with the same threads and connections: a warm-up, then ABBA rounds; medians.
Prints requests per second of both and the ratio (target: >= 0.60); writes
``results/small_ops-<time>.json``. ``--profile S`` also samples the facade with py-spy for S
seconds under the same load and prints where its time goes, by function.

    .venv/bin/python benchmarks/small_ops.py
    .venv/bin/python benchmarks/small_ops.py --rounds 5 --profile 10
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

QUERY = "{ gateways { id portCount } }"
TARGET = 0.60


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    sim = common.simulator("sim", tmp)
    config = common.write_config(tmp, {"office": sim})
    facade = common.facade(tmp, config)
    request = json.dumps({"query": QUERY}).encode()
    answer_file = tmp / "answer.json"
    static = common.uvicorn(
        "static", "static_app:app", tmp, env={"BENCH_BODY_FILE": str(answer_file)}
    )
    with common.running(sim, facade):
        reply = httpx.post(
            facade.url + "/graphql", content=request, headers={"content-type": "application/json"}
        )
        reply.raise_for_status()
        if "errors" in reply.json():
            raise RuntimeError(f"the facade answered errors: {reply.text}")
        answer_file.write_bytes(reply.content)
        with common.running(static):
            script = httpload.wrk_script(tmp, "small", request)
            load = httpload.Load(
                threads=args.threads,
                connections=args.connections,
                warmup=args.warmup,
                seconds=args.seconds,
                min_requests=0,
                max_seconds=args.seconds,
                rounds=args.rounds,
            )
            result = httpload.compare(facade, static, script, load)
            ours, base = result["ours"], result["baseline"]
            value = common.print_ratio(
                "small operation (requests/s)",
                ours["rps_median"],
                base["rps_median"],
                "req/s",
                f">= {TARGET}",
            )
            print(
                f"  server CPU per request: ours {ours['server_cpu_ms_per_request']} ms, "
                f"baseline {base['server_cpu_ms_per_request']} ms",
                flush=True,
            )
            out: dict[str, Any] = {"query": QUERY, "answer": reply.text, **result}
            out |= {"ratio": value, "target": TARGET, "meets_target": value >= TARGET}
            if args.profile:
                out_file = tmp / "profile-small.txt"
                out["profile"] = profiling.under_wrk(facade, script, load, args.profile, out_file)
                profiling.print_summary("the facade, small operation", out["profile"])
    return out


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="ABBA rounds (default 3)")
    parser.add_argument("--seconds", type=float, default=5.0, help="per wrk run (default 5)")
    parser.add_argument("--warmup", type=float, default=3.0, help="wrk warm-up per server (3)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument(
        "--profile", type=float, default=0, metavar="S", help="py-spy the facade for S seconds"
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds, args.warmup = 1, 1.0, 1.0
    return args


def main(argv: list[str] | None = None) -> int:
    return httpload.run_with_wrk("small_ops", parse(argv), measure)


if __name__ == "__main__":
    sys.exit(main())
