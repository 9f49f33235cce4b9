"""Whole queries planned ahead: a small query run as one compiled call, with no executor.

graphql-core builds an execution context, collects the root fields and resolves each through
several generic calls for every operation, which is most of the cost of a query such as
``{ gateways { id portCount } }``. A :class:`PlannedOperation` is made once per query text and
operation name, when everything about it is known before it runs:

- a query that parses and validates, passes the input check, and has no variables and no
  operation directives (so its fields, @skip and @include included, never change);
- root fields without arguments, each ``__typename``, a field ``readers.reader`` reads, or a
  resolver Strawberry calls synchronously (given the same ``info`` graphql-core would build);
- selections below them that ``plans.Compiler`` completes whole.

Running it either answers what graphql-core would, with no error, or gives up: an exception, a
value the plans redo, an error a resolver reported beside its data. The caller then runs the
operation again on the ordinary path, which produces every error itself; a root resolver may so
be called twice, which is harmless for a query's resolvers (they read, as ``plans`` assumes).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    OperationDefinitionNode,
    OperationType,
    TypeNameMetaFieldDef,
)
from graphql.execution.collect_fields import FieldDetailsList, collect_fields
from graphql.pyutils import Path
from strawberry.execution import optimized_is_awaitable
from strawberry.types import ExecutionResult

from .input_check import first_input_error
from .plans import Compiler, bounded_put
from .readers import reader, resolver_call
from .telemetry import OperationRecord

if TYPE_CHECKING:
    from .execution import CompiledExecutor
    from .pipeline import DocumentCache

__all__ = ["OperationPlans", "PlannedOperation"]

RootField = Callable[[Any, Any], Any]
"""A root field's completed value from ``(context, root_value)``; raises to give up."""


class PlannedOperation:
    """One query compiled whole: its root fields, each read and completed by a plan."""

    __slots__ = ("fields", "name")

    def __init__(self, name: str | None, fields: tuple[tuple[str, RootField], ...]) -> None:
        self.name = name
        self.fields = fields

    def execute(self, context: Any, root_value: Any) -> ExecutionResult | None:
        """The operation's result, logged and observed as the pipeline does; None to redo it."""
        record = OperationRecord()
        try:
            data = {key: field(context, root_value) for key, field in self.fields}
        except Exception:  # the ordinary path runs it again and reports what it finds
            return None
        if getattr(context, "extra_errors", None):
            return None
        record.finish(context, "query", self.name)
        return ExecutionResult(data=data, errors=None, extensions={})


MAX_PLANNED_QUERY = 8192
MAX_PLANNED_NAME = 256
"""Longest query text and operation name planned: small operations are what plans are for, and
the keys kept stay small (at most ``maxsize`` of them, about 4 MiB at worst)."""


