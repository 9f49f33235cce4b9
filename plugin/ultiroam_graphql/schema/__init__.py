"""The GraphQL schema: the only package that imports strawberry."""

from __future__ import annotations

from .context import Context
from .reports import DeliveryReport, IncomingSms
from .root import Limits, build_schema, print_schema
from .types import Gateway, Port, SmsResult, SmsResultFilter, SmsStatus
from .view import GraphQLView

__all__ = [
    "Context",
    "DeliveryReport",
    "Gateway",
    "GraphQLView",
    "IncomingSms",
    "Limits",
    "Port",
    "SmsResult",
    "SmsResultFilter",
    "SmsStatus",
    "build_schema",
    "print_schema",
]
