"""The Starlette application: its routes, and the lifespan that owns clients and the broker."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute

from .broker import Broker, broker_from_url
from .config import Settings
from .gateway import GatewayClient
from .graphiql import STATIC_PATH, GraphiQLStatic
from .inbox import InboxPoller
from .metrics import Metrics
from .mqtt import create_bridge
from .outbound import Outbound
from .schema import GraphQLView, Limits
from .state import StateStore
from .webhook import PushWebhook

Lifespan = Callable[[], AbstractAsyncContextManager[Any]]


def create_app(
    settings: Settings,
    *,
    clients: Mapping[str, GatewayClient] | None = None,
    broker: Broker | None = None,
    lifespans: Sequence[Lifespan] = (),
) -> Starlette:
    """The facade as an ASGI app, to run alone or to mount in a host Starlette/FastAPI app.

    ``clients`` replaces the gateway clients built from ``settings`` (tests, custom transports)
    and ``broker`` the one ``settings.broker`` names; ``lifespans`` are entered at startup and
    left at shutdown, after the app's own.
    A host that mounts this app should enter ``app.router.lifespan_context(app)`` in its own
    lifespan, so the gateway connections are closed on shutdown.
    """
    gateways = (
        dict(clients)
        if clients is not None
        else {gateway.id: GatewayClient(gateway) for gateway in settings.gateways}
    )
    if broker is None:
        broker = broker_from_url(
            settings.broker.url.get_secret_value(),
            prefix=settings.broker.prefix,
            retention_events=settings.broker.retention_events,
            retention_seconds=settings.broker.retention_seconds,
            subscriber_buffer=settings.broker.subscriber_buffer,
        )
    metrics = Metrics(gateways, broker)
    for client in gateways.values():
        client.observer = metrics
    broker.observer = metrics
    state = StateStore(settings.server.state_dir)
    outbound = {
        gateway.id: Outbound(gateway.id, state, send_rate_limit=gateway.send_rate_limit)
        for gateway in settings.gateways
    }
    graphql = GraphQLView(
        gateways,
        broker,
        api_tokens=settings.server.api_tokens,
        outbound=outbound,
        mutations_allowed=bool(settings.server.api_tokens)
        or settings.server.allow_unauthenticated_mutations,
        limits=Limits(
            max_depth=settings.server.max_query_depth,
            max_aliases=settings.server.max_aliases,
            max_tokens=settings.server.max_tokens,
            introspection=settings.server.introspection,
        ),
        max_request_bytes=settings.server.max_request_bytes,
        max_connections=settings.server.max_connections,
        max_subscriptions_per_connection=settings.server.max_subscriptions_per_connection,
    )
    graphql.shared_streams.observer = metrics
    pollers = [
        InboxPoller(gateways[gateway.id], broker, state, interval=gateway.inbox_poll_interval)
        for gateway in settings.gateways
        if gateway.inbox_poll_interval > 0 and gateway.id in gateways
    ]
    webhook = PushWebhook(
        gateways, broker, body_limit=settings.server.push_body_limit, observer=metrics
    )
    bridge = None if settings.mqtt is None else create_bridge(settings, gateways, broker, outbound)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for client in gateways.values():
                stack.push_async_callback(client.aclose)
            await broker.connect()
            stack.push_async_callback(broker.close)
            for poller in pollers:
                task = asyncio.create_task(poller.run(), name=f"inbox-{poller.client.id}")
                stack.push_async_callback(_cancel, task)
            if bridge is not None:  # [mqtt]: the home-automation bridge
                await stack.enter_async_context(bridge.running())
            for extra in lifespans:
                await stack.enter_async_context(extra())
            yield

    async def metrics_page(request: Request) -> Response:
        body, media_type = metrics.exposition(request.headers.get("accept", ""))
        return Response(body, media_type=media_type)

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        ready = broker.connected
        body = {
            "ready": ready,
            "broker": {"url": broker.backend.description, "connected": ready},
            "gateways": {
                gateway_id: {
                    "lastContact": _iso(client.last_contact),
                    "sn": client.sn,
                    "circuit": client.breaker_state,
                }
                for gateway_id, client in gateways.items()
            },
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Mount(STATIC_PATH, app=GraphiQLStatic(), name="graphiql-static"),
            Route("/push/{gateway_id}", webhook.handle, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_page, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.gateways = gateways
    app.state.broker = broker
    app.state.graphql = graphql
    app.state.mqtt = bridge
    app.state.metrics = metrics
    app.state.operation_observer = metrics  # read by schema.telemetry for each operation
    return app


def _iso(timestamp: float | None) -> str | None:
    """A last-contact time for people and monitors: ISO 8601 in UTC."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=UTC).isoformat(timespec="seconds")


async def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
