"""The GraphQL endpoint: Strawberry's ASGI view, one fresh :class:`Context` per operation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from ..broker import Broker
from ..gateway import GatewayClient
from .context import Context
from .root import build_schema


class GraphQLView(GraphQL[Context, None]):
    """GraphiQL on GET, queries on GET and POST, subscriptions over both WebSocket protocols."""

    def __init__(
        self, gateways: Mapping[str, GatewayClient], broker: Broker, **kwargs: Any
    ) -> None:
        super().__init__(build_schema(), **kwargs)
        self.gateways = gateways
        self.broker = broker

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return Context.create(self.gateways, self.broker, request=request, response=response)
