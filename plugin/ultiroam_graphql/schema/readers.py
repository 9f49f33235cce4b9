"""How Strawberry reads a field's value from its object, where it needs nothing else: the plans
(``plans``) and the planned operations (``operations``) call the same functions it would."""

from __future__ import annotations

import keyword
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from graphql import GraphQLField
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver

__all__ = ["STRAWBERRY_SYNC_RESOLVER", "attribute", "reader", "resolver_call"]

Read = Callable[[Any], Any]
"""A field's value from its object."""


def reader(field: GraphQLField) -> Read | None:
    """How Strawberry reads a field's value from its object, where it needs nothing else.

    Without a resolver: its default resolver with the python name. With one: the resolver's
    function called with the object alone, when that is all Strawberry would pass it.
    """
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        field.args
        or not isinstance(definition, StrawberryField)
        or definition.extensions
        or definition.is_subscription
    ):
        return None
    if definition.base_resolver is not None:
        resolver = definition.base_resolver
        call = resolver_call(field)
        if call is None:
            return None
        if resolver.self_parameter is not None and not _parents(resolver):
            return resolver.wrapped_func  # what ``call`` would call, with the object alone
        return lambda source: call(source, None)
    if not getattr(field.resolve, "_is_default", False):
        return None
    name = definition.python_name
    resolver = definition.default_resolver
    if resolver is getattr:
        return attrgetter(name)
    return lambda source: resolver(source, name)


STRAWBERRY_SYNC_RESOLVER = "GraphQLCoreConverter.from_resolver.<locals>._resolver"
"""The wrapper Strawberry gives a resolver that is not async (``from_resolver``)."""


def resolver_call(
    field: GraphQLField, info_class: type | None = None
) -> Callable[[Any, Any], Any] | None:
    """``call(source, raw_info)``: what Strawberry does for a synchronous resolver without
    arguments or field extensions, ``info`` made with ``info_class`` as Strawberry makes it.

    None for any other field, and without ``info_class`` for a resolver that takes ``info``.
    """
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    resolver = definition.base_resolver if isinstance(definition, StrawberryField) else None
    if (
        resolver is None
        or getattr(field.resolve, "__qualname__", None) != STRAWBERRY_SYNC_RESOLVER
        or field.args
        or definition.extensions
        or resolver.is_async
        or resolver.arguments
        or (resolver.info_parameter is not None and info_class is None)
        or not callable(resolver.wrapped_func)
    ):
        return None
    function = resolver.wrapped_func
    positional = resolver.self_parameter is not None
    named = _parents(resolver)
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None

    if positional and not named and info_name is not None:  # a method taking info: the usual

        def method(source: Any, raw_info: Any) -> Any:
            info = info_class(_raw_info=raw_info, _field=definition)  # type: ignore[misc]
            return function(source, **{info_name: info})

        return method

    def call(source: Any, raw_info: Any) -> Any:
        arguments = {name: source for name in named}
        if info_name is not None:
            arguments[info_name] = info_class(_raw_info=raw_info, _field=definition)  # type: ignore[misc]
        return function(source, **arguments) if positional else function(**arguments)

    return call


def _parents(resolver: StrawberryResolver[Any]) -> tuple[str, ...]:
    """The parameters Strawberry passes the object to by name (``root``, ``Parent``)."""
    return tuple(
        parameter.name
        for parameter in (resolver.parent_parameter, resolver.root_parameter)
        if parameter is not None
    )


def attribute(field: GraphQLField) -> str | None:
    """The attribute Strawberry's own ``getattr`` reads, if generated code may name it."""
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if (
        not isinstance(definition, StrawberryField)
        or definition.base_resolver is not None
        or definition.default_resolver is not getattr
    ):
        return None
    name = definition.python_name
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("__"):
        return None
    return name
