"""The facade's errors, each with the GraphQL ``extensions.code`` it maps to.

::

    UltiroamError
    ├── BadUserInput            BAD_USER_INPUT
    ├── UnknownGateway          UNKNOWN_GATEWAY
    ├── Unauthenticated         UNAUTHENTICATED
    ├── SubscriptionOverflow    SUBSCRIPTION_OVERFLOW   a subscriber fell too far behind
    ├── CursorExpired           CURSOR_EXPIRED          `after` names events no longer kept
    ├── BrokerUnavailable       BROKER_UNAVAILABLE      Redis cannot be reached
    ├── RateLimited             RATE_LIMITED            the gateway's send_rate_limit is reached
    └── GatewayError            (carries gateway_id)
        ├── GatewayUnavailable      GATEWAY_UNAVAILABLE     connect error, timeout
        ├── GatewayAuthFailed       GATEWAY_AUTH_FAILED     401/403 from the device
        ├── GatewayRejected         GATEWAY_REJECTED        the device's own error_code
        └── GatewayProtocolError    GATEWAY_PROTOCOL_ERROR  a reply that is not the documented JSON

Nothing here imports GraphQL: ``schema.errors`` turns these into ``extensions`` in one place.
"""

from __future__ import annotations

from typing import Any, ClassVar


class UltiroamError(Exception):
    """Base of every error the facade reports to its clients."""

    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"

    def extensions(self) -> dict[str, Any]:
        return {"code": self.code}


class BadUserInput(UltiroamError, ValueError):
    """Input the facade refuses before any REST call."""

    code = "BAD_USER_INPUT"


class UnknownGateway(UltiroamError):
    code = "UNKNOWN_GATEWAY"

    def __init__(self, gateway_id: str) -> None:
        super().__init__(f"No gateway with id {gateway_id!r}")
        self.gateway_id = gateway_id

    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "gatewayId": self.gateway_id}


class Unauthenticated(UltiroamError):
    code = "UNAUTHENTICATED"


class GatewayError(UltiroamError):
    """A gateway could not answer as asked; the other gateways are not affected."""

    def __init__(self, gateway_id: str, message: str) -> None:
        super().__init__(f"Gateway {gateway_id!r}: {message}")
        self.gateway_id = gateway_id

    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "gatewayId": self.gateway_id}


class GatewayUnavailable(GatewayError):
    code = "GATEWAY_UNAVAILABLE"


class GatewayAuthFailed(GatewayError):
    code = "GATEWAY_AUTH_FAILED"


class GatewayRejected(GatewayError):
    code = "GATEWAY_REJECTED"

    def __init__(self, gateway_id: str, message: str, *, gateway_error_code: int) -> None:
        super().__init__(gateway_id, message)
        self.gateway_error_code = gateway_error_code

    def extensions(self) -> dict[str, Any]:
        return {**super().extensions(), "gatewayErrorCode": self.gateway_error_code}


class GatewayProtocolError(GatewayError):
    code = "GATEWAY_PROTOCOL_ERROR"


class SubscriptionOverflow(UltiroamError):
    """A subscriber fell too far behind; its stream ends rather than silently skipping events."""

    code = "SUBSCRIPTION_OVERFLOW"

    def __init__(self, buffer: int) -> None:
        super().__init__(
            f"This subscription fell more than {buffer} events behind and was closed; "
            "subscribe again to continue"
        )


class CursorExpired(UltiroamError):
    """A subscription asked to resume after a cursor whose following events are gone."""

    code = "CURSOR_EXPIRED"

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"Cannot resume after this cursor: {reason}. Subscribe again without `after` "
            "(and catch up with a query) to continue"
        )


class BrokerUnavailable(UltiroamError):
    """The broker (Redis) cannot be reached; nothing can be published or replayed."""

    code = "BROKER_UNAVAILABLE"


class RateLimited(UltiroamError):
    """More messages than the gateway's ``send_rate_limit`` allows this minute."""

    code = "RATE_LIMITED"

    def __init__(self, gateway_id: str, per_minute: int) -> None:
        super().__init__(
            f"Gateway {gateway_id!r}: the send rate limit of {per_minute} messages a minute "
            "is reached; nothing was sent"
        )
        self.gateway_id = gateway_id

    def extensions(self) -> dict[str, Any]:
        return {"code": self.code, "gatewayId": self.gateway_id}
