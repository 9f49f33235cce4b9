"""Gateway protection: how many REST calls concurrent queries cost the gateway (issue #10).

One simulated gateway (``apps/simulator_app.py``: it counts the calls it answers, at
``/bench/calls``) and the facade over it. First every distinct query is asked alone, once, for
its reference answer. Then:

* ``--queries`` identical ``smsResults`` queries at once: ``query_sms_result`` calls per query;
* the same number spread over ``--filters`` different port filters at once: calls per query,
  and every answer must equal its own filter's reference, byte for byte (sharing calls must
  never mix results up).

A facade without sharing across operations costs 1 call per query; prints our figure against
that and writes ``results/protection-<time>.json``. Exits 1 when an answer is not exact.

    .venv/bin/python benchmarks/protection.py
    .venv/bin/python benchmarks/protection.py --queries 500 --filters 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import common
import httpx

QUERY = (
    "query Results($filter: SmsResultFilter) { smsResults(filter: $filter) "
    "{ userId number status time port { index } } }"
)


def body(ports: list[int] | None) -> bytes:
    variables = {"filter": None if ports is None else {"ports": ports}}
    return json.dumps({"query": QUERY, "variables": variables}).encode()


def calls(sim: common.Proc) -> int:
    return int(httpx.get(sim.url + "/bench/calls").json().get("query_sms_result", 0))


async def at_once(url: str, bodies: list[bytes]) -> list[bytes]:
    """Every body POSTed at the same time, each on its own connection."""
    limits = httpx.Limits(max_connections=len(bodies))
    headers = {"content-type": "application/json"}
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        replies = await asyncio.gather(
            *(client.post(url, content=content, headers=headers) for content in bodies)
        )
    for reply in replies:
        reply.raise_for_status()
    return [reply.content for reply in replies]


def burst(
    sim: common.Proc, url: str, bodies: list[bytes], reference: dict[bytes, bytes]
) -> dict[str, Any]:
    before = calls(sim)
    answers = asyncio.run(at_once(url, bodies))
    made = calls(sim) - before
    wrong = sum(answer != reference[sent] for sent, answer in zip(bodies, answers, strict=True))
    return {
        "queries": len(bodies),
        "distinct": len(set(bodies)),
        "gateway_calls": made,
        "calls_per_query": round(made / len(bodies), 4),
        "answers_not_exact": wrong,
    }


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    sim = common.simulator("sim", tmp, results=args.results)
    config = common.write_config(tmp, {"office": sim})
    facade = common.facade(tmp, config)
    url = facade.url + "/graphql"
    identical = [body(None)] * args.queries
    mixed = [body([i % args.filters]) for i in range(args.queries)]
    with common.running(sim, facade):
        reference = {}
        for sent in {*identical, *mixed}:
            reply = httpx.post(url, content=sent, headers={"content-type": "application/json"})
            reply.raise_for_status()
            if "errors" in reply.json():
                raise RuntimeError(f"a reference query failed: {reply.text[:300]}")
            reference[sent] = reply.content
        same = burst(sim, url, identical, reference)
        spread = burst(sim, url, mixed, reference)
    for label, row in (("identical", same), (f"{args.filters} filters", spread)):
        print(
            f"  {label:<11} {row['queries']} queries at once: {row['gateway_calls']} "
            f"query_sms_result calls ({row['calls_per_query']} per query), "
            f"{row['answers_not_exact']} answers not exact",
            flush=True,
        )
    common.print_ratio(
        f"gateway calls per query, {args.queries} identical queries at once (lower is better)",
        same["calls_per_query"],
        1.0,
        "calls",
        "baseline = 1 call per query, no sharing",
    )
    common.print_ratio(
        f"gateway calls per query, {args.queries} queries over {args.filters} filters",
        spread["calls_per_query"],
        1.0,
        "calls",
        f"exact answers; least possible {args.filters / args.queries:.2f}",
    )
    return {"identical": same, "different_filters": spread, "filters": args.filters}


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=100, help="queries at once (100)")
    parser.add_argument("--filters", type=int, default=10, help="distinct port filters (10)")
    parser.add_argument("--results", type=int, default=500, help="results the gateway holds")
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    if args.quick:
        args.queries, args.filters, args.results = 20, 4, 200
    if not 1 <= args.filters <= min(args.queries, 32):
        parser.error("--filters must be within 1..min(--queries, 32): one port each")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    data = common.run("protection", args, measure)
    exact = data["identical"]["answers_not_exact"] + data["different_filters"]["answers_not_exact"]
    return 1 if exact else 0


if __name__ == "__main__":
    sys.exit(main())
