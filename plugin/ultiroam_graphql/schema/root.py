"""The schema itself: its roots, scalars and error policy, assembled once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from .errors import ErrorPolicy, log_unexpected
from .execution import CompiledExecutor
from .input_check import InputCheck
from .mutation import Mutation
from .pipeline import Pipeline
from .query import Query
from .scalars import SCALAR_MAP
from .subscription import Subscription
from .telemetry import OperationTelemetry


class FacadeSchema(strawberry.Schema):
    pipeline: Pipeline | None = None
    """Queries and mutations without the extension runner (``build_schema`` sets it)."""

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """The fast path for a query text; anything else (no text) as Strawberry does it."""
        if self.pipeline is None or not isinstance(query, str):
            return await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
        return await self.pipeline.execute(
            query,
            variables=variable_values,
            context=context_value,
            root_value=root_value,
            operation_name=operation_name,
            allowed=ALL_OPERATIONS if allowed_operation_types is None else allowed_operation_types,
            operation_extensions=operation_extensions,
        )

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


ALL_OPERATIONS = frozenset(OperationType)
"""What ``execute`` allows when its caller says nothing, as Strawberry's default."""
DOCUMENT_CACHE_SIZE = 512
"""Distinct query texts whose parse and validation are kept: clients send few, often."""


def build_schema(limits: Limits = Limits()) -> strawberry.Schema:
    # The limits' rules are made once, so a document validated with them is validated once:
    # the cache is keyed by the parsed document (itself cached by text) and these rules.
    limiters: list[AddValidationRules] = [
        QueryDepthLimiter(max_depth=limits.max_depth),
        MaxAliasesLimiter(max_alias_count=limits.max_aliases),
    ]
    if not limits.introspection:
        limiters.append(DisableIntrospection())
    rules = [rule for limiter in limiters for rule in limiter.validation_rules]
    extensions: list[Any] = [
        OperationTelemetry,  # first: its exit sees the errors as ErrorPolicy leaves them
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),  # after the token limit: it parses
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE),  # after the rules: it validates
        InputCheck,
        ErrorPolicy,
    ]
    schema = FacadeSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        execution_context_class=CompiledExecutor,
    )
    if not schema.directives and not schema.config.enable_experimental_incremental_execution:
        schema.pipeline = Pipeline(
            schema, rules, max_tokens=limits.max_tokens, cache_size=DOCUMENT_CACHE_SIZE
        )
    return schema


def print_schema() -> str:
    """The SDL that ``schema.graphql`` holds."""
    return build_schema().as_str() + "\n"
