"""``GatewayClient``: one pooled httpx client per gateway, and the one seam where wire failures
become the facade's typed errors.

The seam also protects both sides: every call is bounded by the gateway's ``timeout`` as a whole,
a gateway that keeps failing is left alone for a while (``breaker.CircuitBreaker``), and only
queries are retried, once, when no connection could be made.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import ssl
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, TypeVar

import httpx
import orjson

from ..config import GatewaySettings
from ..errors import (
    GatewayAuthFailed,
    GatewayError,
    GatewayProtocolError,
    GatewayRejected,
    GatewayUnavailable,
)
from .auth import make_auth
from .breaker import Admission, BreakerState, CircuitBreaker
from .calls import CallRecord, parse_call
from .device import GatewayStatusRecord, parse_gateway_status
from .models import (
    DeliveryReportQuery,
    DeliveryReportRecord,
    InboxPage,
    SmsResultQuery,
    SmsResultRecord,
    parse_delivery_report,
    parse_inbox,
    parse_sms_results,
)
from .observe import NULL_OBSERVER, AuthCoolingDown, GatewayObserver, GatewayWatch, outcome_of
from .ports import PORT_INFO_TYPES, PortInfoRecord, parse_port_info
from .sending import SendSmsReceipt, SendSmsRequest, parse_send_receipt
from .single_flight import SingleFlight
from .ussd import (
    MAX_USSD_BYTES,
    UssdPortStatus,
    UssdReplyRecord,
    parse_ussd_reply,
    parse_ussd_status,
)
from .wire import (
    WireError,
    gateway_time_str,
    optional_str,
    parse_each,
    to_gateway_local,
    wire_int,
    wire_list,
)

log = logging.getLogger(__name__)

OK = frozenset({200})
ACCEPTED = frozenset({200, 202})
AUTH_COOLDOWN = 60.0
BREAKER_FAILURES = 5
BREAKER_COOLDOWN = 30.0
RETRY_DELAY = 0.2
_TRAILING_COMMA = re.compile(r",\s*([\]}])")

QueryValue = str | int | Sequence[int] | Sequence[str] | None
"""A GET parameter: sequences are sent comma-joined (the comma encoded as %2C), None left out."""
T = TypeVar("T")


class GatewayClient:
    """Talks to one gateway: auth chosen once, at most ``max_concurrency`` calls in flight.

    A failed login is final: the device counts failures and locks an address out, so after one
    the client answers ``GATEWAY_AUTH_FAILED`` without contacting the device for ``auth_cooldown``
    seconds.

    After ``breaker_failures`` calls in a row that could not reach the device
    (``GATEWAY_UNAVAILABLE``), calls fail fast for ``breaker_cooldown`` seconds; then one trial
    call decides. Queries (never sends, stops or port actions) are tried once more, after
    ``retry_delay`` seconds, when the connection could not be established.

    Every call's outcome and every change of the gateway's state go to ``observer`` (settable
    later, as the app connects its metrics to the clients it is given).
    """

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        http: httpx.AsyncClient | None = None,
        auth_cooldown: float = AUTH_COOLDOWN,
        clock: Callable[[], float] = time.monotonic,
        breaker_failures: int = BREAKER_FAILURES,
        breaker_cooldown: float = BREAKER_COOLDOWN,
        retry_delay: float = RETRY_DELAY,
        observer: GatewayObserver = NULL_OBSERVER,
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
        self._breaker = CircuitBreaker(
            threshold=breaker_failures, cooldown=breaker_cooldown, clock=clock
        )
        self._retry_delay = retry_delay
        self._watch = GatewayWatch(self.id, observer)
        self._flights: SingleFlight[Any] = SingleFlight()

    @classmethod
    def in_process(cls, settings: GatewaySettings, app: Any) -> GatewayClient:
        """A client of a gateway served by an ASGI app in this process (the demo's simulator)."""
        client = cls(settings, http=httpx.AsyncClient(transport=httpx.ASGITransport(app=app)))
        client._owns_http = True
        return client

    @property
    def breaker_state(self) -> BreakerState:
        """``closed``, ``open`` (calls fail fast) or ``half_open`` (a trial call may go)."""
        return self._breaker.state

    @property
    def observer(self) -> GatewayObserver:
        return self._watch.observer

    @observer.setter
    def observer(self, observer: GatewayObserver) -> None:
        self._watch.observer = observer

    @property
    def consecutive_failures(self) -> int:
        """Calls in a row that could not reach the gateway; 0 since the last answer."""
        return self._breaker.consecutive_failures

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def query_sms_result(self, query: SmsResultQuery) -> list[SmsResultRecord]:
        """Sending results matching ``query`` (at most 32 numbers).

        Identical queries in flight at once share the call and its parsing too: the records are
        immutable, and callers must not change the list they share.
        """
        return await self._request(
            "POST", "query_sms_result", json=query.body(), idempotent=True, parse=self._results
        )

    def _results(self, reply: dict[str, Any]) -> list[SmsResultRecord]:
        return self._parse(
            "query_sms_result",
            lambda: parse_sms_results(reply.get("result"), gateway_id=self.id, zone=self.zone),
        )

    async def send_sms(self, request: SendSmsRequest) -> SendSmsReceipt:
        """Queue one text to its recipients; 202 only means queued (results come later)."""
        reply = await self._request("POST", "send_sms", json=request.body(), success=ACCEPTED)
        return self._parse("send_sms", lambda: parse_send_receipt(reply))

    async def stop_sms(self, task_id: int) -> None:
        """Stop a sending task; an unknown task is GatewayRejected with code 404 or 486."""
        await self._request("GET", "stop_sms", params={"task_id": task_id})

    async def query_sms_in_queue(self) -> int:
        """How many messages wait to be sent."""
        reply = await self._request("GET", "query_sms_in_queue", idempotent=True)
        return self._parse(
            "query_sms_in_queue", lambda: wire_int(reply.get("in_queue"), "in_queue")
        )

    async def query_sms_deliver_status(
        self, query: DeliveryReportQuery
    ) -> list[DeliveryReportRecord]:
        """Delivery reports matching ``query`` (at most 32 numbers)."""
        reply = await self._request(
            "POST", "query_sms_deliver_status", json=query.body(), idempotent=True
        )
        return self._parse(
            "query_sms_deliver_status",
            lambda: parse_each(
                reply.get("result"),
                parse_delivery_report,
                "result",
                gateway_id=self.id,
                zone=self.zone,
            ),
        )

    async def query_incoming_sms(
        self, *, after_id: int = 0, ports: Sequence[int] | None = None
    ) -> InboxPage:
        """Received messages with an id above ``after_id``, never marking any as read."""
        params: dict[str, QueryValue] = {"flag": "all", "incoming_sms_id": after_id, "port": ports}
        reply = await self._request("GET", "query_incoming_sms", params=params, idempotent=True)
        return self._parse(
            "query_incoming_sms", lambda: parse_inbox(reply, gateway_id=self.id, zone=self.zone)
        )

    async def get_port_info(self, ports: Sequence[int] | None = None) -> list[PortInfoRecord]:
        """The SIM and radio state of ``ports`` (all ports when None)."""
        params: dict[str, QueryValue] = {"info_type": PORT_INFO_TYPES, "port": ports}
        reply = await self._request("GET", "get_port_info", params=params, idempotent=True)
        return self._parse(
            "get_port_info",
            lambda: parse_each(
                reply.get("info"), parse_port_info, "info", gateway_id=self.id, zone=self.zone
            ),
        )

    async def set_port_info(
        self, *, port: int, action: str, param: str | None = None, number: str | None = None
    ) -> None:
        """Act on one port (``reset``, ``power``, ``slot``, ``lock``, ``CallForward``...).

        ``reset`` is sent with ``param=1`` when none is given: some firmware ignores it without.
        ``number`` is the forwarding target of ``CallForward``.
        """
        if action == "reset" and param is None:
            param = "1"
        params: dict[str, QueryValue] = {
            "port": port,
            "action": action,
            "param": param,
            "number": number,
        }
        await self._request("GET", "set_port_info", params=params)

    async def send_ussd(
        self, *, ports: Sequence[int], text: str, command: Literal["send", "cancel"] = "send"
    ) -> list[UssdPortStatus]:
        """Send (or cancel) one USSD code on every port in ``ports``; each port's own status.

        The call succeeds with 202 even when some ports did not send (486 busy, 503 not
        registered): check each status.
        """
        if not ports:
            raise ValueError("send_ussd needs at least one port")
        if command not in ("send", "cancel"):
            raise ValueError("command must be 'send' or 'cancel'")
        if command == "send" and not text:
            raise ValueError("send_ussd needs a text to send")
        if len(text.encode()) > MAX_USSD_BYTES:
            raise ValueError(f"the USSD text is longer than {MAX_USSD_BYTES} bytes")
        body = {"port": list(ports), "command": command, "text": text}
        reply = await self._request("POST", "send_ussd", json=body, success=ACCEPTED)
        return self._parse(
            "send_ussd",
            lambda: [parse_ussd_status(item) for item in wire_list(reply.get("result"), "result")],
        )

    async def query_ussd_reply(self, ports: Sequence[int]) -> list[UssdReplyRecord]:
        """The last USSD reply on each of ``ports``; ports with no reply yet are left out."""
        if not ports:
            raise ValueError("query_ussd_reply needs at least one port")
        reply = await self._request(
            "GET", "query_ussd_reply", params={"port": ports}, idempotent=True
        )
        replies = self._parse(
            "query_ussd_reply",
            lambda: parse_each(
                reply.get("reply"), parse_ussd_reply, "reply", gateway_id=self.id, zone=self.zone
            ),
        )
        return [record for record in replies if record.text.strip()]

    async def get_status(self) -> GatewayStatusRecord:
        """CPU, memory and flash use; this call has no envelope."""
        reply = await self._request(
            "POST", "get_status", json=["performance"], envelope=False, idempotent=True
        )
        return self._parse("get_status", lambda: parse_gateway_status(reply))

    async def get_cdr(
        self,
        *,
        ports: Sequence[int] | None = None,
        time_after: datetime | None = None,
        time_before: datetime | None = None,
    ) -> list[CallRecord]:
        """Call detail records; naive times are gateway-local, aware ones are converted."""
        body: dict[str, Any] = {}
        if ports is not None:
            body["port"] = list(ports)
        if time_after is not None:
            body["time_after"] = gateway_time_str(to_gateway_local(time_after, self.zone))
        if time_before is not None:
            body["time_before"] = gateway_time_str(to_gateway_local(time_before, self.zone))
        reply = await self._request("POST", "get_cdr", json=body, idempotent=True)
        records = reply.get("cdr") if reply.get("cdr") is not None else reply.get("info")
        return self._parse(
            "get_cdr",
            lambda: parse_each(records, parse_call, "cdr", gateway_id=self.id, zone=self.zone),
        )

    def _parse(self, name: str, parse: Callable[[], T]) -> T:
        """``parse()``, with a reply of the wrong shape reported as a protocol error."""
        try:
            return parse()
        except WireError as exc:
            self._watch.observer.reply_unparsable(self.id, name)
            raise GatewayProtocolError(self.id, f"{name}: {exc}") from exc

    async def _request(
        self,
        method: str,
        name: str,
        *,
        json: Any = None,
        params: Mapping[str, QueryValue] | None = None,
        success: Collection[int] = OK,
        envelope: bool = True,
        idempotent: bool = False,
        parse: Callable[[dict[str, Any]], Any] | None = None,
    ) -> Any:
        """Send one API call and return its envelope (or what ``parse`` makes of it), or raise
        the matching GatewayError.

        ``params`` become the query string (sequences comma-joined, None left out);
        ``envelope=False`` is for the one call that answers a bare JSON object (``get_status``);
        ``idempotent=True`` (queries only) allows a second attempt when no connection could be
        made, so nothing was sent.
        Identical idempotent calls in flight at once are sent once, and all callers share the
        reply, parsed once (which they must not change).
        """
        query = _query(params)

        async def call() -> Any:
            reply = await self._call(method, name, json, query, success, envelope, idempotent)
            return reply if parse is None else parse(reply)

        if not idempotent:
            return await call()
        return await self._flights.run((method, name, _frozen(query), _frozen(json), parse), call)

    async def _call(
        self,
        method: str,
        name: str,
        json: Any,
        query: dict[str, str] | None,
        success: Collection[int],
        envelope: bool,
        idempotent: bool,
    ) -> dict[str, Any]:
        if not self._breaker.allows():
            raise self._circuit_open(name)  # fail fast, without queueing for a slot
        async with self._slots:
            admission = self._breaker.admit()  # again: it may have opened while this call queued
            if admission is None:
                raise self._circuit_open(name)
            started = time.perf_counter()
            try:
                response = await self._exchange(
                    method, name, json=json, params=query, idempotent=idempotent
                )
                reply = self._reply(name, response, success, envelope)
            except BaseException as exc:
                self._settle(admission, exc)
                self._watch.call(name, outcome_of(exc), time.perf_counter() - started)
                raise
            self._answered()
            self._watch.call(name, "ok", time.perf_counter() - started)
            return reply

    def _settle(self, admission: Admission, error: BaseException) -> None:
        """What a failed call says about the gateway, for the breaker."""
        if isinstance(error, GatewayUnavailable):
            self._unreachable(outcome_of(error))
        elif isinstance(error, GatewayAuthFailed):
            self._breaker.release(admission)  # a lockout has its own cool-down
        elif isinstance(error, GatewayError):
            self._answered()  # the device answered, if not as hoped
        else:
            self._breaker.release(admission)

    def _circuit_open(self, name: str) -> GatewayUnavailable:
        self._watch.call(name, "circuit_open", None)
        wait = self._breaker.retry_after()
        retry = (
            f"retrying after {max(1, math.ceil(wait))} s"
            if wait > 0
            else "retrying after the trial call in progress"
        )
        return GatewayUnavailable(
            self.id,
            f"circuit open: {name} not sent after {self._breaker.consecutive_failures} "
            f"consecutive failures to reach the gateway; {retry}",
        )

    def _unreachable(self, reason: str) -> None:
        self._breaker.record_failure()
        self._watch.unreachable(reason)
        self._watch.circuit(
            is_open=self._breaker.state != "closed",
            failures=self._breaker.consecutive_failures,
            cooldown=self._breaker.cooldown,
        )

    def _answered(self) -> None:
        self._breaker.record_success()
        self._watch.answered(logged_in=self._logged_in)
        self._watch.circuit(is_open=False, failures=0, cooldown=self._breaker.cooldown)

    async def _exchange(
        self,
        method: str,
        name: str,
        *,
        json: Any,
        params: Mapping[str, str] | None,
        idempotent: bool,
    ) -> httpx.Response:
        """``_send``, with the first login made by one caller alone."""
        if not self._logged_in:
            async with self._first_login:  # one login for all callers, never one each
                if not self._logged_in:
                    return await self._send(
                        method, name, json=json, params=params, idempotent=idempotent
                    )
        return await self._send(method, name, json=json, params=params, idempotent=idempotent)

    def _reply(
        self, name: str, response: httpx.Response, success: Collection[int], envelope: bool
    ) -> dict[str, Any]:
        if envelope:
            return self._envelope(name, response, success)
        if response.status_code in (502, 503, 504):
            raise GatewayUnavailable(self.id, f"{name}: HTTP {response.status_code}")
        reply = _decode(response.content)
        if reply is None:
            raise GatewayProtocolError(
                self.id, f"{name}: HTTP {response.status_code} reply is not a JSON object"
            )
        return reply

    async def _send(
        self,
        method: str,
        name: str,
        *,
        json: Any,
        params: Mapping[str, str] | None,
        idempotent: bool = False,
    ) -> httpx.Response:
        if self._clock() < self._auth_failed_until:
            raise AuthCoolingDown(
                self.id, "authentication failed recently; not retrying yet to avoid a lockout"
            )
        timeout = self.settings.timeout
        try:
            # httpx bounds each phase (connect, every read) on its own; this bounds the whole
            # call, Digest round trip and retry included, so a silent or trickling device
            # cannot hold a slot longer.
            async with asyncio.timeout(timeout):
                try:
                    response = await self._http_request(method, name, json=json, params=params)
                except httpx.ConnectError:
                    if not idempotent:
                        raise
                    log.info(
                        "gateway %s: %s: cannot connect; trying once more",
                        self.id,
                        name,
                        extra={"event": "gateway_retry", "gateway": self.id, "endpoint": name},
                    )
                    await asyncio.sleep(self._retry_delay)
                    response = await self._http_request(method, name, json=json, params=params)
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise GatewayUnavailable(self.id, f"{name}: no answer within {timeout:g} s") from exc
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
            self._watch.answered(logged_in=False)
            self._watch.refused(response.status_code, cooldown=self._auth_cooldown)
            raise GatewayAuthFailed(self.id, f"{name}: {problem}")
        self._logged_in = True
        self.heard_from()
        return response

    def heard_from(self, sn: str | None = None) -> None:
        """The gateway answered or pushed: note when, and its serial number when it gave one."""
        self.last_contact = time.time()
        if sn:
            self.sn = sn

    async def _http_request(
        self, method: str, name: str, *, json: Any, params: Mapping[str, str] | None
    ) -> httpx.Response:
        return await self._http.request(
            method,
            f"{self.settings.url}/api/{name}",
            json=json,
            params=params,
            auth=self._auth,
            timeout=self.settings.timeout,
        )

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
        sn = envelope.get("sn")
        if isinstance(sn, str):
            self.heard_from(optional_str(sn, "sn"))
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


def _query(params: Mapping[str, QueryValue] | None) -> dict[str, str] | None:
    """Query parameters as text: arrays comma-joined, as the manual wants; None left out."""
    if params is None:
        return None
    query: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, (str, int)):
            query[key] = str(value)
        else:
            query[key] = ",".join(str(item) for item in value)
    return query


def _frozen(value: Any) -> str:
    """A request's parameters or body as a key: the same call gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _decode(content: bytes) -> dict[str, Any] | None:
    """The reply as a JSON object, forgiving the trailing commas of some firmware."""
    try:
        value = orjson.loads(content)  # the usual reply: valid UTF-8 JSON, read as it came
    except ValueError:
        pass
    else:
        return _envelope(value)
    try:
        text = content.decode("utf-8", errors="replace")
    except Exception:  # pragma: no cover - errors="replace" never raises
        return None
    for candidate in (text, _TRAILING_COMMA.sub(r"\1", text)):
        try:
            value = orjson.loads(candidate)
        except ValueError:  # orjson.JSONDecodeError included
            continue
        return _envelope(value)
    return None


def _envelope(value: object) -> dict[str, Any] | None:
    """A reply's top-level object, its keys trimmed (``"error_code :"`` is seen in the field)."""
    if not isinstance(value, dict):
        return None
    return {str(k).strip().rstrip(":"): v for k, v in value.items()}


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
