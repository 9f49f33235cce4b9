"""The GraphQL schema: the only package that imports strawberry."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

from .context import Context
from .errors import ErrorPolicy
from .query import Query
from .reports import DeliveryReport, IncomingSms
from .scalars import SCALAR_MAP
from .subscription import Subscription
from .types import Gateway, Port, SmsResult, SmsResultFilter, SmsStatus


def build_schema() -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        subscription=Subscription,
        extensions=[ErrorPolicy],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


def print_schema() -> str:
    """The SDL that ``schema.graphql`` holds."""
    return build_schema().as_str() + "\n"


__all__ = [
    "Context",
    "DeliveryReport",
    "Gateway",
    "IncomingSms",
    "Port",
    "SmsResult",
    "SmsResultFilter",
    "SmsStatus",
    "build_schema",
    "print_schema",
]
