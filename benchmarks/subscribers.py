"""Driving ``wsclient.py`` from a benchmark: its command line, its result, its idle mode."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import common

CLIENT = common.BENCH / "wsclient.py"


def argv(server: common.Proc, subscribers: int, mode: str, **options: Any) -> list[str]:
    """The client's command line against ``server`` (facade or baseline), pushing to gateway
    ``office`` with the benchmarks' push token."""
    host = f"{common.HOST}:{server.port}"
    line = [common.PYTHON, str(CLIENT), "--url", f"ws://{host}/graphql"]
    line += ["--push-url", f"http://{host}/push/office?token={common.PUSH_TOKEN}"]
    line += ["--mode", mode, "--subscribers", str(subscribers), "--server-pid", str(server.pid)]
    for key, value in options.items():  # a value of "" is a flag
        line += [f"--{key.replace('_', '-')}", *([str(value)] if value != "" else [])]
    return line


def run(server: common.Proc, subscribers: int, mode: str, **options: Any) -> dict[str, Any]:
    """One client run to its end; its ``RESULT`` as a dict."""
    done = subprocess.run(
        argv(server, subscribers, mode, **options), capture_output=True, text=True, cwd=common.ROOT
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line.removeprefix("RESULT "))
    raise RuntimeError(
        f"wsclient against {server.name} failed ({done.returncode}):\n{done.stderr[-3000:]}"
    )


@contextlib.contextmanager
def holding(server: common.Proc, subscribers: int, **options: Any) -> Iterator[dict[str, Any]]:
    """``subscribers`` idle, registered subscriptions for the time of the block."""
    client = subprocess.Popen(
        argv(server, subscribers, "hold", **options),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=common.ROOT,
    )
    assert client.stdin is not None and client.stdout is not None
    try:
        line = client.stdout.readline()
        if not line.startswith("READY "):
            client.kill()
            _, err = client.communicate(timeout=30)
            raise RuntimeError(f"wsclient (hold) against {server.name} failed:\n{err[-3000:]}")
        yield json.loads(line.removeprefix("READY "))
    finally:
        if client.poll() is None:
            client.stdin.write("quit\n")
            client.stdin.flush()
            try:
                client.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                client.kill()
                client.communicate()
