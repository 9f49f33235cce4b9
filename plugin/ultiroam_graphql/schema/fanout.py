"""Subscribers asking the same thing share one execution: an event is resolved and serialised
once, then written to each of them.

Over ``graphql-transport-ws``, subscriptions with the same document, operation name and
variables join one shared stream: one broker subscription, one execution per event, one JSON
payload, and per subscriber only its frame (the payload behind its operation id) and the write.
A subscription that resumes from a cursor (an ``after`` argument) replays its own past, so it
runs alone, as does anything that does not parse; the legacy ``graphql-ws`` protocol too.

Each subscriber keeps its own bounded queue: one that falls ``buffer`` events behind gets what
was queued, then the ``SUBSCRIPTION_OVERFLOW`` error, then ``complete``; nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Mapping
from contextlib import aclosing
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Protocol

import orjson
from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    parse,
    visit,
)
from graphql.language import Visitor
from starlette.websockets import WebSocketDisconnect
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.base import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError

from ..errors import SubscriptionOverflow
from .errors import to_client_error

log = logging.getLogger(__name__)

SHARED_DOCUMENTS = 256
"""Distinct subscription texts whose shape is remembered (the check runs once per text)."""
MAX_SHARED_TOKENS = 2000
"""A longer document is not looked at here; it runs alone, under the schema's own limits."""


class FanoutObserver(Protocol):
    def subscribers_changed(self, delta: int) -> None:
        """Subscribers served by shared streams came (+) or went (-)."""


class _NoObserver:
    def subscribers_changed(self, delta: int) -> None:
        pass


@lru_cache(maxsize=SHARED_DOCUMENTS)
def _shareable(query: str, operation_name: str | None) -> bool:
    """Whether the operation is a subscription that can join a shared stream."""
    try:
        document = parse(query, max_tokens=MAX_SHARED_TOKENS)
    except GraphQLError:
        return False  # run alone: the schema gives the syntax error
    operation = _operation(document, operation_name)
    return (
        operation is not None
        and operation.operation == OperationType.SUBSCRIPTION
        and len(operation.selection_set.selections) == 1
        and isinstance(operation.selection_set.selections[0], FieldNode)
        and not _resumes(document)
    )


def _operation(
    document: DocumentNode, operation_name: str | None
) -> OperationDefinitionNode | None:
    operations = [
        node for node in document.definitions if isinstance(node, OperationDefinitionNode)
    ]
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    named = [node for node in operations if node.name and node.name.value == operation_name]
    return named[0] if len(named) == 1 else None


def _resumes(document: DocumentNode) -> bool:
    """Whether anything in the document (fragments included) resumes from a cursor."""
    found = False

    class Finder(Visitor):
        def enter_argument(self, node: ArgumentNode, *args: Any) -> None:
            nonlocal found
            found = found or node.name.value == "after"

    visit(document, Finder())
    return found


_OVERFLOW = object()
_COMPLETE = object()


@dataclass(eq=False)
class _Subscriber:
    """One operation of one connection: its frames, queued while its socket writes."""

    buffer: int
    queue: deque[str] = field(default_factory=deque)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    end: object | list[Any] | None = None  # _COMPLETE, _OVERFLOW or initial errors

    def offer(self, payload: str) -> None:
        if self.end is not None:
            return
        if len(self.queue) >= self.buffer:
            self.end = _OVERFLOW
        else:
            self.queue.append(payload)
        self.wake.set()

    def finish(self, end: object | list[Any]) -> None:
        if self.end is None:
            self.end = end
        self.wake.set()


class _Stream:
    """One execution of one subscription, for every subscriber of the same key."""

    def __init__(self) -> None:
        self.subscribers: set[_Subscriber] = set()
        self.task: asyncio.Task[None] | None = None

    async def run(
        self, schema: BaseSchema, request: tuple[str, Any, str | None], context: Any
    ) -> None:
        query, variables, operation_name = request
        end: object | list[Any] = _COMPLETE
        try:
            source = await schema.stream(
                query,
                variable_values=variables,
                context_value=context,
                operation_name=operation_name,
            )
            async with aclosing(source):
                first = True
                async for result in source:
                    if first and isinstance(result, PreExecutionError):
                        end = [error.formatted for error in result.errors or ()]
                        return
                    first = False
                    if isinstance(result, ExecutionResult):
                        payload = _payload(result)
                        for subscriber in self.subscribers:
                            subscriber.offer(payload)
        except Exception:
            log.exception("a shared subscription stream failed")
        finally:
            for subscriber in self.subscribers:
                subscriber.finish(end)


