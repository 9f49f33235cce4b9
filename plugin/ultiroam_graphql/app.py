"""The Starlette application: ``/graphql`` and ``/healthz``, and the lifespan that owns clients."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from .config import Settings
from .gateway import GatewayClient
from .schema import Context, build_schema

Lifespan = Callable[[], AbstractAsyncContextManager[Any]]


class FacadeGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with one fresh :class:`Context` (and loaders) per operation."""

    def __init__(self, gateways: Mapping[str, GatewayClient], **kwargs: Any) -> None:
        super().__init__(build_schema(), **kwargs)
        self.gateways = gateways

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return Context.create(self.gateways, request=request, response=response)


def create_app(
    settings: Settings,
    *,
    clients: Mapping[str, GatewayClient] | None = None,
    lifespans: Sequence[Lifespan] = (),
) -> Starlette:
    """The facade as an ASGI app, to run alone or to mount in a host Starlette/FastAPI app.

    ``clients`` replaces the gateway clients built from ``settings`` (tests, custom transports);
    ``lifespans`` are entered at startup and left at shutdown, after the app's own.
    A host that mounts this app should enter ``app.router.lifespan_context(app)`` in its own
    lifespan, so the gateway connections are closed on shutdown.
    """
    gateways = (
        dict(clients)
        if clients is not None
        else {gateway.id: GatewayClient(gateway) for gateway in settings.gateways}
    )
    graphql = FacadeGraphQL(gateways)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for client in gateways.values():
                stack.push_async_callback(client.aclose)
            for extra in lifespans:
                await stack.enter_async_context(extra())
            yield

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.gateways = gateways
    return app
