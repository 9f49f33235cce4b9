"""Every performance target of issue #10, one script after the other, in about eight minutes.

Runs ``small_ops``, ``result_lists``, ``fanout``, ``protection``, ``memory`` and ``scaling``
(each with its defaults, or ``--quick`` for a smoke run of a few seconds each), shows their
output as it comes, and ends with every ``RATIO`` line and each script's time. Exits 1 when a
script failed. Each script writes its own JSON result (``benchmarks/results/``; quick runs go
to the temporary directory).

    .venv/bin/python benchmarks/run_all.py
    .venv/bin/python benchmarks/run_all.py --quick
    .venv/bin/python benchmarks/run_all.py --only small_ops,result_lists --profile 10
    .venv/bin/python benchmarks/run_all.py --at-commit HEAD   # the committed code, not the tree
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import common

SCRIPTS = ("small_ops", "result_lists", "fanout", "protection", "memory", "scaling")
PROFILED = ("small_ops", "result_lists", "fanout")


def run(name: str, options: list[str]) -> tuple[int, list[str], float]:
    """One script, its output passed through; its exit status, RATIO lines and seconds."""
    started = time.monotonic()
    argv = [common.PYTHON, str(common.BENCH / f"{name}.py"), *options]
    print(f"== {name}: {' '.join(argv[1:])}", flush=True)
    ratios = []
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=common.ROOT
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            print(line, end="", flush=True)
            if line.startswith("RATIO "):
                ratios.append(line.strip())
    return child.returncode, ratios, time.monotonic() - started


def export(revision: str) -> None:
    """Make every server of this run use ``plugin/`` as committed at ``revision``, exported
    with ``git archive`` (the working tree is not touched): "before" figures of a change can
    be taken again at any time, beside the working tree's "after" ones."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short", revision],
        capture_output=True,
        text=True,
        check=True,
        cwd=common.ROOT,
    ).stdout.strip()
    folder = Path(tempfile.mkdtemp(prefix=f"ultiroam-bench-code-{commit}-"))
    archive = subprocess.run(
        ["git", "archive", commit, "plugin"], capture_output=True, check=True, cwd=common.ROOT
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    os.environ["BENCH_CODE"] = str(folder / "plugin")
    os.environ["BENCH_CODE_COMMIT"] = commit
    common.CODE = os.environ["BENCH_CODE"]
    print(f"measuring plugin/ at {commit}, exported to {folder}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: seconds, not minutes")
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(SCRIPTS)}")
    parser.add_argument(
        "--profile",
        type=float,
        default=0,
        metavar="S",
        help="py-spy the facade in small_ops, result_lists, fanout",
    )
    parser.add_argument(
        "--at-commit", metavar="REV", help="measure plugin/ as committed at REV (git archive)"
    )
    args = parser.parse_args(argv)
    if args.at_commit:
        export(args.at_commit)
    names = SCRIPTS if args.only is None else tuple(args.only.split(","))
    unknown = set(names) - set(SCRIPTS)
    if unknown:
        parser.error(f"unknown scripts: {', '.join(sorted(unknown))}")
    machine = common.machine()
    print(
        f"machine: {machine['nproc']} x {machine['cpu']}, Python {machine['python']}, "
        f"commit {machine['commit']}{' + plugin changes' if machine['plugin_changed'] else ''}, "
        f"load {machine['loadavg_1m']}",
        flush=True,
    )
    outcomes = []
    for name in names:
        options = ["--quick"] if args.quick else []
        if args.profile and name in PROFILED:
            options += ["--profile", str(args.profile)]
        outcomes.append((name, *run(name, options)))
    print("\n== summary")
    for name, status, ratios, seconds in outcomes:
        verdict = "ok" if status == 0 else f"FAILED (exit {status})"
        print(f"{name}: {verdict} in {seconds:.0f} s")
        for line in ratios:
            print(f"  {line}")
    print(f"total {sum(o[3] for o in outcomes):.0f} s; load {common.loadavg()}")
    return 0 if all(o[1] == 0 for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
