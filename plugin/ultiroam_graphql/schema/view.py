"""The GraphQL endpoint: Strawberry's ASGI view, one fresh :class:`Context` per operation."""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError, MissingQueryError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UnsetType

from ..broker import Broker
from ..gateway import GatewayClient
from ..limits import BodyTooLarge, read_limited
from ..outbound import Outbound
from .context import Context
from .fanout import SharedStreams, SharingTransportWSHandler
from .http_exchange import SubResponse, json_body, replay, request_head
from .media import (
    BAD_USER_INPUT,
    GRAPHQL_RESPONSE,
    JSON,
    SUPPORTED,
    error_response,
    negotiate,
    request_content_type_problem,
)
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


class _RequestAdapter(GraphQL.request_adapter_class):  # type: ignore[misc,name-defined]
    """Strawberry's adapter, with the media type of ``Content-Type`` in lower case: media types
    are case-insensitive (RFC 9110), as the view's own 415 check reads them, and Strawberry
    compares it as written."""

    @property
    def content_type(self) -> str | None:
        value: str | None = super().content_type
        if not value:
            return value
        media_type, separator, parameters = value.partition(";")
        return media_type.lower() + separator + parameters


class GraphQLView(GraphQL[Context, None]):
    """GraphiQL on GET, queries on GET and POST, subscriptions over both WebSocket protocols.

    With ``api_tokens``, every operation needs ``Authorization: Bearer <token>``: as a header, or
    for WebSockets (browsers cannot set headers there) in the ``connection_init`` payload. The
    GraphiQL page itself stays open, so a person can paste the header into it.

    Over HTTP it follows the GraphQL-over-HTTP spec (docs/graphql-over-http.md): both response
    media types by ``Accept``, their status codes, 405 for mutations over GET, 406 and 415.
    """

    graphql_transport_ws_handler_class = SharingTransportWSHandler
    request_adapter_class = _RequestAdapter

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
        self.shared_streams = SharedStreams(self.schema, buffer=broker.subscriber_buffer)
        pipeline = getattr(self.schema, "pipeline", None)
        self._plans = pipeline.plans if pipeline is not None else None
        self.direct = True
        """POSTed operations answered without Strawberry's ``run`` (``_direct``); off, every
        request takes ``run``: the reference the direct answers are tested against."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        response = await self._http(Request(scope, receive))
        await response(scope, receive, send)

    async def _http(self, request: Request) -> Response:
        """GraphQL over HTTP: the checks that come before GraphQL, each in the negotiated type."""
        method = request.scope["method"]
        if method == "GET" and self.should_render_graphql_ide(self.request_adapter_class(request)):
            return await self._run(request, JSON)  # the page: no token, no media type
        head = request_head(request.scope)
        media_type = negotiate(head.get(b"accept"))
        if media_type is None:
            return error_response(JSON, 406, f"Acceptable response types: {SUPPORTED}")
        if self.api_tokens and not bearer_token_accepted(
            head.get(b"authorization"), self.api_tokens
        ):
            return error_response(
                media_type,
                401,
                UNAUTHENTICATED_MESSAGE,
                code="UNAUTHENTICATED",
                headers={"WWW-Authenticate": "Bearer"},
            )
        try:
            body = await read_limited(
                request, self.max_request_bytes, head.get(b"content-length", "")
            )
        except BodyTooLarge:
            message = f"The request body is larger than {self.max_request_bytes} bytes"
            return error_response(media_type, 413, message)
        if method == "POST":
            problem = request_content_type_problem(head.get(b"content-type"))
            if problem is not None:
                return error_response(media_type, 415, problem)
        payload = json_body(request, body)
        if isinstance(payload, str):
            return error_response(media_type, 400, payload)
        if (
            self.direct
            and type(payload) is dict
            and (answer := await self._direct(request, body, payload, media_type, head)) is not None
        ):
            return answer
        return await self._run(Request(request.scope, replay(body)), media_type)

    async def _direct(
        self,
        request: Request,
        body: bytes,
        payload: dict[str, Any],
        media_type: str,
        head: dict[bytes, str],
    ) -> Response | None:
        """A POSTed operation answered as ``run`` answers it, without its generic steps (the
        body and its content type read again, the stream transports): a query with a plan runs
        it (``operations``), any other through ``execute_single``. None for a request ``run``
        must see itself: a stream, or a body it refuses."""
        query = payload.get("query")
        name = payload.get("operationName")
        variables = payload.get("variables")
        extensions = payload.get("extensions")
        if (
            not (query is None or type(query) is str)
            or not (name is None or type(name) is str)
            or not (variables is None or type(variables) is dict)
            or not (extensions is None or type(extensions) is dict)
            or (  # none is configured unless a subclass adds one
                self._stream_transport_map
                and self._get_stream_transport_from_headers({"accept": head.get(b"accept", "")})
            )
        ):
            return None
        name = name or None  # the empty string names no operation (parse_http_body)
        root_value = await self.get_root_value(request)
        if self._plans is not None and query and not variables and not extensions:
            plan = self._plans.find(query, name, self.gateways)
            if plan is not None:  # its resolvers are synchronous: none reads the body again
                sub_response = SubResponse(media_type)  # as get_sub_response makes it
                context = await self.get_context(request, response=sub_response)
                result = plan.execute(context, root_value)
                if result is not None:  # what process_result makes of it: no errors
                    return self.create_response({"data": result.data}, sub_response)
        request = Request(request.scope, replay(body))  # the body, for whoever reads it again
        sub_response = SubResponse(media_type)  # a fresh one, and context, after a plan
        context = await self.get_context(request, response=sub_response)
        data = GraphQLRequestData(query, variables, name, extensions, protocol="http")
        try:
            adapter = self.request_adapter_class(request)
            result = await self.execute_single(
                request, adapter, sub_response, context, root_value, data
            )
        except HTTPException as exc:
            return _http_error(media_type, exc)
        response_data = await self.process_result(request, result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data, sub_response)

    async def _run(self, request: Request, media_type: str) -> Response:
        """Strawberry's handling, its HTTP errors answered as GraphQL errors, not plain text."""
        try:
            return await self.run(request)
        except HTTPException as exc:
            return _http_error(media_type, exc)

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

    async def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL page, its assets served by the app itself: it works with no internet."""
        from ..graphiql import graphiql_response  # the page's one seam with this view

        return graphiql_response(tokens_required=bool(self.api_tokens))

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

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        return SubResponse(negotiate(request.headers.get("accept")) or JSON)

    def decode_json(self, data: str | bytes) -> object:
        return orjson.loads(data)  # raises a json.JSONDecodeError subclass, as Strawberry expects

    def encode_json(self, data: object) -> str:
        # Text, not bytes: WebSocket frames must stay text frames for graphql-ws clients.
        return orjson.dumps(data).decode()

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        for item in parsed if isinstance(parsed, list) else [parsed]:
            name: object = item.operation_name
            if not isinstance(name, (str, type(None))):
                raise HTTPException(
                    400, "The GraphQL operation's `operationName` must be a string or null."
                )
            item.operation_name = name or None  # the empty string names no operation
        return parsed

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Response,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Queries over GET, queries and mutations over POST; subscriptions over WebSockets."""
        allowed = {OperationType.QUERY}
        if request_adapter.method == "POST":
            allowed.add(OperationType.MUTATION)
        elif not self.allow_queries_via_get:
            allowed.clear()
        try:
            return await self.schema.execute(
                request_data.query,
                root_value=root_value,
                variable_values=request_data.variables,
                context_value=context,
                operation_name=request_data.operation_name,
                allowed_operation_types=allowed,
                operation_extensions=request_data.extensions,
            )
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc
        except CannotGetOperationTypeError as exc:
            return _refused(exc.as_http_error_reason())
        except InvalidOperationTypeError as exc:
            if exc.operation_type is OperationType.SUBSCRIPTION:
                return _refused("Subscriptions are served over WebSockets at this URL, not HTTP")
            kind = "Mutations" if exc.operation_type is OperationType.MUTATION else "Queries"
            raise MethodNotAllowed(
                f"{kind} are not served over GET: use POST", allow="POST"
            ) from exc

    async def process_result(
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """Under the newer media type, an operation refused before it ran has no ``data``."""
        processed = await super().process_result(request, result)
        if _refused_before_execution(result) and (
            negotiate(request.headers.get("accept")) == GRAPHQL_RESPONSE
        ):
            processed.pop("data", None)
        return processed

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: Response,
    ) -> Response:
        """Strawberry's response with our content type: its own headers first, then the
        resolvers' (their ``content-type`` gives way), its status unless they set one."""
        media_type = sub_response.media_type or JSON
        response = Response(orjson.dumps(response_data), media_type=f"{media_type}; charset=utf-8")
        extra = sub_response.raw_headers
        if extra:
            response.headers.raw.extend(item for item in extra if item[0] != b"content-type")
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        elif media_type == GRAPHQL_RESPONSE:
            response.status_code = _graphql_response_status(response_data)
        return response