class OperationPlans:
    """The planned operations of one schema, by query text and operation name: the least
    recently used go first past ``maxsize``. A text that does not parse is not kept."""

    def __init__(
        self,
        documents: DocumentCache,
        executor: type[CompiledExecutor],
        *,
        maxsize: int,
    ) -> None:
        self._documents = documents
        self._executor = executor
        self._maxsize = maxsize
        self._plans: OrderedDict[tuple[str, str | None], PlannedOperation | None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._plans)

    def find(
        self, query: str, operation_name: str | None, gateways: Mapping[str, Any]
    ) -> PlannedOperation | None:
        """The plan of this query, made on first sight; None for one the ordinary path runs.

        ``gateways`` is what the input check sees: the same for every request of one view.
        """
        key = (query, operation_name)
        plans = self._plans
        try:
            plan = plans[key]
        except KeyError:
            if len(query) > MAX_PLANNED_QUERY or len(operation_name or "") > MAX_PLANNED_NAME:
                return None
            try:
                document = self._documents.parsed(query)
            except Exception:  # the ordinary path reports it (and parses it again, uncached)
                return None
            plan = self._plan(document, operation_name, gateways)
            bounded_put(plans, key, plan, self._maxsize)
        else:
            plans.move_to_end(key)
        return plan

    def _plan(
        self, document: DocumentNode, operation_name: str | None, gateways: Mapping[str, Any]
    ) -> PlannedOperation | None:
        try:
            if self._documents.errors(document):
                return None
            return self._compile(document, operation_name, gateways)
        except Exception:  # anything unusual: the ordinary path answers it, errors and all
            return None

    def _compile(
        self, document: DocumentNode, operation_name: str | None, gateways: Mapping[str, Any]
    ) -> PlannedOperation | None:
        if operation_name is None:
            operation_name = first_operation_name(document)
        executor = self._executor.build(
            self._documents.schema,
            document,
            operation_name=operation_name,
            raw_variable_values={},
            is_awaitable=optimized_is_awaitable,  # as the pipeline runs it
        )
        if isinstance(executor, list):  # no such operation: the ordinary path says so
            return None
        operation = executor.operation
        schema = executor.schema
        root = schema.query_type
        if (
            operation.operation != OperationType.QUERY
            or root is None
            or operation.variable_definitions
            or operation.directives
            or not executor.plannable()
            or first_input_error(schema, document, operation_name, {}, gateways) is not None
        ):
            return None
        grouped, defers, _ = collect_fields(
            schema, executor.fragments, executor.variable_values, root, operation
        )
        if defers:
            return None
        compiler = Compiler(schema, executor.collect_subfields, OrderedDict(), ())
        fields = []
        for key, details in grouped.items():
            field = _root_field(executor, compiler, root, key, details)
            if field is None:
                return None
            fields.append((key, field))
        return PlannedOperation(operation_name, tuple(fields))


def _root_field(
    executor: CompiledExecutor,
    compiler: Compiler,
    root: GraphQLObjectType,
    key: str,
    details: FieldDetailsList,
) -> RootField | None:
    """How one root field is read and completed, or None when it cannot be planned."""
    node = details[0].node
    field = executor.schema.get_field(root, node.name.value)
    if field is None or any(d.node.arguments or d.defer_usage for d in details):
        return None
    if field is TypeNameMetaFieldDef:
        name = root.name
        return lambda _context, _root: name
    complete = compiler.complete(field.type, details)
    if complete is None or field.args:
        return None
    read = reader(field)
    if read is not None:
        return lambda _context, root_value: complete(read(root_value))
    strawberry_schema = getattr(executor.schema, "_strawberry_schema", None)
    info_class = getattr(getattr(strawberry_schema, "config", None), "info_class", None)
    call = resolver_call(field, info_class)
    if call is None:
        return None
    return _resolved(executor, field, root, key, details, call, complete)


def _resolved(
    executor: CompiledExecutor,
    field: GraphQLField,
    root: GraphQLObjectType,
    key: str,
    details: FieldDetailsList,
    call: Callable[[Any, Any], Any],
    complete: Callable[[Any], Any],
) -> RootField:
    """A root resolver given the ``info`` graphql-core would build for it."""
    nodes = [detail.node for detail in details]
    path = Path(None, key, root.name)
    constant = (
        details[0].node.name.value,
        nodes,
        field.type,
        root,
        path,
        executor.schema,
        executor.fragment_definitions,
    )
    operation, variables = executor.operation, executor.variable_values
    is_awaitable, helpers = executor.is_awaitable, executor.async_helpers

    def run(context: Any, root_value: Any) -> Any:
        info = GraphQLResolveInfo(
            *constant,
            root_value,
            operation,
            variables,
            context,
            is_awaitable,
            None,
            helpers,
        )
        return complete(call(root_value, info))

    return run


def first_operation_name(document: DocumentNode) -> str | None:
    """The name Strawberry runs a document by when the request names none: its first one's."""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            return definition.name.value if definition.name else None
    return None
