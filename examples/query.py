"""POST one operation of examples/queries.graphql to a GraphQL endpoint and print the answer.

Plain httpx on purpose: GraphQL over HTTP is one JSON POST, so no GraphQL client is needed.

    python examples/query.py [URL] [--operation NAME] [--var NAME=VALUE ...] [--token TOKEN]

Exit status: 0 for a clean answer, 1 when the answer has errors or the server is unreachable.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

DEFAULT_URL = "http://127.0.0.1:8000/graphql"
QUERIES = Path(__file__).with_name("queries.graphql")
OPERATION = re.compile(r"^\s*(?:query|mutation|subscription)\s+(\w+)", re.MULTILINE)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    document = QUERIES.read_text(encoding="utf-8")
    names = OPERATION.findall(document)
    if args.operation not in names:
        print(
            f"query.py: no operation {args.operation!r}; try one of: {', '.join(names)}",
            file=sys.stderr,
        )
        return 2
    variables = dict(args.var)
    if args.operation == "FailedSince":
        # An instant with its offset means the same moment whatever the gateway's time zone.
        an_hour_ago = datetime.now(UTC).astimezone() - timedelta(hours=1)
        variables.setdefault("since", an_hour_ago.isoformat(timespec="seconds"))

    headers = {"Authorization": f"Bearer {args.token}"} if args.token else {}
    body = {"query": document, "operationName": args.operation, "variables": variables}
    try:
        response = httpx.post(args.url, json=body, headers=headers, timeout=30.0)
    except httpx.TransportError as exc:  # connection refused, DNS, timeouts
        print(
            f"query.py: cannot reach {args.url} ({exc or type(exc).__name__}); "
            "is the server running (`make demo`)?",
            file=sys.stderr,
        )
        return 1
    try:
        payload = response.json()
    except ValueError:
        print(f"query.py: HTTP {response.status_code}, not JSON: {response.text[:200]}")
        return 1
    return report(payload)


def report(payload: dict[str, Any]) -> int:
    """Print the data, then each error with its ``extensions.code``; 1 when there were errors."""
    if payload.get("data") is not None:
        print(json.dumps(payload["data"], indent=2, ensure_ascii=False))
    errors = payload.get("errors") or []
    for error in errors:
        extensions = error.get("extensions") or {}
        code = extensions.get("code", "NO_CODE")
        where = ".".join(str(part) for part in error.get("path") or [])
        details = {k: v for k, v in extensions.items() if k != "code"}
        print(
            f"error {code}: {error.get('message')}"
            + (f" (at {where})" if where else "")
            + (f" {json.dumps(details)}" if details else ""),
            file=sys.stderr,
        )
    return 1 if errors else 0


def _variable(text: str) -> tuple[str, Any]:
    """NAME=VALUE, VALUE read as JSON when it is JSON (5, true, ["a"]) and as a string otherwise."""
    name, sep, value = text.partition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default=DEFAULT_URL, help=f"default: {DEFAULT_URL}")
    parser.add_argument("-o", "--operation", default="Gateways", help="default: Gateways")
    parser.add_argument("--var", type=_variable, action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument(
        "--token",
        default=os.environ.get("ULTIROAM_GRAPHQL_TOKEN"),
        help="bearer token, when the server sets api_tokens (default: $ULTIROAM_GRAPHQL_TOKEN)",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
