"""What every resolver of one operation shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError
from strawberry.types import Info

from ..broker import Broker
from ..errors import UltiroamError, Unauthenticated, UnknownGateway
from ..gateway import GatewayClient
from ..outbound import Outbound
from .loaders import PortInfoLoader, SmsResultLoader


@dataclass
class Context:
    """Per operation: the gateways, the loaders, and errors reported beside the data."""

    gateways: Mapping[str, GatewayClient]
    broker: Broker
    sms_results: SmsResultLoader
    port_info: PortInfoLoader
    outbound: Mapping[str, Outbound] = field(default_factory=dict)
    mutations_allowed: bool = False
    request: Any = None
    response: Any = None
    connection_params: Any = None  # a WebSocket's connection_init payload
    extra_errors: list[GraphQLError] = field(default_factory=list)

    @classmethod
    def create(
        cls, gateways: Mapping[str, GatewayClient], broker: Broker, **kwargs: Any
    ) -> Context:
        return cls(gateways, broker, SmsResultLoader(gateways), PortInfoLoader(), **kwargs)

    def allow_mutation(self) -> None:
        """Sending costs money and reaches phones: refuse unless the server says yes."""
        if not self.mutations_allowed:
            raise Unauthenticated(
                "Mutations need [server] api_tokens (and a token), or "
                "allow_unauthenticated_mutations = true"
            )

    def gateway(self, gateway_id: str) -> GatewayClient:
        try:
            return self.gateways[gateway_id]
        except KeyError:
            raise UnknownGateway(gateway_id) from None

    def report_beside_data(self, error: UltiroamError, info: Info[Any, Any]) -> None:
        """An error located at this field, while the field still returns what it has."""
        self.extra_errors.append(
            GraphQLError(
                str(error),
                nodes=info._raw_info.field_nodes,
                path=info.path.as_list(),
                original_error=error,
            )
        )

    def select(self, gateway_ids: Iterable[str] | None) -> list[GatewayClient]:
        """The gateways asked for (default: all), each once; an unknown id is an error."""
        if gateway_ids is None:
            return list(self.gateways.values())
        return [self.gateway(gateway_id) for gateway_id in dict.fromkeys(gateway_ids)]
