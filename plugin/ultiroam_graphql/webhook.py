"""``POST /push/{gateway_id}?token=...``: the gateways' pushes, checked, parsed and published.

Answers 200 once every event of the body is published; 4xx (and nothing published) otherwise.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from .broker import Broker
from .errors import BrokerUnavailable
from .gateway import GatewayClient
from .limits import BodyTooLarge, read_limited
from .push import PushRejected, parse_push

log = logging.getLogger(__name__)


def _refuse(status: int, message: str, *, retry_after: int | None = None) -> Response:
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse({"ok": False, "error": message}, status_code=status, headers=headers)


class PushWebhook:
    """The push endpoint for every configured gateway."""

    def __init__(
        self, gateways: Mapping[str, GatewayClient], broker: Broker, *, body_limit: int
    ) -> None:
        self.gateways = gateways
        self.broker = broker
        self.body_limit = body_limit

    async def handle(self, request: Request) -> Response:
        gateway = self.gateways.get(request.path_params["gateway_id"])
        if gateway is None:
            return _refuse(404, "no such gateway")
        expected = gateway.settings.push_token
        if expected is None:
            return _refuse(401, "pushes are not enabled for this gateway: set its push_token")
        token = request.query_params.get("token", "")
        if not hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
            return _refuse(401, "missing or wrong token")
        try:
            body = await read_limited(request, self.body_limit)
        except BodyTooLarge:
            return _refuse(413, f"the body is larger than {self.body_limit} bytes")
        except ClientDisconnect:
            return _refuse(400, "the body was not received whole")
        try:
            events = parse_push(body, gateway_id=gateway.id, zone=gateway.zone)
        except PushRejected as exc:
            log.warning("push from %s refused: %s", gateway.id, exc)
            return _refuse(400, str(exc))
        try:
            cursors = await self.broker.publish_all(events)  # the whole push, or none of it
        except BrokerUnavailable:
            return _refuse(503, "the broker is unavailable; try again later", retry_after=5)
        published = sum(cursor is not None for cursor in cursors)
        gateway.heard_from(events[0].sn if events else None)
        return JSONResponse({"ok": True, "events": len(events), "published": published})
