"""The simulated device's HTTP face: lockout, then auth, then the `/api/` endpoints."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Literal

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from .auth import Authenticator, AuthOutcome, BasicAuthenticator
from .digest import DigestAuthenticator
from .faults import Fault
from .gateway import SimulatedGateway
from .lockout import Lockout
from .traffic import traffic_loop

Handler = Callable[[Request, SimulatedGateway], Awaitable[Response]]

LOCKED_OUT_TEXT = "forbid to try again"
NOT_JSON_PAGE = "<html><head><title>Error</title></head><body>Internal Error</body></html>"


async def _query_sms_result(request: Request, gateway: SimulatedGateway) -> Response:
    try:
        body: object = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return JSONResponse(gateway.envelope(400))
    return JSONResponse(gateway.query_sms_result(body))


async def _query_sms_in_queue(request: Request, gateway: SimulatedGateway) -> Response:
    return JSONResponse(gateway.query_sms_in_queue())


ENDPOINTS: dict[str, tuple[str, Handler]] = {
    "query_sms_result": ("POST", _query_sms_result),
    "query_sms_in_queue": ("GET", _query_sms_in_queue),
}
"""Endpoint name under /api/ -> (HTTP method, handler)."""


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


def _lifespan(
    gateway: SimulatedGateway, traffic_interval: float | None
) -> Callable[[Starlette], contextlib.AbstractAsyncContextManager[None]]:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if traffic_interval is None:
            yield
            return
        task = asyncio.create_task(traffic_loop(gateway, traffic_interval))
        try:
            yield
        finally:
            task.cancel()
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
) -> Starlette:
    """A Starlette app that answers like a Dinstar-family gateway for `gateway`'s data."""
    if traffic_interval is not None and traffic_interval <= 0:
        raise ValueError("traffic_interval must be positive")
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
        path = request.url.path
        if not path.startswith("/api/"):
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
        name = path.removeprefix("/api/")
        endpoint = ENDPOINTS.get(name)
        if endpoint is None:
            return PlainTextResponse("Not Found", status_code=404)
        method, handler = endpoint
        if request.method != method:
            return PlainTextResponse("Method Not Allowed", status_code=405)
        gateway.calls[name] += 1
        fault = gateway.take_fault()
        if fault is not None:
            return _fault_response(fault, gateway)
        return await handler(request, gateway)

    app = Starlette(
        routes=[Route("/{path:path}", handle, methods=["GET", "POST", "PUT", "DELETE", "HEAD"])],
        lifespan=_lifespan(gateway, traffic_interval),
    )
    app.state.gateway = gateway
    app.state.authenticator = authenticator
    app.state.lockout = lockout
    return app
