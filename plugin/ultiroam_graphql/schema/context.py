"""What every resolver of one operation shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError

from ..batching import SmsResultLoader
from ..errors import UnknownGateway
from ..gateway import GatewayClient


@dataclass
class Context:
    """Per operation: the gateways, the batching loader, and errors beside the data."""

    gateways: Mapping[str, GatewayClient]
    sms_results: SmsResultLoader
    request: Any = None
    response: Any = None
    extra_errors: list[GraphQLError] = field(default_factory=list)

    @classmethod
    def create(cls, gateways: Mapping[str, GatewayClient], **kwargs: Any) -> Context:
        return cls(gateways=gateways, sms_results=SmsResultLoader(gateways), **kwargs)

    def gateway(self, gateway_id: str) -> GatewayClient:
        try:
            return self.gateways[gateway_id]
        except KeyError:
            raise UnknownGateway(gateway_id) from None
