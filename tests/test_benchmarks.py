"""The benchmarks of issue #10 run end to end (``run_all.py --quick``: about 45 s on 2 cores).

Only the machinery is checked, never a figure: every script starts its real processes, prints
our figure, the baseline's and their ratio, writes its JSON result and exits 0. wrk is needed
(``apt-get install wrk``): without it the test is skipped, and fails under REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import gc
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUN_ALL = ROOT / "benchmarks" / "run_all.py"
SCRIPTS = ("small_ops", "result_lists", "fanout", "protection", "memory", "scaling")
RATIO = re.compile(r"^RATIO .+: ours \S+ .*, baseline \S+ .*, ratio (\d+\.\d+|nan) \(target .+\)$")


def require_wrk() -> None:
    wrk = os.environ.get("WRK", "/usr/bin/wrk")
    if not os.access(wrk, os.X_OK):
        reason = f"wrk is not installed at {wrk} (apt-get install wrk)"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)


def test_every_benchmark_prints_ratios_and_writes_its_result(tmp_path: Path) -> None:
    require_wrk()
    run = subprocess.run(
        [sys.executable, str(RUN_ALL), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "BENCH_RESULTS": str(tmp_path)},
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    summary = run.stdout.split("\n== summary\n", 1)[1]
    for name in SCRIPTS:
        assert f"{name}: ok in" in summary
    ratios = [line.strip() for line in summary.splitlines() if line.strip().startswith("RATIO")]
    assert len(ratios) == 11, summary  # 1 + 2 + 2 + 2 + 1 + 3 in quick mode
    for line in ratios:
        assert RATIO.match(line), line
    written = {path.name.rsplit("-", 2)[0]: path for path in tmp_path.glob("*.json")}
    assert sorted(written) == sorted(SCRIPTS)
    for name, path in written.items():
        result = json.loads(path.read_text())
        assert result["benchmark"] == name
        assert result["machine"]["nproc"] == os.cpu_count()
        assert result["machine"]["commit"]
    protection = json.loads(written["protection"].read_text())
    assert protection["identical"]["answers_not_exact"] == 0
    assert protection["different_filters"]["answers_not_exact"] == 0
    fanout = json.loads(written["fanout"].read_text())
    assert fanout["sustained"]["ours"]["missing"] == 0
    assert fanout["sustained"]["baseline"]["missing"] == 0


def test_the_in_process_executor_benchmark_runs() -> None:
    """``exec_plain.py`` is not part of ``run_all``: run it small so it cannot rot unseen."""
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "exec_plain.py"),
            "--sizes",
            "10",
            "--rounds",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    rows = [line.split() for line in run.stdout.splitlines() if line.split()[:1] == ["executor"]]
    assert rows and rows[0][-1] == "used", run.stdout


def test_the_baselines_set_the_collector_as_serve_does() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks" / "apps"))
    try:
        import collector
    finally:
        sys.path.remove(str(ROOT / "benchmarks" / "apps"))
    from ultiroam_graphql import cli

    before = gc.get_threshold()
    settings = []
    try:
        for tune in (collector.tune_collector, cli.tune_collector):
            gc.set_threshold(*before)
            gc.unfreeze()
            tune()
            settings.append((gc.get_threshold(), gc.get_freeze_count() > 0))
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
    assert settings[0] == settings[1]
    assert settings[0][0][0] == cli.YOUNG_COLLECTION_THRESHOLD != before[0]
