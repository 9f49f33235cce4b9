"""What every benchmark shares: processes on free ports, configs, /proc readers, result files.

Each benchmark compares the facade with a baseline measured in the same run on the same machine,
so the ratio holds even when the machine is busy and absolute figures are not comparable.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

HOST = "127.0.0.1"
BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
APPS = BENCH / "apps"
PYTHON = sys.executable
PUSH_TOKEN = "bench-push-token"
GATEWAY_PASSWORD = "bench-gateway-pass"
TIMEZONE = "Europe/Paris"
"""The simulated gateways' clock: results carry a non-zero UTC offset, as most devices do."""
TICK = os.sysconf("SC_CLK_TCK")
MIB = 1024 * 1024
WRK = os.environ.get("WRK", "/usr/bin/wrk")
CODE = os.environ.get("BENCH_CODE")
"""A folder holding the ``ultiroam_graphql`` to measure (``run_all.py --at-commit`` exports one
with ``git archive``); unset, the servers run the working tree's code."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# -- processes ---------------------------------------------------------------------------------


@dataclass
class Proc:
    """A child process whose output goes to a log file; stopped with SIGTERM, then SIGKILL."""

    name: str
    argv: list[str]
    port: int
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    ready_path: str = "/"
    popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.popen is not None, f"{self.name} is not running"
        return self.popen.pid

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60.0) -> Proc:
        with self.log.open("ab") as output:
            self.popen = subprocess.Popen(
                self.argv, stdout=output, stderr=output, env={**os.environ, **self.env}, cwd=ROOT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}: {self.log}")
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(self.url + self.ready_path, timeout=2.0)
                return self
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s: {self.log}")

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def rss(self) -> int:
        return rss_bytes(self.pid)


def uvicorn(
    name: str, app: str, tmp: Path, *, env: Mapping[str, str] = {}, ready_path: str = "/healthz"
) -> Proc:
    """An app of ``benchmarks/apps`` (a factory) on uvicorn: uvloop, httptools, one worker."""
    port = free_port()
    argv = [PYTHON, "-m", "uvicorn", app, "--factory", "--app-dir", str(APPS)]
    argv += ["--host", HOST, "--port", str(port), "--loop", "uvloop", "--http", "httptools"]
    argv += ["--workers", "1", "--log-level", "warning", "--no-access-log"]
    env = dict(env)
    if CODE:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [CODE, os.environ.get("PYTHONPATH")]))
    return Proc(name, argv, port, tmp / f"{name}.log", env, ready_path)


def simulator(name: str, tmp: Path, *, results: int = 120, seed: int = 1) -> Proc:
    """A simulated gateway holding ``results`` sending results (see apps/simulator_app.py)."""
    env = {"BENCH_SIM_RESULTS": str(results), "BENCH_SIM_SEED": str(seed)}
    return uvicorn(name, "simulator_app:app", tmp, env=env, ready_path="/bench/calls")


def facade(tmp: Path, config: Path, name: str = "facade") -> Proc:
    """The facade, built by ``create_app`` from a config file (see apps/facade_app.py)."""
    return uvicorn(name, "facade_app:app", tmp, env={"BENCH_CONFIG": str(config)})


def write_config(
    tmp: Path, gateways: Mapping[str, Proc], *, server: Mapping[str, Any] = {}
) -> Path:
    """A facade config over simulated gateways, each with a push token and no inbox polling."""
    lines = ["[server]", f'state_dir = "{tmp}"']
    lines += [f"{key} = {json.dumps(value)}" for key, value in server.items()]
    lines += ["", "[broker]", 'url = "memory://"']
    for gateway_id, sim in gateways.items():
        lines += ["", "[[gateways]]", f'id = "{gateway_id}"', f'url = "{sim.url}"']
        lines += [f'password = "{GATEWAY_PASSWORD}"', f'timezone = "{TIMEZONE}"']
        lines += [f'push_token = "{PUSH_TOKEN}"', "inbox_poll_interval = 0"]
    path = tmp / "facade.toml"
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return path


@contextlib.contextmanager
def running(*procs: Proc) -> Iterator[tuple[Proc, ...]]:
    """Start the processes in order; stop them all, in reverse, whatever happens."""
    started: list[Proc] = []
    try:
        for proc in procs:
            started.append(proc.start())
        yield procs
    finally:
        for proc in reversed(started):
            proc.stop()


def workdir(name: str) -> Path:
    """A temporary directory for configs and logs; its path is printed, and it is kept."""
    path = Path(tempfile.mkdtemp(prefix=f"ultiroam-bench-{name}-"))
    print(f"{name}: logs and configs in {path}", flush=True)
    return path


# -- /proc --------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / TICK


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def settled_rss(pid: int, *, interval: float = 0.5, limit: float = 15.0) -> int:
    """VmRSS once three samples in a row agree within 0.5% (or after ``limit`` seconds)."""
    samples = [rss_bytes(pid)]
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        time.sleep(interval)
        samples.append(rss_bytes(pid))
        last = samples[-3:]
        if len(last) == 3 and (max(last) - min(last)) <= 0.005 * max(last):
            break
    return samples[-1]


def loadavg() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


# -- results ------------------------------------------------------------------------------------


def _git(*args: str) -> str:
    run = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT)
    return run.stdout.strip()


def machine() -> dict[str, Any]:
    """Where and on what code a result was measured."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    wrk_version = ""
    if os.access(WRK, os.X_OK):
        wrk_version = subprocess.run([WRK, "--version"], capture_output=True, text=True).stdout
    if CODE:
        code = {"commit": os.environ.get("BENCH_CODE_COMMIT", "?"), "plugin_changed": False}
        code["code"] = f"git archive of {code['commit']} in {CODE}"
    else:
        code = {
            "commit": _git("rev-parse", "--short", "HEAD"),
            "plugin_changed": bool(_git("status", "--short", "plugin")),
            "code": "the working tree",
        }
    return {
        "nproc": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "kernel": platform.release(),
        **code,
        "wrk": wrk_version.split("Copyright")[0].strip(),
        "loadavg_1m": loadavg(),
    }


