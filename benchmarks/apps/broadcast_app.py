"""Baseline of the fan-out and memory benchmarks: a bare Starlette WebSocket broadcast.

It speaks just enough ``graphql-transport-ws`` for the benchmark client (``connection_init``,
``subscribe``, ``ping``, ``complete``) and treats every subscription as the benchmark's one
document. ``POST /push/{gateway_id}`` maps each ``sms_result`` element once to the JSON the
facade would send, serialises it once, and queues one ready frame per subscription; a writer
task per connection sends them. What the facade adds on top of this is its per-subscriber cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from collector import tune_collector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

PROTOCOL = "graphql-transport-ws"
ZONE = ZoneInfo("Europe/Paris")
BUFFER = 1000
"""Frames a connection may fall behind before it is closed, like the facade's buffer."""
MAX_BODY = 1024 * 1024


class Peer:
    """One connection: its subscription ids and the frames waiting to be sent to it."""

    def __init__(self, websocket: WebSocket) -> None:
        self.websocket = websocket
        self.ids: set[str] = set()
        self.queue: asyncio.Queue[str] = asyncio.Queue(BUFFER)

    async def write(self) -> None:
        while True:
            await self.websocket.send_text(await self.queue.get())


def event(item: dict[str, Any], gateway_id: str, cursor: str) -> dict[str, Any]:
    """One pushed result as the benchmark's subscription document selects it."""
    raw = str(item["status"]).strip()
    imsi = item.get("imsi")
    return {
        "number": str(item["number"]).strip(),
        "userId": item.get("user_id"),
        "time": datetime.fromisoformat(item["time"]).replace(tzinfo=ZONE).isoformat(),
        "status": raw.upper(),
        "rawStatus": raw,
        "count": item.get("count", 1),
        "succCount": item.get("succ_count", 0),
        "refId": item.get("ref_id") or 0,
        "imsi": imsi.strip() if isinstance(imsi, str) else None,
        "cursor": cursor,
        "port": {"index": item["port"]},
        "gateway": {"id": gateway_id},
    }


def app() -> Starlette:
    peers: set[Peer] = set()
    sequence = itertools.count(1)

    async def graphql(websocket: WebSocket) -> None:
        await websocket.accept(subprotocol=PROTOCOL)
        peer = Peer(websocket)
        writer = asyncio.create_task(peer.write())
        try:
            while True:
                message = orjson.loads(await websocket.receive_text())
                kind = message.get("type")
                if kind == "connection_init":
                    peer.queue.put_nowait('{"type":"connection_ack"}')
                elif kind == "ping":
                    peer.queue.put_nowait('{"type":"pong"}')
                elif kind == "subscribe":
                    peer.ids.add(str(message["id"]))
                    peers.add(peer)
                elif kind == "complete":
                    peer.ids.discard(str(message.get("id")))
        except WebSocketDisconnect:
            pass
        finally:
            peers.discard(peer)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def push(request: Request) -> Response:
        body = await request.body()
        if len(body) > MAX_BODY:
            return Response(b'{"ok":false}', status_code=413)
        gateway_id = request.path_params["gateway_id"]
        items = orjson.loads(body).get("sms_result") or []
        for item in items:
            data = event(item, gateway_id, f"{next(sequence)}-0")
            payload = orjson.dumps({"data": {"smsResults": data}}).decode()
            frames: dict[str, str] = {}
            for peer in tuple(peers):
                for sid in peer.ids:
                    if sid not in frames:
                        frames[sid] = (
                            f'{{"id":{orjson.dumps(sid).decode()},"type":"next","payload":{payload}}}'
                        )
                    try:
                        peer.queue.put_nowait(frames[sid])
                    except asyncio.QueueFull:
                        peers.discard(peer)
        return Response(b'{"ok":true}', media_type="application/json")

    async def healthz(request: Request) -> Response:
        return Response(b'{"status":"ok"}', media_type="application/json")

    broadcast = Starlette(
        routes=[
            WebSocketRoute("/graphql", graphql),
            Route("/push/{gateway_id}", push, methods=["POST"]),
            Route("/healthz", healthz),
        ]
    )
    tune_collector()  # the collector as the facade's serve sets it: the same for both
    return broadcast
