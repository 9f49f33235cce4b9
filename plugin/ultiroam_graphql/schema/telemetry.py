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


class OperationTelemetry(SchemaExtension):
    """Registered first, so it sees the errors as the error policy left them for clients."""

    def __init__(self, *, execution_context: Any = None) -> None:
        super().__init__(execution_context=execution_context)
        self._codes: set[str] = set()

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        calls = count_calls()
        try:
            yield
        except Exception:  # no query, no such operation, a type this transport refuses
            self._codes.add(REFUSED)
            raise
        finally:
            seconds = time.perf_counter() - started
            context = self.execution_context
            self._collect(getattr(context.result, "errors", None))
            operation_type = _operation_type(context)
            outcome: Outcome = "error" if self._codes else "ok"
            _observer(context.context).operation_finished(operation_type, outcome, seconds)
            name = _name(context.operation_name)
            log.info(
                "%s %s %s in %.1f ms, %d REST call%s",
                operation_type,
                name or "(anonymous)",
                outcome,
                seconds * 1000,
                calls.value,
                "" if calls.value == 1 else "s",
                extra={
                    "event": "graphql_operation",
                    "operation_name": name,
                    "operation_type": operation_type,
                    "duration_ms": round(seconds * 1000, 1),
                    "rest_calls": calls.value,
                    "outcome": outcome,
                    "error_codes": sorted(self._codes),
                },
            )

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """A subscription's events (and a WebSocket query's one result): their errors count."""
        try:
            yield
        finally:
            self._collect(getattr(result, "errors", None))

    def _collect(self, errors: list[GraphQLError] | None) -> None:
        for error in errors or ():
            code = (error.extensions or {}).get("code")
            self._codes.add(code if isinstance(code, str) else UNCODED)


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
