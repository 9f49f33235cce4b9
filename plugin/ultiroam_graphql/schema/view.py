"""The GraphQL endpoint: Strawberry's ASGI view, one fresh :class:`Context` per operation."""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UnsetType

from ..broker import Broker
from ..gateway import GatewayClient
from ..outbound import Outbound
from .context import Context
from .root import build_schema


def bearer_token_accepted(authorization: object, tokens: Sequence[str]) -> bool:
    """Whether ``Authorization: Bearer <token>`` names one of ``tokens``, in constant time."""
    if not isinstance(authorization, str) or not authorization.lower().startswith("bearer "):
        return False
    given = authorization[7:].strip().encode()
    accepted = False
    for token in tokens:  # every token compared: the time does not tell which one was close
        accepted |= hmac.compare_digest(given, token.encode())
    return accepted


class GraphQLView(GraphQL[Context, None]):
    """GraphiQL on GET, queries on GET and POST, subscriptions over both WebSocket protocols.

    With ``api_tokens``, every operation needs ``Authorization: Bearer <token>``: as a header, or
    for WebSockets (browsers cannot set headers there) in the ``connection_init`` payload. The
    GraphiQL page itself stays open, so a person can paste the header into it.
    """

    def __init__(
        self,
        gateways: Mapping[str, GatewayClient],
        broker: Broker,
        *,
        api_tokens: Sequence[str] = (),
        outbound: Mapping[str, Outbound] | None = None,
        mutations_allowed: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(build_schema(), **kwargs)
        self.gateways = gateways
        self.broker = broker
        self.api_tokens = tuple(api_tokens)
        self.outbound = outbound or {}
        self.mutations_allowed = mutations_allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.api_tokens:
            request = Request(scope)
            wants_page = request.method == "GET" and "text/html" in request.headers.get(
                "accept", ""
            )
            if not wants_page and not bearer_token_accepted(
                request.headers.get("authorization"), self.api_tokens
            ):
                await UNAUTHENTICATED_RESPONSE(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        if self.api_tokens:
            params = (
                context.connection_params if isinstance(context.connection_params, dict) else {}
            )
            header = context.request.headers.get("authorization") if context.request else None
            if not bearer_token_accepted(params.get("Authorization", header), self.api_tokens):
                raise ConnectionRejectionError({"message": UNAUTHENTICATED_MESSAGE})
        return await super().on_ws_connect(context)

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        return Context.create(
            self.gateways,
            self.broker,
            outbound=self.outbound,
            mutations_allowed=self.mutations_allowed,
            request=request,
            response=response,
        )


UNAUTHENTICATED_MESSAGE = "A valid API token is required: Authorization: Bearer <token>"
UNAUTHENTICATED_RESPONSE = JSONResponse(
    {"errors": [{"message": UNAUTHENTICATED_MESSAGE, "extensions": {"code": "UNAUTHENTICATED"}}]},
    status_code=401,
    headers={"WWW-Authenticate": "Bearer"},
)
