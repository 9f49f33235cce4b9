"""Compiled plans: a selection of plain fields turned into code that completes values.

A plan does exactly what graphql-core's completion would, or raises: null where the type
allows none, an exception or awaitable value, a value its leaf type cannot coerce, an iterable
that is not a list, anything it cannot decide. The executor (``execution``) then lets
graphql-core complete that value itself, so a plan never has to reproduce an error.

Plain fields are attributes read by Strawberry's default resolver, and fields whose resolver is
a plain function of the object alone (no arguments, no ``info``, not async, no extensions), such
as ``Gateway.portCount``: calling it is all Strawberry would do. Such a resolver may be called a
second time when graphql-core redoes a value, so it must be free of side effects, as a query's
resolvers are. An object's fields are completed by one generated function (``codegen``):
straight-line reads and type checks, with no call per field for the common leaf values.
Assumed: no object sets ``__await__`` on itself (only its type's counts, as for graphql-core's
``is_awaitable`` in every practical case).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
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

from .codegen import Code, call, generate
from .readers import attribute as field_attribute
from .readers import reader

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
    code: tuple[tuple[str, Code], ...] = ()  # run's source, for a parent to inline


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
        return _object(plan.run, non_null, plan.code)

    def object(self, type_: GraphQLObjectType, details: FieldDetailsList) -> ObjectPlan | None:
        key = (type_, node_ids(details), self.signature)
        objects = self.objects
        if key in objects:
            return objects[key]
        plan = None
        if type_.is_type_of is None:
            grouped, defers, _ = self.collect(type_, details)
            if not defers:
                compiled = [
                    (name, self.step(type_, field, sub))
                    for name, sub in grouped.items()
                    if (field := self.schema.get_field(type_, sub[0].node.name.value))
                ]
                run, code = None, ()
                if all(code is not None for _, (_, code) in compiled):
                    code = tuple((name, code) for name, (_, code) in compiled)
                    run = generate(type_.name, code)  # type: ignore[arg-type]
                steps = tuple((name, step) for name, (step, _) in compiled)
                plan = ObjectPlan(type_, dict(grouped), steps, run, code)  # type: ignore[arg-type]
        bounded_put(objects, key, plan)
        return plan

    def step(
        self, parent: GraphQLObjectType, field: GraphQLField, details: FieldDetailsList
    ) -> tuple[Complete | None, Code | None]:
        """A field's completion from its parent object, and the same as code, or Nones."""
        if any(d.defer_usage or d.fragment_variable_values or d.node.arguments for d in details):
            return None, None
        if field is TypeNameMetaFieldDef:
            name = parent.name
            return (lambda _source: name), Code(("{out} = {p}name",), {"name": name})
        read = reader(field)
        if read is None:
            return None, None
        attribute = field_attribute(field)
        type_ = field.type
        named = type_.of_type if is_non_null_type(type_) else type_
        if is_leaf_type(named):
            return _leaf_field(named, is_non_null_type(type_), read, attribute)
        complete = self.complete(type_, details)
        if complete is None:
            return None, None

        def step(source: Any) -> Any:
            return complete(read(source))

        fields = getattr(complete, "code", None)
        if not fields:
            return step, call(step)
        value = "{p}o = " + ("{src}." + attribute if attribute else "{p}read({src})")
        lines = (
            value,
            "if type({p}o) in {p}plain:",
            "    {fields}",
            "else:",
            "    {out} = {p}complete({p}o)",
        )
        names = {"read": read, "plain": PLAIN_OBJECTS, "complete": complete}
        return step, Code(lines, names, fields)


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


