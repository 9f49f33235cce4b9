"""The simulated device's HTTP face: lockout, then auth, then the `/api/` endpoints (and the
simulator's own `/control/` ones); the endpoints themselves live in `endpoints/`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Literal

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .auth import Authenticator, AuthOutcome, BasicAuthenticator
from .digest import DigestAuthenticator
from .endpoints import CONTROL_ENDPOINTS, ENDPOINTS, Endpoint
from .faults import Fault
from .gateway import SimulatedGateway
from .lockout import Lockout
from .push import PUSH_TIMEOUT, PushSender, PushTracker, device_body, push_loop
from .traffic import traffic_loop

LOCKED_OUT_TEXT = "forbid to try again"
NOT_JSON_PAGE = "<html><head><title>Error</title></head><body>Internal Error</body></html>"


def _area(path: str) -> tuple[str, dict[str, Endpoint]] | None:
    """The path prefix and endpoint table a path belongs to, None outside both."""
    for prefix, table in (("/api/", ENDPOINTS), ("/control/", CONTROL_ENDPOINTS)):
        if path.startswith(prefix):
            return prefix, table
    return None


def _route_path(request: Request) -> str:
    """The path below where the simulator is mounted (the demo mounts it in the facade)."""
    path, root = request.scope["path"], request.scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _request_target(request: Request) -> str:
    """Path and query exactly as sent, which is what a Digest `uri` must equal."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1") if raw else request.url.path
    query = request.scope.get("query_string", b"").decode("latin-1")
    return f"{path}?{query}" if query else path


def _fault_response(fault: Fault, gateway: SimulatedGateway) -> Response:
    if fault.kind == "error_code":
        return JSONResponse(gateway.envelope(fault.error_code))
    if fault.kind == "not_json":
        return HTMLResponse(NOT_JSON_PAGE)
    return Response(status_code=500)


@dataclass(frozen=True, slots=True)
class _PushSettings:
    url: str
    transport: httpx.AsyncBaseTransport | None
    interval: float


def _push_settings(
    url: str | None, transport: httpx.AsyncBaseTransport | None, interval: float
) -> _PushSettings | None:
    if interval <= 0:
        raise ValueError("push_interval must be positive")
    if url is None:
        if transport is not None:
            raise ValueError("push_transport needs push_url")
        return None
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise ValueError("push_url is not a valid URL") from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError("push_url must be an absolute http:// or https:// URL")
    return _PushSettings(url, transport, interval)


def _lifespan(
    gateway: SimulatedGateway, traffic_interval: float | None, push: _PushSettings | None
) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            loops: list[Coroutine[None, None, None]] = []
            if push is not None:
                client = await stack.enter_async_context(
                    httpx.AsyncClient(transport=push.transport, timeout=PUSH_TIMEOUT)
                )
                tracker = PushTracker(gateway)
                stack.callback(tracker.close)
                sender = PushSender(gateway, client, push.url)
                announce = device_body(gateway)
                loops.append(push_loop(tracker, sender, push.interval, announce=announce))
            if traffic_interval is not None:
                loops.append(traffic_loop(gateway, traffic_interval))
            tasks = [asyncio.create_task(loop) for loop in loops]
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    return lifespan


def create_simulator_app(
    gateway: SimulatedGateway,
    *,
    username: str = "admin",
    password: str = "admin",
    auth: Literal["digest", "basic"] = "digest",
    lockout_failures: int = 5,
    lockout_window: float = 60.0,
    lockout_seconds: float = 300.0,
    nonce_lifetime: float = 3600.0,
    traffic_interval: float | None = None,
    push_url: str | None = None,
    push_transport: httpx.AsyncBaseTransport | None = None,
    push_interval: float = 1.0,
) -> Starlette:
    """A Starlette app that answers like a Dinstar-family gateway for `gateway`'s data.

    While the app runs (its lifespan), `traffic_interval` adds random traffic every so many
    seconds, and `push_url` makes it POST what changed every `push_interval` seconds, as a
    device pushes: `device` once at the start, then `sms_result`, `sms_deliver_status`, `sms`,
    `ussd`, `register`, `cdr` and `exception_info` bodies. `push_transport` delivers those
    in-process (tests, the demo) instead of over the network.
    """
    if traffic_interval is not None and traffic_interval <= 0:
        raise ValueError("traffic_interval must be positive")
    push = _push_settings(push_url, push_transport, push_interval)
    authenticator: Authenticator
    if auth == "digest":
        authenticator = DigestAuthenticator(username, password, nonce_lifetime=nonce_lifetime)
    elif auth == "basic":
        authenticator = BasicAuthenticator(username, password)
    else:
        raise ValueError(f"unknown auth scheme {auth!r}")
    lockout = Lockout(failures=lockout_failures, window=lockout_window, duration=lockout_seconds)

    async def handle(request: Request) -> Response:
        now = gateway.clock()
        host = request.client.host if request.client else "unknown"
        if lockout.is_locked(host, now):
            return PlainTextResponse(LOCKED_OUT_TEXT, status_code=403)
        path = _route_path(request)
        area = _area(path)
        if area is None:
            return PlainTextResponse("Not Found", status_code=404)
        outcome = authenticator.check(
            request.headers.get("authorization"), request.method, _request_target(request), now
        )
        if outcome is not AuthOutcome.OK:
            gateway.auth_failures += 1
            if outcome is AuthOutcome.FAILED:
                lockout.record_failure(host, now)
            challenge = authenticator.challenge(now, stale=outcome is AuthOutcome.STALE)
            return PlainTextResponse(
                "401 Unauthorized", status_code=401, headers={"WWW-Authenticate": challenge}
            )
        prefix, table = area
        name = path.removeprefix(prefix)
        endpoint = table.get(name)
        if endpoint is None:
            return PlainTextResponse("Not Found", status_code=404)
        if request.method != endpoint.method:
            status = endpoint.wrong_method_status
            text = "Forbidden" if status == 403 else "Method Not Allowed"
            return PlainTextResponse(text, status_code=status)
        if table is ENDPOINTS:
            gateway.calls[name] += 1
            fault = gateway.take_fault()
            if fault is not None:
                return _fault_response(fault, gateway)
        return await endpoint.handler(request, gateway)

    app = Starlette(
        routes=[Route("/{path:path}", handle, methods=["GET", "POST", "PUT", "DELETE", "HEAD"])],
        lifespan=_lifespan(gateway, traffic_interval, push),
    )
    app.state.gateway = gateway
    app.state.authenticator = authenticator
    app.state.lockout = lockout
    return app
