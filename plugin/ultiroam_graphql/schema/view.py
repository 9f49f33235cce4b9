"""The GraphQL endpoint: Strawberry's ASGI view, one fresh :class:`Context` per operation."""

from __future__ import annotations

import asyncio
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.types.unset import UnsetType

from ..broker import Broker
from ..gateway import GatewayClient
from ..limits import BodyTooLarge, read_limited
from ..outbound import Outbound
from .context import Context
from .root import Limits, build_schema

DEFAULT_LIMITS = Limits()


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
        limits: Limits = DEFAULT_LIMITS,
        max_request_bytes: int = 256 * 1024,
        max_connections: int = 1000,
        **kwargs: Any,
    ) -> None:
        super().__init__(build_schema(limits), **kwargs)
        self.max_request_bytes = max_request_bytes
        self.max_connections = max_connections
        self._connections = 0
        self.gateways = gateways
        self.broker = broker
        self.api_tokens = tuple(api_tokens)
        self.outbound = outbound or {}
        self.mutations_allowed = mutations_allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        if self.api_tokens:
            wants_page = request.method == "GET" and "text/html" in request.headers.get(
                "accept", ""
            )
            if not wants_page and not bearer_token_accepted(
                request.headers.get("authorization"), self.api_tokens
            ):
                await UNAUTHENTICATED_RESPONSE(scope, receive, send)
                return
        try:
            body = await read_limited(request, self.max_request_bytes)
        except BodyTooLarge:
            await _bad_request(
                f"The request body is larger than {self.max_request_bytes} bytes", 413
            )(scope, receive, send)
            return
        problem = _json_body_problem(request, body)
        if problem is not None:
            await _bad_request(problem)(scope, receive, send)
            return
        await super().__call__(scope, _replay(body), send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """At most ``max_connections`` WebSockets at once; more are turned away (1013)."""
        if self._connections >= self.max_connections:
            websocket = WebSocket(scope, receive, send)
            offered = websocket.scope.get("subprotocols") or [None]
            await websocket.accept(subprotocol=offered[0])
            await websocket.close(code=1013, reason="too many connections; try again later")
            return
        self._connections += 1
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._connections -= 1

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


def _json_body_problem(request: Request, body: bytes) -> str | None:
    """Why a JSON request body cannot be a GraphQL request, before Strawberry reads it."""
    if request.method != "POST" or "json" not in request.headers.get("content-type", ""):
        return None
    try:
        value = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError:
        return "The request body is not UTF-8"
    except (ValueError, RecursionError):
        return "The request body is not valid JSON"
    if not isinstance(value, (dict, list)):
        return "The request body must be a JSON object (or a list of them)"
    if isinstance(value, list) and not all(isinstance(item, dict) for item in value):
        return "A batch must be a list of JSON objects"
    return None


def _bad_request(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]},
        status_code=status,
    )


def _replay(body: bytes) -> Receive:
    """A receive channel that gives the already-read body once, then waits like a client."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # the client has nothing more to say
        return {"type": "http.disconnect"}

    return receive
