"""Baseline of the small-operation benchmark: a plain Starlette route that reads the request
and answers the bytes the facade answered (``BENCH_BODY_FILE``), as JSON."""

from __future__ import annotations

import os
from pathlib import Path

from collector import tune_collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def app() -> Starlette:
    answer = Path(os.environ["BENCH_BODY_FILE"]).read_bytes()

    async def graphql(request: Request) -> Response:
        await request.body()
        return Response(answer, media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    static = Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)]
    )
    tune_collector()  # the collector as the facade's serve sets it: the same for both
    return static
