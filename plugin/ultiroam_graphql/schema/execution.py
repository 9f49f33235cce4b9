"""A compiled fast path for selections that only read plain fields of plain objects.

graphql-core completes every field of every object through several generic calls, so a list of
thousands of sending results spends most of a query there. ``CompiledExecutor`` compiles a
selection set whose fields are plain attributes (Strawberry fields without a resolver, arguments
or field extensions) of leaf or plain object types into closures and completes values with them.

Exactness rests on one rule: a compiled attempt either succeeds with no error and no side effect,
or it is thrown away and graphql-core completes the same value itself, so every error (message,
path, locations, order, null bubbling) is graphql-core's own. Fields that are not plain (a
resolver, arguments, an abstract type) are always executed by graphql-core; an object mixing
both gets its plain fields from the plan and the others from ``execute_fields``. Assumed: a
resolver does not change the plain attributes of the object it is a field of.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path
from graphql.pyutils.is_awaitable import is_awaitable
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from .plans import Compiler, ObjectPlan, bounded_put, node_ids
from .readers import reader

__all__ = ["CompiledExecutor", "PlanCache", "PlanStats", "plan_cache"]

KNOWN_AWAITABLE_CHECKS = (is_awaitable, optimized_is_awaitable)
MISSING = object()
REDO = object()
"""What ``_attempt`` gives for a completion the plan threw away."""
MAX_OPERATIONS = 256


@dataclass(slots=True)
class PlanStats:
    """What the fast path did, for tests and benchmarks."""

    compiled: int = 0  # plans built (cache misses)
    reused: int = 0  # plans found for a repeated operation document
    fast: int = 0  # values completed wholly by a plan
    mixed: int = 0  # objects whose plain fields came from a plan, the rest from graphql-core
    redone: int = 0  # compiled attempts thrown away and redone by graphql-core


class _Prefilled(dict[str, Any]):
    """Fields of one object already completed by its plan, for ``execute_field`` to return."""


class _Operation:
    """The plans of one operation document, valid for one set of @skip/@include variables."""

    __slots__ = ("directive_variables", "fragments", "objects", "ref", "targets")

    def __init__(self, operation: OperationDefinitionNode, fragments: tuple[Any, ...]) -> None:
        self.ref: weakref.ref[OperationDefinitionNode] | None = None
        self.fragments = fragments  # held, so the ids of their nodes stay theirs
        self.directive_variables = _directive_variables(operation, fragments)
        self.targets: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.objects: OrderedDict[tuple[Any, ...], ObjectPlan | None] = OrderedDict()


class PlanCache:
    """The plans of one schema, per operation document; they go when the document goes."""

    def __init__(self) -> None:
        self.stats = PlanStats()
        self._operations: OrderedDict[int, _Operation] = OrderedDict()
        self._candidates: dict[GraphQLOutputType, bool] = {}

    def __len__(self) -> int:
        """How many operation documents have plans here."""
        return len(self._operations)

    def candidate(self, return_type: GraphQLOutputType) -> bool:
        """Whether a plan may complete values of this type: objects with plain fields, lists."""
        known = self._candidates.get(return_type)
        if known is None:
            named = get_named_type(return_type)
            known = is_object_type(named) and any(map(reader, named.fields.values()))
            self._candidates[return_type] = known
        return known

    def operation(
        self, operation: OperationDefinitionNode, fragments: tuple[Any, ...]
    ) -> _Operation:
        """The plans of this operation document (its entry lives as long as the node)."""
        key = id(operation)
        entry = self._operations.get(key)
        if entry is not None and _same(entry.fragments, fragments):
            with suppress(KeyError):  # gone meanwhile, when threads share a schema
                self._operations.move_to_end(key)
            return entry
        entry = _Operation(operation, fragments)
        entry.ref = weakref.ref(operation, lambda ref: self._forget(key, ref))
        bounded_put(self._operations, key, entry, MAX_OPERATIONS)
        return entry

    def _forget(self, key: int, ref: weakref.ref[OperationDefinitionNode]) -> None:
        entry = self._operations.get(key)
        if entry is not None and entry.ref is ref:
            self._operations.pop(key, None)


_CACHES: weakref.WeakKeyDictionary[GraphQLSchema, PlanCache] = weakref.WeakKeyDictionary()


def plan_cache(schema: GraphQLSchema) -> PlanCache:
    """The plan cache of a schema, created on first use and gone with the schema."""
    cache = _CACHES.get(schema)
    if cache is None:
        cache = _CACHES[schema] = PlanCache()
    return cache


class CompiledExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, completing plain selections with compiled plans."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._memo: dict[tuple[Any, int], tuple[FieldDetailsList, Any]] = {}
        self._cache: PlanCache | None = plan_cache(self.schema) if self.plannable() else None
        self._operation: _Operation | None = None
        self._signature: tuple[Any, ...] = ()

    def plannable(self) -> bool:
        """Off where a plan could differ: middleware (resolve hooks), @defer/@stream, odd checks."""
        middleware = self.middleware_manager
        return (
            (middleware is None or not middleware.middlewares)
            and self.is_awaitable in KNOWN_AWAITABLE_CHECKS
            and not self.is_async_iterable([])
            and not self.is_async_iterable(())
            and self.schema.get_directive("defer") is None
            and self.schema.get_directive("stream") is None
            and not any(f.variable_definitions for f in self.fragment_definitions.values())
        )

    def build_per_event_executor(self, payload: Any) -> CompiledExecutor:
        executor: CompiledExecutor = super().build_per_event_executor(payload)  # type: ignore[assignment]
        executor._memo = {}
        return executor

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """A list (not null, no exception) whose items a plan completes, or graphql-core."""
        complete = self._planned(return_type, field_details_list, position_context)
        if complete is not None:
            completed = self._attempt(complete, result)  # redone below, item by item
            if completed is not REDO:
                return completed
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """An object (not null, no exception) completed by its plan, or graphql-core."""
        plan = self._planned(return_type, field_details_list, position_context)
        if plan is not None:
            if plan.run is None:
                self._cache.stats.mixed += 1  # type: ignore[union-attr]
                return self._complete_mixed(plan, result, path)
            completed = self._attempt(plan.run, result)
            if completed is not REDO:
                return completed
        return super().complete_object_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _planned(
        self, return_type: GraphQLOutputType, details: FieldDetailsList, position_context: Any
    ) -> Any:
        """The plan for this completion, or None where graphql-core completes it alone."""
        cache = self._cache
        if position_context is None and cache is not None and cache.candidate(return_type):
            return self._target(cache, return_type, details)
        return None

    def _attempt(self, complete: Any, value: Any) -> Any:
        """The plan's completion, or ``REDO``: graphql-core then completes it, errors and all."""
        stats = self._cache.stats  # type: ignore[union-attr]
        try:
            completed = complete(value)
        except Exception:
            stats.redone += 1
            return REDO
        stats.fast += 1
        return completed

    def _complete_mixed(self, plan: ObjectPlan, source: Any, path: Path) -> Any:
        """The plain fields from the plan, the object assembled by graphql-core's own code."""
        done = _Prefilled()
        for name, step in plan.steps:
            if step is None:
                continue
            try:
                value = step(source)
            except Exception:  # graphql-core executes it instead
                continue
            done[name] = value
        return self.execute_fields(plan.type_, source, path, plan.fields, done)

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        if type(position_context) is _Prefilled:
            if path.key in position_context:
                return position_context[path.key]
            position_context = None
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _target(
        self, cache: PlanCache, return_type: GraphQLOutputType, details: FieldDetailsList
    ) -> Any:
        key = (return_type, id(details))
        memo = self._memo.get(key)
        if memo is None:
            memo = self._memo[key] = (details, self._find(cache, return_type, details))
        return memo[1]

    def _find(
        self, cache: PlanCache, return_type: GraphQLOutputType, details: FieldDetailsList
    ) -> Any:
        """The plan for this type and these field nodes, from the document's cache or new."""
        operation = self._operation
        if operation is None:
            fragments = tuple(self.fragment_definitions.values())
            operation = self._operation = cache.operation(self.operation, fragments)
            coerced = self.variable_values.coerced
            self._signature = tuple(coerced.get(n, MISSING) for n in operation.directive_variables)
        key = (return_type, node_ids(details), self._signature)
        try:
            target = operation.targets[key]
        except KeyError:
            pass
        except TypeError:  # a variable value that cannot be hashed: no plan
            return None
        else:
            cache.stats.reused += 1
            return target
        cache.stats.compiled += 1
        try:
            compiler = Compiler(
                self.schema, self.collect_subfields, operation.objects, self._signature
            )
            target = compiler.target(return_type, details)
        except Exception:  # e.g. a bad @skip argument: graphql-core reports it
            target = None
        bounded_put(operation.targets, key, target)
        return target


def _same(held: tuple[Any, ...], current: tuple[Any, ...]) -> bool:
    return len(held) == len(current) and all(a is b for a, b in zip(held, current, strict=True))


def _directive_variables(operation: OperationDefinitionNode, fragments: tuple[Any, ...]) -> tuple:
    """Variables that @skip and @include read: what a plan's field set depends on."""
    names: set[str] = set()
    pending: list[SelectionSetNode] = [operation.selection_set]
    pending.extend(fragment.selection_set for fragment in fragments)
    while pending:
        for selection in pending.pop().selections:
            for directive in selection.directives or ():
                if directive.name.value in ("skip", "include"):
                    names.update(
                        argument.value.name.value
                        for argument in directive.arguments or ()
                        if isinstance(argument.value, VariableNode)
                    )
            selection_set = getattr(selection, "selection_set", None)
            if selection_set is not None:
                pending.append(selection_set)
    return tuple(sorted(names))
