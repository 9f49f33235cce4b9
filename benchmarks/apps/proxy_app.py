"""Baseline of the result-list benchmarks: a hand-written Starlette + httpx + orjson proxy.

It answers one operation only, ``smsResults`` with every scalar field plus ``port { index }`` and
``gateway { id }``, for the gateways in the ``ids`` variable. It makes the facade's gateway call
(``POST /api/query_sms_result`` with ``{}``, Digest auth through ``httpx.DigestAuth``, at most
``max_concurrency`` calls in flight) and maps each result to the same JSON bytes, so the gap
to the facade is the cost of being a general GraphQL server. Gateways come from the facade's
own config file (``BENCH_CONFIG``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
from collector import tune_collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

STATUSES = frozenset({"FAILED", "SENDING", "SENT_OK", "DELIVERED"})
NULLS = frozenset({"", "<NULL>", "NULL"})
MAX_BODY = 256 * 1024


@dataclass(frozen=True)
class Gateway:
    id: str
    url: str
    zone: ZoneInfo
    http: httpx.AsyncClient


def result(item: dict[str, Any], gateway_id: str, zone: ZoneInfo) -> dict[str, Any]:
    """One wire result as the facade shows it, fields in the benchmark query's order."""
    raw = item["status"].strip()
    imsi = item.get("imsi")
    imsi = imsi.strip() if isinstance(imsi, str) else None
    return {
        "number": item["number"].strip(),
        "userId": item.get("user_id"),
        "time": datetime.fromisoformat(item["time"]).replace(tzinfo=zone).isoformat(),
        "status": raw.upper() if raw.upper() in STATUSES else "UNKNOWN",
        "rawStatus": raw,
        "count": item.get("count", 1),
        "succCount": item.get("succ_count", 0),
        "refId": item.get("ref_id") or 0,
        "imsi": None if imsi in NULLS else imsi,
        "cursor": None,
        "port": {"index": item["port"]},
        "gateway": {"id": gateway_id},
    }


async def results(gateway: Gateway) -> list[dict[str, Any]]:
    reply = await gateway.http.post(
        gateway.url + "/api/query_sms_result",
        content=b"{}",
        headers={"content-type": "application/json"},
    )
    data = orjson.loads(reply.content)
    if reply.status_code != 200 or data.get("error_code") != 200:
        raise RuntimeError(f"gateway {gateway.id} answered {reply.status_code}")
    return [result(item, gateway.id, gateway.zone) for item in data.get("result") or []]


def app() -> Starlette:
    with open(os.environ["BENCH_CONFIG"], "rb") as file:
        config = tomllib.load(file)
    gateways: dict[str, Gateway] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for entry in config["gateways"]:
                slots = entry.get("max_concurrency", 4)
                http = await stack.enter_async_context(
                    httpx.AsyncClient(
                        auth=httpx.DigestAuth(entry.get("username", "admin"), entry["password"]),
                        limits=httpx.Limits(max_connections=slots, max_keepalive_connections=slots),
                        timeout=entry.get("timeout", 10.0),
                    )
                )
                zone = ZoneInfo(entry.get("timezone", "UTC"))
                gateways[entry["id"]] = Gateway(entry["id"], entry["url"], zone, http)
            yield

    async def graphql(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return Response(b'{"errors":[{"message":"too large"}]}', status_code=413)
        ids = orjson.loads(body)["variables"]["ids"]
        lists = await asyncio.gather(*(results(gateways[i]) for i in ids))
        answer = {"data": {"smsResults": [item for part in lists for item in part]}}
        return Response(orjson.dumps(answer), media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    proxy = Starlette(
        routes=[Route("/graphql", graphql, methods=["POST"]), Route("/healthz", healthz)],
        lifespan=lifespan,
    )
    tune_collector()  # the collector as the facade's serve sets it: the same for both
    return proxy
