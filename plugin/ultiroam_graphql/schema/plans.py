"""Compiled plans: a selection of plain fields turned into closures that complete values.

A plan does exactly what graphql-core's completion would, or raises: null where the type
allows none, an exception or awaitable value, a value its leaf type cannot coerce, an iterable
that is not a list, anything it cannot decide. The executor (``execution``) then lets
graphql-core complete that value itself, so a plan never has to reproduce an error.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Any
from uuid import UUID

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    TypeNameMetaFieldDef,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import CollectedFields, FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Undefined
from graphql.pyutils.is_awaitable import is_awaitable
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

Complete = Callable[[Any], Any]
"""A compiled completion: the value graphql-core would give, or an exception to redo it."""

Collect = Callable[[GraphQLObjectType, FieldDetailsList], CollectedFields]
"""graphql-core's own sub-field collection (fragments, @skip, @include), as the executor has it."""

INERT = frozenset({str, int, float, bool, datetime, date, time, timedelta, Decimal, UUID})
"""Exact types whose values are never exceptions, awaitables or ``Undefined``."""

IDENTITY: dict[GraphQLLeafType, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}
"""Leaf types whose coercion returns a value of this exact type unchanged."""

MIN_INT, MAX_INT = -(2**31), 2**31 - 1
MAX_PLANS_PER_OPERATION = 512


class _NoType:
    """The type of no value: for leaf types that answer no value unchanged."""


class Redo(Exception):
    """The value needs graphql-core's own completion (null where not allowed, an exception)."""


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    """An object's collected fields; a step per field, None where graphql-core must run it."""

    type_: GraphQLObjectType
    fields: GroupedFieldSet  # as graphql-core collected them
    steps: tuple[tuple[str, Complete | None], ...]
    run: Complete | None  # the whole object, when every step is planned


class Compiler:
    """Turns a selection into closures; every check graphql-core makes is kept."""

    def __init__(
        self,
        schema: GraphQLSchema,
        collect: Collect,
        objects: OrderedDict[tuple[Any, ...], ObjectPlan | None],
        signature: tuple[Any, ...],
    ) -> None:
        self.schema = schema
        self.collect = collect
        self.objects = objects  # the operation's object plans, shared by its targets
        self.signature = signature  # the @skip/@include variables the plans were made for

    def target(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Any:
        """For a list type, a completion of its items; for an object type, its plan; or None."""
        if is_list_type(type_):
            return self.complete(type_, details)
        plan = self.object(type_, details)  # type: ignore[arg-type]
        if plan is None or all(step is None for _, step in plan.steps):
            return None
        return plan

    def complete(self, type_: GraphQLOutputType, details: FieldDetailsList) -> Complete | None:
        non_null = is_non_null_type(type_)
        named = type_.of_type if non_null else type_
        if is_leaf_type(named):
            return _leaf(named, non_null)
        if is_list_type(named):
            item = self.complete(named.of_type, details)
            return None if item is None else _list(item, non_null)
        if not is_object_type(named):
            return None  # an abstract type: resolved at run time by graphql-core
        plan = self.object(named, details)
        if plan is None or plan.run is None:
            return None
        return _object(plan.run, non_null)

    def object(self, type_: GraphQLObjectType, details: FieldDetailsList) -> ObjectPlan | None:
        key = (type_, node_ids(details), self.signature)
        objects = self.objects
        if key in objects:
            return objects[key]
        plan = None
        if type_.is_type_of is None:
            grouped, defers, _ = self.collect(type_, details)
            if not defers:
                steps = [
                    (name, self.field(type_, field, sub))
                    for name, sub in grouped.items()
                    if (field := self.schema.get_field(type_, sub[0].node.name.value))
                ]
                run = None
                if all(step is not None for _, step in steps):
                    run = _fields(tuple(steps))  # type: ignore[arg-type]
                plan = ObjectPlan(type_, dict(grouped), tuple(steps), run)
        bounded_put(objects, key, plan)
        return plan

    def field(
        self, parent: GraphQLObjectType, field: GraphQLField, details: FieldDetailsList
    ) -> Complete | None:
        if any(d.defer_usage or d.fragment_variable_values or d.node.arguments for d in details):
            return None
        if field is TypeNameMetaFieldDef:
            name = parent.name
            return lambda _source: name
        read = reader(field)
        if read is None:
            return None
        type_ = field.type
        named = type_.of_type if is_non_null_type(type_) else type_
        if is_leaf_type(named):
            return _leaf_field(named, is_non_null_type(type_), read)
        complete = self.complete(type_, details)
        if complete is None:
            return None
        return lambda source: complete(read(source))


def reader(field: GraphQLField) -> Complete | None:
    """How Strawberry reads a field without a resolver (its default resolver, python name)."""
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        field.args
        or not getattr(field.resolve, "_is_default", False)
        or not isinstance(definition, StrawberryField)
        or definition.base_resolver is not None
        or definition.extensions
        or definition.is_subscription
    ):
        return None
    name = definition.python_name
    resolver = definition.default_resolver
    if resolver is getattr:
        return attrgetter(name)
    return lambda source: resolver(source, name)


