"""Error policy in one place: ``extensions.code`` from the facade's errors, the rest masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from ..errors import GatewayError, UltiroamError

log = logging.getLogger("ultiroam_graphql")

INTERNAL_ERROR = "Internal server error"


def to_client_error(error: GraphQLError) -> GraphQLError:
    """The error as the client sees it: our codes added, unexpected failures masked."""
    original = _cause(error)
    if isinstance(original, UltiroamError):
        extensions = {**(error.extensions or {}), **original.extensions()}
        message = error.message
    elif original is None or isinstance(original, GraphQLError):
        return error  # syntax, validation and coercion errors speak for themselves
    else:  # logged by log_unexpected, shown to nobody
        extensions = {"code": "INTERNAL_SERVER_ERROR"}
        message = INTERNAL_ERROR
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=original,
        extensions=extensions,
    )


def log_unexpected(errors: list[GraphQLError]) -> None:
    """Log what no client may see; the facade's own errors are answers, not incidents."""
    for error in errors:
        cause = _cause(error)
        if cause is not None and not isinstance(cause, (GraphQLError, UltiroamError)):
            log.error("unexpected error at %s", error.path, exc_info=cause)


def _cause(error: GraphQLError) -> BaseException | None:
    """The exception behind an error, through graphql-core's own wrapping."""
    original = error.original_error
    while isinstance(original, GraphQLError) and original.original_error is not None:
        original = original.original_error
    return original


def _one_per_gateway_failure(errors: list[GraphQLError]) -> list[GraphQLError]:
    """A failing gateway is reported once, however many fields it left null."""
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for error in errors:
        original = _cause(error)
        if isinstance(original, GatewayError):
            identity = (original.gateway_id, original.code, str(original))
            if identity in seen:
                continue
            seen.add(identity)
        kept.append(error)
    return kept


class ErrorPolicy(SchemaExtension):
    """Adds the errors reported beside data, then maps every error to what clients see."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if isinstance(result, _ResultWithErrors):
            rewrite_errors(result, extra_errors(self.execution_context.context))

    def on_stream_result(self, result: Any) -> Iterator[None]:
        """Each event of a subscription (and a subscription's own failure)."""
        if isinstance(result, _ResultWithErrors):
            rewrite_errors(result, [])
        yield


@runtime_checkable
class _ResultWithErrors(Protocol):
    errors: list[GraphQLError] | None


def extra_errors(context: Any) -> list[GraphQLError]:
    """The errors resolvers reported beside their data (a gateway failing in a list)."""
    return getattr(context, "extra_errors", [])


def rewrite_errors(result: _ResultWithErrors, extra: list[GraphQLError]) -> None:
    """The result's errors and ``extra`` as clients see them: used by the extension and the
    fast path alike."""
    errors = [*(result.errors or []), *extra]
    if errors:
        result.errors = [to_client_error(e) for e in _one_per_gateway_failure(errors)]
