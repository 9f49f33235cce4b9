"""One log line and one observation per GraphQL operation: its type, outcome, error codes,
duration, and the REST calls it cost the gateways.

The REST calls are counted by the gateway clients into a counter this extension starts with
the operation (``gateway.observe.count_calls``). The observer is the one the serving app names
in ``app.state.operation_observer``; without one (a schema used on its own) only the log line
is written.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from typing import Any, Literal, Protocol

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from ..gateway.observe import count_calls

log = logging.getLogger("ultiroam_graphql.operations")

OperationType = Literal["query", "mutation", "subscription", "unknown"]
Outcome = Literal["ok", "error"]
OBSERVER_STATE_KEY = "operation_observer"
NAME_CHARS = 100
"""How much of a client-chosen operation name a log line repeats."""
GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
UNCODED = "GRAPHQL_VALIDATION_FAILED"
"""The code logged for an error that carries none: syntax, validation, variable coercion."""
REFUSED = "BAD_REQUEST"
"""The code logged for a request Strawberry refuses before it has an operation to run."""


class OperationObserver(Protocol):
    def operation_finished(
        self, operation_type: OperationType, outcome: Outcome, seconds: float
    ) -> None:
        """An operation ended; for a subscription, when its stream ended."""


class OperationRecord:
    """One operation's observation, begun as it starts: used by the extension and the fast path."""

    __slots__ = ("_calls", "_started", "codes")

    def __init__(self) -> None:
        self._started = time.perf_counter()
        self._calls = count_calls()
        self.codes: set[str] = set()

    def refuse(self) -> None:
        """No query, no such operation, a type this transport refuses, a document that failed."""
        self.codes.add(REFUSED)

    def collect(self, errors: list[GraphQLError] | None) -> None:
        for error in errors or ():
            code = (error.extensions or {}).get("code")
            self.codes.add(code if isinstance(code, str) else UNCODED)

    def finish(
        self, context: Any, operation_type: OperationType, operation_name: str | None
    ) -> None:
        """The observation and the log line, once the operation (or its stream) ended."""
        seconds = time.perf_counter() - self._started
        calls = self._calls.value
        outcome: Outcome = "error" if self.codes else "ok"
        _observer(context).operation_finished(operation_type, outcome, seconds)
        if not log.isEnabledFor(logging.INFO):
            return
        name = _name(operation_name)
        log.info(
            "%s %s %s in %.1f ms, %d REST call%s",
            operation_type,
            name or "(anonymous)",
            outcome,
            seconds * 1000,
            calls,
            "" if calls == 1 else "s",
            extra={
                "event": "graphql_operation",
                "operation_name": name,
                "operation_type": operation_type,
                "duration_ms": round(seconds * 1000, 1),
                "rest_calls": calls,
                "outcome": outcome,
                "error_codes": sorted(self.codes),
            },
        )


class OperationTelemetry(SchemaExtension):
    """Registered first, so it sees the errors as the error policy left them for clients."""

    def __init__(self, *, execution_context: Any = None) -> None:
        super().__init__(execution_context=execution_context)
        self._record: OperationRecord | None = None

    def on_operation(self) -> Iterator[None]:
        record = self._record = OperationRecord()
        try:
            yield
        except Exception:
            record.refuse()
            raise
        finally:
            context = self.execution_context
            record.collect(getattr(context.result, "errors", None))
            record.finish(context.context, _operation_type(context), context.operation_name)

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """A subscription's events (and a WebSocket query's one result): their errors count."""
        try:
            yield
        finally:
            if self._record is not None:  # always: results stream within the operation
                self._record.collect(getattr(result, "errors", None))


def _name(name: str | None) -> str | None:
    """The operation's name, if it is one: ``operationName`` is any string a client sends."""
    if name is None:
        return None
    return name[:NAME_CHARS] if GRAPHQL_NAME.fullmatch(name) else "(not a GraphQL name)"


def _operation_type(context: Any) -> OperationType:
    try:
        value = context.operation_type.value
    except RuntimeError:  # the document did not parse, or names no such operation
        return "unknown"
    return value if value in ("query", "mutation", "subscription") else "unknown"


class _NoObserver:
    def operation_finished(
        self, operation_type: OperationType, outcome: Outcome, seconds: float
    ) -> None:
        pass


_NO_OBSERVER = _NoObserver()


def _observer(context: Any) -> OperationObserver:
    """The observer of the app serving this operation (Starlette puts it in the scope)."""
    request = getattr(context, "request", None)
    scope = getattr(request, "scope", None)
    app = scope.get("app") if isinstance(scope, dict) else None
    observer = getattr(getattr(app, "state", None), OBSERVER_STATE_KEY, None)
    return observer if observer is not None else _NO_OBSERVER
