"""The schema itself: its roots, scalars and error policy, assembled once."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
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


def build_schema() -> strawberry.Schema:
    return FacadeSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=[InputCheck, ErrorPolicy],
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


def print_schema() -> str:
    """The SDL that ``schema.graphql`` holds."""
    return build_schema().as_str() + "\n"
