"""Queries and mutations in straight-line code: what the schema's extensions do, without
Strawberry's extension runner, which builds an async context manager per hook, extension and
request and costs a small operation about a third of its time.

The steps, their order and every error are those of ``strawberry.Schema.execute`` with the
extensions ``build_schema`` registers (telemetry, token limit, parser cache, limit rules,
validation cache, input check, error policy):

1. no query: ``MissingQueryError``; parse with the token limit, cached by text;
2. the operation's type (``CannotGetOperationTypeError``), refused unless allowed
   (``InvalidOperationTypeError``); these three propagate, as Strawberry's do;
3. validation with the default and limit rules, cached per document: a ``PreExecutionError``;
4. the operation-wide input check: an ``ExecutionResult`` without data;
5. graphql-core's execution with the schema's executor class;
6. ``process_errors`` on the errors as raised, then the error policy's rewrite;
7. the telemetry observation and log line, whatever happened.

A document that does not parse, or anything else raised, becomes a ``PreExecutionError`` with
one error, as Strawberry makes it. Subscriptions keep Strawberry's path and its extensions; the
error policy, input check and telemetry are the same functions on both paths.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    execute,
    specified_rules,
)
from strawberry.exceptions import MissingQueryError
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache
from strawberry.schema._graphql_core import execution_context_class_kwargs
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe
from strawberry.utils.operation import get_operation_type

from .errors import extra_errors, rewrite_errors
from .execution import CompiledExecutor
from .input_check import first_input_error
from .operations import OperationPlans, first_operation_name
from .telemetry import OperationRecord
from .telemetry import OperationType as LoggedType

if TYPE_CHECKING:
    import strawberry

__all__ = ["DocumentCache", "Pipeline"]

REFUSALS = (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError)
"""Raised to the transport, which answers them itself (400, 405)."""


class DocumentCache:
    """Parsed documents by query text, and their validation errors per document: the bounded
    LRU caches of Strawberry's ``ParserCache`` and ``ValidationCache``, shared with them.

    Documents that do not parse are not kept: their error is raised again, and costs the
    parse again, as with ``ParserCache``.
    """

    def __init__(
        self,
        schema: GraphQLSchema,
        rules: Iterable[type[ASTValidationRule]],
        *,
        max_tokens: int,
        maxsize: int,
    ) -> None:
        self._schema = schema
        self._rules = (*specified_rules, *rules)  # as AddValidationRules leaves them
        self._max_tokens = max_tokens
        self._parse = _get_parse_cache(maxsize)
        self._validate = _get_validate_cache(maxsize)

    @property
    def schema(self) -> GraphQLSchema:
        return self._schema

    def parsed(self, query: str) -> DocumentNode:
        return self._parse(query, max_tokens=self._max_tokens)

    def errors(self, document: DocumentNode) -> list[GraphQLError]:
        return self._validate(self._schema, document, self._rules)


class _Run:
    """What the telemetry needs to know of one operation, whenever it stopped."""

    __slots__ = ("name", "operation_type", "result")

    def __init__(self, name: str | None) -> None:
        self.name = name
        self.operation_type: OperationType | None = None  # once the document says it
        self.result: ExecutionResult | None = None

    def logged_type(self) -> LoggedType:
        value = self.operation_type.value if self.operation_type is not None else "unknown"
        return value if value in ("query", "mutation", "subscription") else "unknown"


class Pipeline:
    """The fast path of one schema, built once with it."""

    def __init__(
        self,
        schema: strawberry.Schema,
        rules: Iterable[type[ASTValidationRule]],
        *,
        max_tokens: int,
        cache_size: int,
    ) -> None:
        self._schema = schema
        self._core = schema._schema
        self._documents = DocumentCache(
            self._core, rules, max_tokens=max_tokens, maxsize=cache_size
        )
        self._executor = execution_context_class_kwargs(schema.execution_context_class)
        self.plans = (
            OperationPlans(self._documents, schema.execution_context_class, maxsize=cache_size)
            if isinstance(schema.execution_context_class, type)
            and issubclass(schema.execution_context_class, CompiledExecutor)
            else None
        )
        """Whole queries planned ahead, where the schema's executor makes plans."""

    async def execute(
        self,
        query: str,
        *,
        variables: dict[str, Any] | None,
        context: Any,
        root_value: Any,
        operation_name: str | None,
        allowed: Iterable[OperationType],
        operation_extensions: dict[str, Any] | None,
    ) -> ExecutionResult:
        record = OperationRecord()
        run = _Run(operation_name)
        failure: Exception | None = None
        try:
            await self._run(
                run, query, variables, context, root_value, allowed, operation_extensions
            )
        except REFUSALS:
            record.refuse()
            raise
        except Exception as exc:  # Strawberry answers it as an error, so do we
            record.refuse()
            failure = exc
        finally:
            record.collect(run.result.errors if run.result is not None else None)
            record.finish(context, run.logged_type(), run.name)
        if failure is not None:
            error = failure if isinstance(failure, GraphQLError) else _wrapped(failure)
            self._schema._process_errors([error])
            return PreExecutionError(data=None, errors=[error], extensions={})
        assert run.result is not None
        return run.result

    async def _run(
        self,
        run: _Run,
        query: str,
        variables: dict[str, Any] | None,
        context: Any,
        root_value: Any,
        allowed: Iterable[OperationType],
        operation_extensions: dict[str, Any] | None,
    ) -> None:
        if not query:
            raise MissingQueryError
        document = self._documents.parsed(query)
        if run.name is None:
            run.name = first_operation_name(document)
        try:
            operation_type = run.operation_type = get_operation_type(document, run.name)
        except RuntimeError as error:
            raise CannotGetOperationTypeError(run.name) from error
        if operation_type not in allowed:
            raise InvalidOperationTypeError(operation_type)

        result: ExecutionResult
        if errors := self._documents.errors(document):
            self._schema._process_errors(errors)
            result = PreExecutionError(data=None, errors=errors, extensions={})
        elif error := first_input_error(
            self._core,
            document,
            run.name,
            variables or {},
            getattr(context, "gateways", {}),
        ):
            result = ExecutionResult(data=None, errors=[error], extensions={})
        else:
            executed = await await_maybe(
                execute(
                    self._core,
                    document,
                    root_value=root_value,
                    variable_values=variables,
                    operation_name=run.name,
                    context_value=context,
                    is_awaitable=optimized_is_awaitable,
                    operation_extensions=operation_extensions,
                    **self._executor,
                )
            )
            if executed.errors:
                self._schema._process_errors(executed.errors)
            result = ExecutionResult(data=executed.data, errors=executed.errors, extensions={})
        rewrite_errors(result, extra_errors(context))
        run.result = result


def _wrapped(error: Exception) -> GraphQLError:
    return GraphQLError(str(error), original_error=error)
