"""``GatewayClient``: one pooled httpx client per gateway, and the one seam where wire failures
become the facade's typed errors.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import ssl
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

import httpx

from ..config import GatewaySettings
from ..errors import (
    GatewayAuthFailed,
    GatewayProtocolError,
    GatewayRejected,
    GatewayUnavailable,
)
from .auth import make_auth
from .models import SmsResultQuery, SmsResultRecord, WireError, optional_str, parse_sms_results

log = logging.getLogger(__name__)

OK = frozenset({200})
ACCEPTED = frozenset({200, 202})
AUTH_COOLDOWN = 60.0
_TRAILING_COMMA = re.compile(r",\s*([\]}])")


class GatewayClient:
    """Talks to one gateway: auth chosen once, at most ``max_concurrency`` calls in flight.

    A failed login is final: the device counts failures and locks an address out, so after one
    the client answers ``GATEWAY_AUTH_FAILED`` without contacting the device for ``auth_cooldown``
    seconds.
    """

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        http: httpx.AsyncClient | None = None,
        auth_cooldown: float = AUTH_COOLDOWN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.id = settings.id
        self.zone = settings.zone
        self.sn: str | None = None
        self.last_contact: float | None = None
        self._http = http if http is not None else _http_client(settings)
        self._owns_http = http is None
        password = settings.password.get_secret_value() if settings.password else ""
        self._auth = make_auth(settings.auth, settings.username, password)
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._first_login = asyncio.Lock()
        self._logged_in = False  # until the gateway has accepted the credentials once
        self._auth_cooldown = auth_cooldown
        self._clock = clock
        self._auth_failed_until = 0.0

    @classmethod
    def in_process(cls, settings: GatewaySettings, app: Any) -> GatewayClient:
        """A client of a gateway served by an ASGI app in this process (the demo's simulator)."""
        client = cls(settings, http=httpx.AsyncClient(transport=httpx.ASGITransport(app=app)))
        client._owns_http = True
        return client

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def query_sms_result(self, query: SmsResultQuery) -> list[SmsResultRecord]:
        reply = await self._request("POST", "query_sms_result", json=query.body())
        try:
            return parse_sms_results(reply.get("result"), gateway_id=self.id, zone=self.zone)
        except WireError as exc:
            raise GatewayProtocolError(self.id, f"query_sms_result: {exc}") from exc

    async def _request(
        self,
        method: str,
        name: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        success: Collection[int] = OK,
    ) -> dict[str, Any]:
        """Send one API call and return its envelope, or raise the matching GatewayError."""
        async with self._slots:
            if not self._logged_in:
                async with self._first_login:  # one login for all callers, never one each
                    if not self._logged_in:
                        response = await self._send(method, name, json=json, params=params)
                        return self._envelope(name, response, success)
            response = await self._send(method, name, json=json, params=params)
        return self._envelope(name, response, success)

    async def _send(
        self, method: str, name: str, *, json: Any, params: Mapping[str, str] | None
    ) -> httpx.Response:
        if self._clock() < self._auth_failed_until:
            raise GatewayAuthFailed(
                self.id, "authentication failed recently; not retrying yet to avoid a lockout"
            )
        try:
            response = await self._http.request(
                method,
                f"{self.settings.url}/api/{name}",
                json=json,
                params=params,
                auth=self._auth,
                timeout=self.settings.timeout,
            )
        except httpx.TimeoutException as exc:
            raise GatewayUnavailable(
                self.id, f"{name}: no answer within {self.settings.timeout:g} s"
            ) from exc
        except httpx.TransportError as exc:
            raise GatewayUnavailable(self.id, f"{name}: {_describe(exc)}") from exc
        if response.status_code in (401, 403):
            self._logged_in = False  # the next caller logs in alone again
            self._auth_failed_until = self._clock() + self._auth_cooldown
            problem = (
                "the gateway refused the username or password"
                if response.status_code == 401
                else "the gateway forbids access (it may have locked this address out)"
            )
            log.warning("gateway %s: %s (HTTP %s)", self.id, problem, response.status_code)
            raise GatewayAuthFailed(self.id, f"{name}: {problem}")
        self._logged_in = True
        self.last_contact = time.time()
        return response

    def _envelope(
        self, name: str, response: httpx.Response, success: Collection[int]
    ) -> dict[str, Any]:
        if response.status_code in (502, 503, 504):
            raise GatewayUnavailable(self.id, f"{name}: HTTP {response.status_code}")
        envelope = _decode(response.content)
        if envelope is None or "error_code" not in envelope:
            raise GatewayProtocolError(
                self.id,
                f"{name}: HTTP {response.status_code} reply is not the documented JSON envelope",
            )
        if sn := optional_str(envelope.get("sn"), "sn"):
            self.sn = sn
        try:
            code = int(str(envelope["error_code"]).strip())
        except ValueError:
            raise GatewayProtocolError(
                self.id, f"{name}: error_code {envelope['error_code']!r} is not a number"
            ) from None
        if code not in success:
            raise GatewayRejected(
                self.id, f"{name}: the gateway answered error_code {code}", gateway_error_code=code
            )
        return envelope


def _decode(content: bytes) -> dict[str, Any] | None:
    """The reply as a JSON object, forgiving the trailing commas of some firmware."""
    try:
        text = content.decode("utf-8", errors="replace")
    except Exception:  # pragma: no cover - errors="replace" never raises
        return None
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        return (
            {str(k).strip().rstrip(":"): v for k, v in value.items()}
            if isinstance(value, dict)
            else None
        )
    return None


def _describe(exc: httpx.TransportError) -> str:
    """A short cause without URLs, which could carry credentials."""
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        return "the connection was closed without a valid HTTP answer"
    return f"transport error ({type(exc).__name__})"


def _http_client(settings: GatewaySettings) -> httpx.AsyncClient:
    verify: ssl.SSLContext | bool = settings.verify_tls
    if settings.ca_file:
        # A pinned device certificate identifies the device; these rarely name the IP they sit on.
        verify = ssl.create_default_context(cafile=settings.ca_file)
        verify.check_hostname = False
    limits = httpx.Limits(
        max_connections=settings.max_concurrency, max_keepalive_connections=settings.max_concurrency
    )
    return httpx.AsyncClient(verify=verify, limits=limits, timeout=settings.timeout)


__all__ = ["ACCEPTED", "OK", "GatewayClient"]