def _leaf_field(
    type_: GraphQLLeafType, non_null: bool, read: Complete, attribute: str | None
) -> tuple[Complete, Code]:
    """A leaf field's read and completion in one call, common values answered first; and the
    same as code, reading the attribute itself where it can."""
    complete = _leaf(type_, non_null)
    names: dict[str, Any] = {"complete": complete, "read": read}
    value = "{out} = " + ("{src}." + attribute if attribute else "{p}read({src})")
    if_value = "if " if non_null else "if {out} is not None and "  # null is null where allowed
    same = IDENTITY.get(type_)
    if same is not None:

        def identity(source: Any) -> Any:
            value = read(source)
            return value if type(value) is same else complete(value)

        check = if_value + "type({out}) is not {p}same: {out} = {p}complete({out})"
        return identity, Code((value, check), {**names, "same": same})
    if type_ is GraphQLInt:

        def int32(source: Any) -> Any:
            value = read(source)
            if type(value) is int and MIN_INT <= value <= MAX_INT:
                return value
            return complete(value)

        check = (
            if_value + f"(type({{out}}) is not int or not {MIN_INT} <= {{out}} <= {MAX_INT}): "
            "{out} = {p}complete({out})"
        )
        return int32, Code((value, check), names)
    enum_names = _enum_names(type_)
    if enum_names:

        def enum(source: Any) -> Any:
            value = read(source)
            name = enum_names.get(id(value))
            return complete(value) if name is None else name

        lines = (
            value.replace("{out}", "{p}value", 1),
            "{out} = {p}names.get(id({p}value))",
            "if {out} is None: {out} = {p}complete({p}value)",
        )
        return enum, Code(lines, {**names, "names": enum_names})

    def other(source: Any) -> Any:
        return complete(read(source))

    lines = (  # as complete does for a value of an inert type: coerced, checked, no call more
        value,
        "if type({out}) in {p}inert:",
        "    {out} = {p}coerce({out})",
        "    if {out} is None or {out} is {p}Undefined: raise {p}Redo",
        "else:",
        "    {out} = {p}complete({out})",
    )
    more = {"inert": INERT, "coerce": type_.coerce_output_value, "Undefined": Undefined}
    return other, Code(lines, {**names, **more, "Redo": Redo})


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
    fields = getattr(item, "fields", None)  # items that are objects: their plan, called directly

    def complete(value: Any) -> Any:
        kind = type(value)
        if kind is list or kind is tuple:
            if fields is not None:
                plain = PLAIN_OBJECTS
                return [fields(each) if type(each) in plain else item(each) for each in value]
            return [item(each) for each in value]
        if (value is None or value is Undefined) and not non_null:
            return None
        raise Redo  # another iterable, an awaitable, an exception, a missing value

    return complete


PLAIN_OBJECTS: set[type] = set()
"""Types whose instances graphql-core never takes for an exception or an awaitable: Strawberry
object types without ``__await__``, found as values pass the full check."""


def _plain_object(kind: type) -> bool:
    return (
        hasattr(kind, "__strawberry_definition__")
        and not issubclass(kind, Exception)
        and not hasattr(kind, "__await__")
        and kind.__getattribute__ is object.__getattribute__
        and not hasattr(kind, "__getattr__")
    )


def _object(fields: Complete, non_null: bool, code: tuple[tuple[str, Code], ...] = ()) -> Complete:
    """A field's object value, checked as graphql-core checks it first; ``code`` is the source
    of ``fields``, for a parent plan to complete plain objects in place."""

    def complete(value: Any) -> Any:
        kind = type(value)
        if kind in PLAIN_OBJECTS:
            return fields(value)
        if value is None or value is Undefined:
            if non_null:
                raise Redo
            return None
        if isinstance(value, Exception) or is_awaitable(value):
            raise Redo
        if _plain_object(kind):
            PLAIN_OBJECTS.add(kind)
        return fields(value)

    complete.fields = fields  # type: ignore[attr-defined]
    complete.code = code  # type: ignore[attr-defined]
    return complete


def node_ids(details: FieldDetailsList) -> tuple[int, ...]:
    return tuple(id(detail.node) for detail in details)


def bounded_put(entries: OrderedDict[Any, Any], key: Any, value: Any, limit: int = 0) -> None:
    """Add, dropping the oldest entries past the limit (``MAX_PLANS_PER_OPERATION`` if 0)."""
    entries[key] = value
    while len(entries) > (limit or MAX_PLANS_PER_OPERATION):
        with suppress(KeyError):
            entries.popitem(last=False)
