"""The ``Query`` root."""

from __future__ import annotations

import asyncio

import strawberry
from strawberry.types import Info

from ..errors import GatewayError
from .context import Context
from .types import FilterArg, Gateway, SmsResult, checked, load_results


@strawberry.type
class Query:
    @strawberry.field(description="Every configured gateway, in configuration order.")
    def gateways(self, info: Info[Context, None]) -> list[Gateway]:
        return [Gateway.of(client) for client in info.context.gateways.values()]

    @strawberry.field(description="One gateway by id; an unknown id is an UNKNOWN_GATEWAY error.")
    def gateway(self, info: Info[Context, None], id: strawberry.ID) -> Gateway | None:
        return Gateway.of(info.context.gateway(id))

    @strawberry.field(
        description=(
            "Sending results across gateways (default: all). A failing gateway adds one error "
            "and never hides the others' results."
        )
    )
    async def sms_results(
        self,
        info: Info[Context, None],
        filter: FilterArg = None,
        gateway_ids: list[strawberry.ID] | None = None,
    ) -> list[SmsResult]:
        context = info.context
        clients = context.select(gateway_ids)
        checked_filter = checked(filter)
        keys = [checked_filter.key(client) for client in clients]  # every input error first
        # one gather for all: the nested fields' keys join the same DataLoader batch first
        answers = await asyncio.gather(
            *(load_results(info, key) for key in keys), return_exceptions=True
        )
        results: list[SmsResult] = []
        for answer in answers:
            if isinstance(answer, GatewayError):
                context.report_beside_data(answer, info)
            elif isinstance(answer, BaseException):
                raise answer
            else:
                results.extend(answer)
        return results
