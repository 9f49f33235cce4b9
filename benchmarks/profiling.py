"""Where a server's time goes: py-spy samples of a running process, summed by function.

py-spy is not a project dependency. Install it into a throwaway venv
(``python3 -m venv /tmp/prof && /tmp/prof/bin/pip install py-spy``) and point ``PY_SPY`` at it,
or have ``py-spy`` on the PATH. It samples the process from outside: the code runs unchanged.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import common
import httpload

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def py_spy() -> str | None:
    """The py-spy executable: ``PY_SPY``, else the PATH, else the usual throwaway venv."""
    for candidate in (os.environ.get("PY_SPY"), shutil.which("py-spy"), "/tmp/prof/bin/py-spy"):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


RATE = 250
"""Samples a second."""


def record(pid: int, out: Path, seconds: float, load: Callable[[], Any]) -> Path:
    """Sample ``pid`` while ``load()`` runs; collapsed stacks, idle threads left out."""
    tool = py_spy()
    if tool is None:
        raise RuntimeError("py-spy not found: set PY_SPY (see benchmarks/profiling.py)")
    argv = [tool, "record", "--pid", str(pid), "--duration", str(max(1, round(seconds)))]
    argv += ["--rate", str(RATE), "--function", "--format", "raw", "--output", str(out)]
    sampler = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        load()
    finally:
        _, err = sampler.communicate(timeout=seconds + 60)
    if sampler.returncode != 0 or not out.exists():
        raise RuntimeError(f"py-spy failed ({sampler.returncode}): {err.decode()[-500:]}")
    return out


def _where(file: str) -> str:
    """A frame's package (our own by sub-package or module), or its stdlib module."""
    parts = Path(file).parts
    if "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1 :]
    if not parts:
        return file
    depth = 2 if parts[0] == "ultiroam_graphql" else 1
    return "/".join(part.removesuffix(".py") for part in parts[:depth])


def _file(frame: str) -> str:
    match = _FRAME.match(frame)
    return match["file"] if match else frame


def _name(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame)
    if match is None:
        return frame, frame
    where = _where(match["file"])
    return f"{match['function']} ({Path(match['file']).name}, {where})", where


_TRANSPARENT = ("graphql/language/visitor.py", "graphql/utilities/type_info.py")
"""Frames shared by several phases (AST walks): the phase is decided further up the stack."""
_PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("JSON encoding and decoding (stdlib json)", ("json/",)),
    ("gateway reply -> records (ultiroam_graphql.gateway parsing)", ("ultiroam_graphql/gateway/",)),
    (
        "the REST call itself (httpx, httpcore, h11, anyio)",
        ("httpx/", "httpcore/", "h11/", "anyio/"),
    ),
    (
        "validation: InputCheck (ultiroam_graphql.schema.input_check)",
        ("ultiroam_graphql/schema/input_check",),
    ),
    (
        "validation: strawberry limit extensions (depth, aliases, tokens)",
        (
            "strawberry/extensions/query_depth_limiter",
            "strawberry/extensions/max_aliases",
            "strawberry/extensions/max_tokens",
        ),
    ),
    (
        "validation: graphql-core validate (its rules and those strawberry adds)",
        ("graphql/validation/",),
    ),
    ("parsing the document (graphql-core)", ("graphql/language/",)),
    ("our code (ultiroam_graphql: resolvers, loaders, broker, view)", ("ultiroam_graphql/",)),
    ("execution: graphql-core executor", ("graphql/execution/",)),
    ("strawberry (field wrappers, extensions, HTTP/WS view)", ("strawberry/",)),
    (
        "HTTP and WebSocket server (uvicorn, starlette, websockets)",
        ("uvicorn/", "starlette/", "websockets/"),
    ),
    ("asyncio event loop", ("asyncio/",)),
)


def _phase(files: list[str]) -> str:
    """The phase of one sample: that of the deepest frame that belongs to one."""
    for file in reversed(files):
        if file.startswith(_TRANSPARENT):
            continue
        for label, prefixes in _PHASES:
            if file.startswith(prefixes):
                return label
    return "other"


def summarise(collapsed: Path, *, requests: int | None, top: int = 30) -> dict[str, Any]:
    """Time by phase (the deepest frame that tells, see ``_PHASES``), self time by package and
    by function, and inclusive time by function, as a share of the busy samples and (when
    ``requests`` is known) in ms per request. Frames present in nearly every sample (the server
    loop, the ASGI plumbing around the app) are left out of the inclusive list."""
    own: Counter[str] = Counter()
    phases: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        raw = stack.split(";")
        frames = [_name(frame) for frame in raw]
        total += samples
        phases[_phase([_file(frame) for frame in raw])] += samples
        own[frames[-1][0]] += samples
        packages[frames[-1][1]] += samples
        for name in {name for name, _ in frames}:
            inclusive[name] += samples
    per_request = 1000 / RATE / requests if requests else None

    def share(counter: Counter[str], cap: float = 1.0) -> list[dict[str, Any]]:
        kept = [(name, n) for name, n in counter.most_common() if n <= cap * total]
        return [
            {
                "name": name,
                "percent": round(100 * n / total, 1),
                "ms_per_request": round(n * per_request, 3) if per_request else None,
            }
            for name, n in kept[:top]
        ]

    return {
        "samples": total,
        "requests": requests,
        "busy_ms_per_request": round(total * per_request, 3) if per_request else None,
        "phases": share(phases),
        "self_by_package": share(packages),
        "self_by_function": share(own),
        "inclusive_by_function": share(inclusive, cap=0.97),
    }


def print_summary(title: str, data: dict[str, Any], lines: int = 20) -> None:
    per_request = data["busy_ms_per_request"] is not None
    print(
        f"profile of {title}: {data['samples']} samples"
        + (
            f" over {data['requests']} requests, {data['busy_ms_per_request']} ms busy per request"
            if per_request
            else ""
        )
    )
    for key in ("phases", "self_by_package", "self_by_function", "inclusive_by_function"):
        unit = "% of busy time, ms per request" if per_request else "% of busy time"
        print(f"  {key.replace('_', ' ')} ({unit}):")
        for row in data[key][:lines]:
            ms = f"{row['ms_per_request']:8.3f}  " if per_request else ""
            print(f"    {row['percent']:5.1f}  {ms}{row['name']}")


def under_wrk(
    server: common.Proc, script: Path, load: httpload.Load, seconds: float, out: Path
) -> dict[str, Any]:
    """Profile ``server`` during one wrk run of ``seconds``; the summary of where time went."""
    runs: list[httpload.WrkRun] = []
    record(server.pid, out, seconds, lambda: runs.append(load.run(server, script, seconds)))
    return summarise(out, requests=runs[0].requests)