def ratio(ours: float, baseline: float) -> float:
    return round(ours / baseline, 3) if baseline else float("nan")


def write_result(name: str, data: Mapping[str, Any], *, quick: bool) -> Path:
    """``results/<name>-<timestamp>.json`` with the machine and command. Quick runs go to the
    temporary directory instead, so smoke runs never pass for real figures nor litter the tree;
    ``BENCH_RESULTS`` names another folder."""
    default = Path(tempfile.gettempdir()) / "ultiroam-bench-quick" if quick else RESULTS
    folder = Path(os.environ.get("BENCH_RESULTS", default))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{datetime.now():%Y%m%d-%H%M%S}.json"
    record = {
        "benchmark": name,
        "command": " ".join([".venv/bin/python", *sys.argv]),
        "when": datetime.now().isoformat(timespec="seconds"),
        "machine": machine(),
        **data,
    }
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"{name}: result written to {path}", flush=True)
    return path


def print_ratio(label: str, ours: float, baseline: float, unit: str, target: str) -> float:
    """The line every benchmark prints: our figure, the baseline's, the ratio."""
    value = ratio(ours, baseline)
    print(
        f"RATIO {label}: ours {ours:.4g} {unit}, baseline {baseline:.4g} {unit}, "
        f"ratio {value:.3f} (target {target})",
        flush=True,
    )
    return value


def run(
    name: str, args: argparse.Namespace, measure: Callable[[Any, Path], dict[str, Any]]
) -> dict[str, Any]:
    """One benchmark's run: measured in a fresh work directory, recorded with its settings."""
    tmp = workdir(name)
    settings = {key: value for key, value in vars(args).items() if key != "quick"}
    data = measure(args, tmp)
    write_result(name, {"settings": settings, **data}, quick=args.quick)
    return data
