"""The schema itself: its roots, scalars and error policy, assembled once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from .errors import ErrorPolicy, log_unexpected
from .input_check import InputCheck
from .mutation import Mutation
from .query import Query
from .scalars import SCALAR_MAP
from .subscription import Subscription


class FacadeSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors)


@dataclass(frozen=True, slots=True)
class Limits:
    """What one operation may ask; past these it is refused before it runs."""

    max_depth: int = 10
    max_aliases: int = 30
    max_tokens: int = 2000
    introspection: bool = True


def build_schema(limits: Limits = Limits()) -> strawberry.Schema:
    extensions: list[Any] = [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: QueryDepthLimiter(max_depth=limits.max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=limits.max_aliases),
        InputCheck,
        ErrorPolicy,
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    return FacadeSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


def print_schema() -> str:
    """The SDL that ``schema.graphql`` holds."""
    return build_schema().as_str() + "\n"