def _payload(result: ExecutionResult) -> str:
    """The ``next`` payload, as Strawberry's handler builds it, serialised once."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return orjson.dumps(payload).decode()


class SharedStreams:
    """The shared streams of one schema, by (document, operation name, variables)."""

    def __init__(
        self, schema: BaseSchema, *, buffer: int, observer: FanoutObserver | None = None
    ) -> None:
        self.schema = schema
        self.buffer = buffer
        self.observer: FanoutObserver = observer or _NoObserver()
        self._streams: dict[tuple[str, str, str | None], _Stream] = {}

    @property
    def stream_count(self) -> int:
        return len(self._streams)

    @property
    def subscriber_count(self) -> int:
        return sum(len(stream.subscribers) for stream in self._streams.values())

    @contextlib.asynccontextmanager
    async def join(
        self,
        query: str,
        variables: Mapping[str, Any] | None,
        operation_name: str | None,
        context: Any,
    ) -> AsyncIterator[_Subscriber]:
        key = (query, _canonical(variables), operation_name)
        stream = self._streams.get(key)
        if stream is None:
            stream = self._streams[key] = _Stream()
            stream.task = asyncio.create_task(
                self._run(key, stream, (query, variables, operation_name), context),
                name="shared-subscription",
            )
        subscriber = _Subscriber(self.buffer)
        stream.subscribers.add(subscriber)
        self.observer.subscribers_changed(+1)
        try:
            yield subscriber
        finally:
            self.observer.subscribers_changed(-1)
            stream.subscribers.discard(subscriber)
            if not stream.subscribers and stream.task is not None:
                self._forget(key, stream)
                stream.task.cancel()

    async def _run(
        self,
        key: tuple[str, str, str | None],
        stream: _Stream,
        request: tuple[str, Any, str | None],
        context: Any,
    ) -> None:
        try:
            await stream.run(self.schema, request, context)
        finally:
            self._forget(key, stream)  # nobody joins a stream that has ended

    def _forget(self, key: tuple[str, str, str | None], stream: _Stream) -> None:
        if self._streams.get(key) is stream:
            del self._streams[key]


def _canonical(variables: Mapping[str, Any] | None) -> str:
    return orjson.dumps(variables or {}, option=orjson.OPT_SORT_KEYS).decode()


class SharingTransportWSHandler(BaseGraphQLTransportWSHandler[Any, Any]):
    """Strawberry's ``graphql-transport-ws`` handler, with subscriptions joining shared streams
    (``view.shared_streams``) where they can."""

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        shared: SharedStreams | None = getattr(self.view, "shared_streams", None)
        if (
            shared is None
            or not _shareable(operation.query, operation.operation_name)
            or not _plain(operation.variables)
        ):
            await super().run_operation(operation)
            return
        async with shared.join(
            operation.query, operation.variables, operation.operation_name, self.context
        ) as subscriber:
            await self._deliver(operation, subscriber, shared.buffer)

    async def _deliver(
        self, operation: Operation[Any, Any], subscriber: _Subscriber, buffer: int
    ) -> None:
        prefix = '{"id":' + orjson.dumps(operation.id).decode() + ',"type":"next","payload":'
        socket = self.websocket.ws  # type: ignore[attr-defined]
        queue = subscriber.queue
        while True:
            while queue:
                if operation.completed:
                    return
                await _send_text(socket, prefix + queue.popleft() + "}")
            end = subscriber.end
            if end is None:
                subscriber.wake.clear()
                await subscriber.wake.wait()
                continue
            if isinstance(end, list):  # refused before it ran: validation, variables
                await operation.send_operation_message(
                    {"id": operation.id, "type": "error", "payload": end}
                )
                return
            if end is _OVERFLOW:
                await _send_text(socket, prefix + _overflow_payload(buffer) + "}")
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
            return


def _plain(variables: object) -> bool:
    """Variables that can be a key: a JSON object (anything else runs alone and is refused)."""
    return variables is None or isinstance(variables, dict)


def _overflow_payload(buffer: int) -> str:
    """What an unshared subscription says when it falls behind, for this subscriber alone."""
    overflow = SubscriptionOverflow(buffer)
    error = to_client_error(GraphQLError(str(overflow), original_error=overflow))
    return orjson.dumps({"data": None, "errors": [error.formatted]}).decode()


async def _send_text(socket: Any, text: str) -> None:
    try:
        await socket.send_text(text)
    except WebSocketDisconnect as exc:
        raise WebSocketDisconnected from exc