def _leaf(type_: GraphQLLeafType, non_null: bool) -> Complete:
    coerce = type_.coerce_output_value
    same = IDENTITY.get(type_, _NoType)

    def complete(value: Any) -> Any:
        kind = type(value)
        if kind is same:
            return value
        if value is None or value is Undefined:
            if non_null:
                raise Redo
            return None
        if kind not in INERT and (isinstance(value, Exception) or is_awaitable(value)):
            raise Redo
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Redo
        return coerced

    return complete


def _leaf_field(type_: GraphQLLeafType, non_null: bool, read: Complete) -> Complete:
    """A leaf field's read and completion in one call, common values answered first."""
    complete = _leaf(type_, non_null)
    same = IDENTITY.get(type_)
    if same is not None:

        def identity(source: Any) -> Any:
            value = read(source)
            return value if type(value) is same else complete(value)

        return identity
    if type_ is GraphQLInt:

        def int32(source: Any) -> Any:
            value = read(source)
            if type(value) is int and MIN_INT <= value <= MAX_INT:
                return value
            return complete(value)

        return int32
    names = _enum_names(type_)
    if names:

        def enum(source: Any) -> Any:
            value = read(source)
            name = names.get(id(value))
            return complete(value) if name is None else name

        return enum
    return lambda source: complete(read(source))


def _enum_names(type_: GraphQLLeafType) -> dict[int, str]:
    """An enum's coercion of each of its own values, by identity: these objects live as long."""
    if not isinstance(type_, GraphQLEnumType):
        return {}
    values = [*getattr(type_, "wrapped_cls", ()), *(v.value for v in type_.values.values())]
    names = {}
    for value in values:
        if value is None or isinstance(value, Exception) or is_awaitable(value):
            continue
        try:
            name = type_.coerce_output_value(value)
        except Exception:  # graphql-core reports it when it happens
            continue
        if name is not None and name is not Undefined:
            names[id(value)] = name
    return names


def _list(item: Complete, non_null: bool) -> Complete:
    def complete(value: Any) -> Any:
        kind = type(value)
        if kind is list or kind is tuple:
            return [item(each) for each in value]
        if (value is None or value is Undefined) and not non_null:
            return None
        raise Redo  # another iterable, an awaitable, an exception, a missing value

    return complete


def _fields(steps: tuple[tuple[str, Complete], ...]) -> Complete:
    """An object's response, in the order graphql-core collected its fields."""

    def complete(value: Any) -> Any:
        return {name: step(value) for name, step in steps}

    return complete


def _object(fields: Complete, non_null: bool) -> Complete:
    """A field's object value, checked as graphql-core checks it first."""

    def complete(value: Any) -> Any:
        if value is None or value is Undefined:
            if non_null:
                raise Redo
            return None
        if isinstance(value, Exception) or is_awaitable(value):
            raise Redo
        return fields(value)

    return complete


def node_ids(details: FieldDetailsList) -> tuple[int, ...]:
    return tuple(id(detail.node) for detail in details)


def bounded_put(entries: OrderedDict[Any, Any], key: Any, value: Any, limit: int = 0) -> None:
    """Add, dropping the oldest entries past the limit (``MAX_PLANS_PER_OPERATION`` if 0)."""
    entries[key] = value
    while len(entries) > (limit or MAX_PLANS_PER_OPERATION):
        with suppress(KeyError):
            entries.popitem(last=False)