UNAUTHENTICATED_MESSAGE = "A valid API token is required: Authorization: Bearer <token>"


def _http_error(media_type: str, exc: HTTPException) -> Response:
    """Strawberry's HTTP errors answered as GraphQL errors, not plain text."""
    allow = getattr(exc, "allow", "GET, POST")
    headers = {"Allow": allow} if exc.status_code == 405 else None
    return error_response(media_type, exc.status_code, exc.reason, headers=headers)


class MethodNotAllowed(HTTPException):
    """405, with the methods that would serve the request (the ``Allow`` header)."""

    def __init__(self, reason: str, *, allow: str) -> None:
        super().__init__(405, reason)
        self.allow = allow


def _refused(message: str) -> ExecutionResult:
    """A GraphQL request error raised before execution: no data, one error."""
    error = GraphQLError(message, extensions={"code": BAD_USER_INPUT})
    return PreExecutionError(data=None, errors=[error])


def _refused_before_execution(result: ExecutionResult) -> bool:
    """No field ran: a syntax, validation, variable or input error (errors with no path)."""
    return (
        result.data is None and bool(result.errors) and all(e.path is None for e in result.errors)
    )


def _graphql_response_status(
    response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
) -> int:
    """200 when the operation ran (``data`` present, even null); 400 when it was refused."""
    if isinstance(response_data, list) or "data" in response_data:
        return 200
    codes = {
        (error.get("extensions") or {}).get("code") for error in response_data.get("errors") or []
    }
    return 500 if "INTERNAL_SERVER_ERROR" in codes else 400
