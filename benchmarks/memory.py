"""Memory: the RSS that 1,000 idle subscriptions add to the facade (issue #10).

For the facade (``create_app`` over a config; memory broker) and the bare broadcast baseline
(``apps/broadcast_app.py``) in turn: a warm-up (a few subscribers come, receive an event and
leave), VmRSS once it settles, then ``--subscribers`` real connections from a separate process
(``wsclient.py``, ``graphql-transport-ws``, one subscription each, every one proven registered
by a push it received), VmRSS once it settles again. Prints the bytes per subscription of both,
the ratio, and the facade's total against the target (<= 50 MiB); writes
``results/memory-<time>.json``.

    .venv/bin/python benchmarks/memory.py
    .venv/bin/python benchmarks/memory.py --subscribers 2000
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import common
import subscribers

TARGET_MIB = 50.0


def added(server: common.Proc, args: argparse.Namespace, deflate: bool) -> dict[str, Any]:
    options = {} if deflate else {"no_deflate": ""}
    with subscribers.holding(server, args.warmup_subscribers, **options):
        pass
    before = common.settled_rss(server.pid)
    with subscribers.holding(server, args.subscribers, **options) as ready:
        during = common.settled_rss(server.pid)
    after = common.settled_rss(server.pid)
    result = {
        "rss_before_mib": round(before / common.MIB, 2),
        "rss_with_subscribers_mib": round(during / common.MIB, 2),
        "rss_after_they_left_mib": round(after / common.MIB, 2),
        "added_mib": round((during - before) / common.MIB, 2),
        "bytes_per_subscription": round((during - before) / args.subscribers),
        "open_seconds": ready["open_seconds"],
    }
    variant = "deflate" if deflate else "no deflate"
    print(
        f"  {server.name:<10} {variant:<10} RSS {result['rss_before_mib']} MiB -> "
        f"{result['rss_with_subscribers_mib']} MiB with {args.subscribers} subscriptions "
        f"(+{result['added_mib']} MiB, {result['bytes_per_subscription']} bytes each); "
        f"{result['rss_after_they_left_mib']} MiB after they left",
        flush=True,
    )
    return result


def measure(args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    out: dict[str, Any] = {"subscribers": args.subscribers, "target_mib_per_1000": TARGET_MIB}
    for deflate in args.deflate:
        # Fresh servers for each variant: the memory one variant leaves behind is not the other's.
        label = "deflate" if deflate else "no_deflate"
        work = tmp / label
        work.mkdir()
        sim = common.simulator("sim", work)
        config = common.write_config(
            work, {"office": sim}, server={"max_connections": 2 * args.subscribers}
        )
        facade = common.facade(work, config)
        broadcast = common.uvicorn("broadcast", "broadcast_app:app", work)
        with common.running(sim, facade, broadcast):
            ours, base = added(facade, args, deflate), added(broadcast, args, deflate)
        value = common.print_ratio(
            f"memory per idle subscription, {label.replace('_', ' ')} "
            f"({args.subscribers} subscriptions; lower is better)",
            ours["bytes_per_subscription"],
            base["bytes_per_subscription"],
            "bytes",
            f"ours <= {TARGET_MIB:g} MiB in total for 1,000",
        )
        total = ours["bytes_per_subscription"] * 1000 / common.MIB
        print(
            f"  ours for 1,000 subscriptions, {label}: {total:.1f} MiB (target <= {TARGET_MIB:g})"
        )
        out[label] = {
            "ours": ours,
            "baseline": base,
            "ratio": value,
            "ours_mib_per_1000": round(total, 2),
            "meets_target": total <= TARGET_MIB,
        }
    return out


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1000, help="idle subscriptions")
    parser.add_argument("--warmup-subscribers", type=int, default=20)
    parser.add_argument(
        "--deflate",
        choices=["both", "on", "off"],
        default="both",
        help="client offers permessage-deflate (as browsers do), or not, or both in turn",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run of a few seconds")
    args = parser.parse_args(argv)
    if args.quick:
        args.subscribers, args.warmup_subscribers, args.deflate = 100, 5, "on"
    args.deflate = {"both": [True, False], "on": [True], "off": [False]}[args.deflate]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    common.run("memory", args, measure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
