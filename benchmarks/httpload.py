"""wrk against the facade and a baseline: one Lua script, warm-ups, ABBA rounds, medians."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import WRK, Proc, run

_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p99_us":%d,"bytes":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), summary.bytes))
end
"""


def wrk_available() -> bool:
    return Path(WRK).is_file() and os.access(WRK, os.X_OK)


def run_with_wrk(name: str, args: Any, measure: Callable[[Any, Path], dict[str, Any]]) -> int:
    """``common.run`` for a benchmark that loads with wrk; status 2, with the hint, without it."""
    if not wrk_available():
        print(f"wrk not found at {WRK} (apt-get install wrk)", file=sys.stderr)
        return 2
    run(name, args, measure)
    return 0


def wrk_script(tmp: Path, name: str, body: bytes) -> Path:
    """A wrk Lua script that POSTs ``body`` as JSON and prints its summary as one JSON line."""
    text = body.decode()
    assert "]==]" not in text
    lua = f'wrk.method = "POST"\nwrk.body = [==[{text}]==]\n'
    lua += 'wrk.headers["Content-Type"] = "application/json"\n' + _DONE
    path = tmp / f"{name}.lua"
    path.write_text(lua)
    return path


@dataclass(frozen=True)
class WrkRun:
    rps: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    server_cpu_ms_per_request: float


def wrk(
    url: str,
    script: Path,
    *,
    seconds: float,
    threads: int,
    connections: int,
    server: Proc,
    warmup: bool = False,
) -> WrkRun:
    """One wrk run; any socket error or non-2xx answer makes it fail (a benchmark of errors
    would measure nothing), and so does a measured run that completed no request."""
    argv = [WRK, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s"]
    argv += ["--timeout", "30s", "-s", str(script), url]
    cpu = server.cpu()
    run = subprocess.run(argv, capture_output=True, text=True, check=True)
    cpu = server.cpu() - cpu
    line = next((x for x in run.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{run.stdout}\n{run.stderr}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    errors = sum(data[key] for key in ("connect", "read", "write", "status", "timeout"))
    print(
        f"  wrk {server.name:<10} {data['requests'] / (data['duration_us'] / 1e6):9.1f} req/s "
        f"p50 {data['p50_us'] / 1000:8.2f} ms  ({data['requests']} requests, cpu {cpu:.2f} s)",
        flush=True,
    )
    if errors or not (data["requests"] or warmup):
        raise RuntimeError(f"wrk against {url}: {data} ({server.name}: see {server.log})")
    return WrkRun(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        requests=data["requests"],
        errors=errors,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        server_cpu_ms_per_request=1000 * cpu / data["requests"],
    )


def run_seconds(warm: WrkRun, *, least: float, requests: int, most: float) -> float:
    """How long a measured run must last to complete about ``requests`` requests at the
    warm-up's pace (requests cut off at the end then weigh little), within least..most s."""
    wanted = requests / warm.rps if warm.rps > 0 else most
    return min(max(least, wanted), most)


def alternate(runs: Mapping[str, Callable[[], WrkRun]], *, rounds: int) -> dict[str, list[WrkRun]]:
    """Each side once per round, the order reversed every other round (ABBA), so a slow drift
    of the machine weighs on both sides alike."""
    names = list(runs)
    out: dict[str, list[WrkRun]] = {name: [] for name in names}
    for index in range(rounds):
        for name in names if index % 2 == 0 else reversed(names):
            out[name].append(runs[name]())
    return out


@dataclass(frozen=True)
class Load:
    """How wrk loads a server: the same for ours and the baseline."""

    threads: int
    connections: int
    warmup: float
    seconds: float
    """A measured run lasts at least this long..."""
    min_requests: int
    """...and long enough for about this many requests at the warm-up's pace..."""
    max_seconds: float
    """...but no longer than this."""
    rounds: int

    def run(self, server: Proc, script: Path, seconds: float, warmup: bool = False) -> WrkRun:
        return wrk(
            server.url + "/graphql",
            script,
            seconds=seconds,
            threads=self.threads,
            connections=self.connections,
            server=server,
            warmup=warmup,
        )


def compare(
    ours: Proc, baseline: Proc, script: Path, load: Load, *, gateway: Proc | None = None
) -> dict[str, Any]:
    """Warm both up, then ABBA rounds of wrk; medians of each side, and the gateway's CPU."""
    seconds = {
        proc.name: run_seconds(
            load.run(proc, script, load.warmup, warmup=True),
            least=load.seconds,
            requests=load.min_requests,
            most=load.max_seconds,
        )
        for proc in (ours, baseline)
    }
    gateway_cpu = gateway.cpu() if gateway else 0.0
    runs = alternate(
        {
            "ours": lambda: load.run(ours, script, seconds[ours.name]),
            "baseline": lambda: load.run(baseline, script, seconds[baseline.name]),
        },
        rounds=load.rounds,
    )
    result = {"ours": summary(runs["ours"]), "baseline": summary(runs["baseline"])}
    if gateway is not None:
        requests = result["ours"]["requests"] + result["baseline"]["requests"]
        spent = 1000 * (gateway.cpu() - gateway_cpu) / requests
        result["gateway_cpu_ms_per_request"] = round(spent, 3)
    return result


def summary(runs: Sequence[WrkRun]) -> dict[str, Any]:
    return {
        "rps_median": round(statistics.median(r.rps for r in runs), 1),
        "rps_rounds": [round(r.rps, 1) for r in runs],
        "p50_ms_median": round(statistics.median(r.p50_ms for r in runs), 2),
        "p99_ms_median": round(statistics.median(r.p99_ms for r in runs), 2),
        "server_cpu_ms_per_request": round(
            statistics.median(r.server_cpu_ms_per_request for r in runs), 3
        ),
        "requests": sum(r.requests for r in runs),
    }
