"""``POST /push/{gateway_id}?token=...``: the gateways' pushes, checked, parsed and published.

Answers 200 once every event of the body is published; 4xx (and nothing published) otherwise.
Each push is logged once and told to a :class:`PushObserver` with its outcome. Label values
never come from the request: a gateway id that is not configured is ``unknown``, and kinds are
those the parser knows.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from .broker import Broker
from .errors import BrokerUnavailable
from .events import Event
from .gateway import GatewayClient
from .limits import BodyTooLarge, read_limited
from .push import PushRejected, parse_push

log = logging.getLogger(__name__)

UNKNOWN_GATEWAY = "unknown"
"""The gateway label of a push to an id that is not configured."""
GIVEN_ID_CHARS = 64
"""How much of an unknown gateway id a log line repeats."""

PushOutcome = Literal[
    "accepted",
    "unknown_gateway",
    "push_disabled",  # the gateway has no push_token
    "bad_token",
    "too_large",
    "incomplete_body",  # the sender went away mid-body
    "bad_body",
    "broker_unavailable",
]
PUSH_OUTCOMES: tuple[PushOutcome, ...] = PushOutcome.__args__  # type: ignore[attr-defined]


class PushObserver(Protocol):
    def push_handled(
        self, gateway: str, outcome: PushOutcome, events: Sequence[tuple[str, bool]]
    ) -> None:
        """One push answered; ``events`` are (kind, published) for an accepted push, where
        published is False for an event the gateway had sent already."""


class NullPushObserver:
    def push_handled(
        self, gateway: str, outcome: PushOutcome, events: Sequence[tuple[str, bool]]
    ) -> None:
        pass


@dataclass
class _Verdict:
    outcome: PushOutcome
    response: Response
    reason: str = ""
    events: list[tuple[str, bool]] = field(default_factory=list)


def _refuse(
    outcome: PushOutcome, status: int, message: str, *, retry_after: int | None = None
) -> _Verdict:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    response = JSONResponse({"ok": False, "error": message}, status_code=status, headers=headers)
    return _Verdict(outcome, response, message)


class PushWebhook:
    """The push endpoint for every configured gateway."""

    def __init__(
        self,
        gateways: Mapping[str, GatewayClient],
        broker: Broker,
        *,
        body_limit: int,
        observer: PushObserver | None = None,
    ) -> None:
        self.gateways = gateways
        self.broker = broker
        self.body_limit = body_limit
        self.observer: PushObserver = observer or NullPushObserver()

    async def handle(self, request: Request) -> Response:
        given = str(request.path_params["gateway_id"])
        gateway = self.gateways.get(given)
        label = gateway.id if gateway is not None else UNKNOWN_GATEWAY
        verdict = await self._check(request, gateway)
        self.observer.push_handled(label, verdict.outcome, verdict.events)
        _log(label, verdict, given if gateway is None else None)
        return verdict.response

    async def _check(self, request: Request, gateway: GatewayClient | None) -> _Verdict:
        if gateway is None:
            return _refuse("unknown_gateway", 404, "no such gateway")
        expected = gateway.settings.push_token
        if expected is None:
            return _refuse(
                "push_disabled", 401, "pushes are not enabled for this gateway: set its push_token"
            )
        token = request.query_params.get("token", "")
        if not hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
            return _refuse("bad_token", 401, "missing or wrong token")
        try:
            body = await read_limited(request, self.body_limit)
        except BodyTooLarge:
            return _refuse("too_large", 413, f"the body is larger than {self.body_limit} bytes")
        except ClientDisconnect:
            return _refuse("incomplete_body", 400, "the body was not received whole")
        try:
            events = parse_push(body, gateway_id=gateway.id, zone=gateway.zone)
        except PushRejected as exc:
            return _refuse("bad_body", 400, str(exc))
        try:
            cursors = await self.broker.publish_all(events)  # the whole push, or none of it
        except BrokerUnavailable:
            message = "the broker is unavailable; try again later"
            return _refuse("broker_unavailable", 503, message, retry_after=5)
        published = sum(cursor is not None for cursor in cursors)
        gateway.heard_from(events[0].sn if events else None)
        response = JSONResponse({"ok": True, "events": len(events), "published": published})
        return _Verdict("accepted", response, events=_kinds(events, cursors))


def _kinds(events: Sequence[Event], cursors: Sequence[str | None]) -> list[tuple[str, bool]]:
    return [(event.kind, cursor is not None) for event, cursor in zip(events, cursors, strict=True)]


def _log(gateway: str, verdict: _Verdict, given_id: str | None) -> None:
    """One line per push: what came in, and what became of it."""
    kinds = sorted({kind for kind, _ in verdict.events})
    fields: dict[str, object] = {
        "event": "push",
        "gateway": gateway,
        "outcome": verdict.outcome,
        "kinds": kinds,
        "events": len(verdict.events),
        "published": sum(published for _, published in verdict.events),
    }
    if verdict.outcome == "accepted":
        count = len(verdict.events)
        log.info(
            "push from %s accepted: %d event%s (%s)",
            gateway,
            count,
            "" if count == 1 else "s",
            ", ".join(kinds) or "none",
            extra=fields,
        )
        return
    fields["reason"] = verdict.reason
    if given_id is not None:
        fields["given_gateway_id"] = given_id[:GIVEN_ID_CHARS]
    log.warning("push to %s refused: %s", gateway, verdict.reason, extra=fields)
