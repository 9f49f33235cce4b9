"""HTTP authentication towards a gateway, built on httpx's own Basic and Digest flows.

The devices count unauthenticated and failed attempts and lock an address out, so a scheme is
chosen once and its state (the Digest challenge) is reused for every later call.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Literal

import httpx

AuthMode = Literal["auto", "digest", "basic"]


class AutoAuth(httpx.Auth):
    """Answers whichever scheme the gateway challenges with, then keeps using it.

    The first request goes out without credentials (with its body: no empty probe); its 401 is
    answered with Digest or Basic, as challenged, and the chosen scheme serves every later request.
    """

    def __init__(self, username: str, password: str) -> None:
        self._digest = httpx.DigestAuth(username, password)
        self._basic = httpx.BasicAuth(username, password)
        self._chosen: httpx.Auth | None = None

    @property
    def scheme(self) -> str | None:
        """``digest`` or ``basic`` once the gateway has told, else None."""
        if self._chosen is None:
            return None
        return "digest" if self._chosen is self._digest else "basic"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._chosen is not None:
            yield from self._chosen.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        schemes = {
            header.split(" ", 1)[0].strip().lower()
            for header in response.headers.get_list("www-authenticate")
        }
        if "digest" in schemes:
            self._chosen = self._digest
            yield from _answer_challenge(self._digest, request, response)
        elif "basic" in schemes:
            self._chosen = self._basic
            yield from self._basic.auth_flow(request)


def _answer_challenge(
    auth: httpx.DigestAuth, request: httpx.Request, challenge: httpx.Response
) -> Generator[httpx.Request, httpx.Response, None]:
    """Feed a 401 already received into a fresh Digest flow, so it is not provoked twice."""
    flow = auth.auth_flow(request)
    next(flow)  # the unauthenticated request, already sent
    try:
        authenticated = flow.send(challenge)
    except StopIteration:
        return
    response = yield authenticated
    try:
        flow.send(response)
    except StopIteration:
        return


def make_auth(mode: AuthMode, username: str, password: str) -> httpx.Auth:
    if mode == "digest":
        return httpx.DigestAuth(username, password)
    if mode == "basic":
        return httpx.BasicAuth(username, password)
    return AutoAuth(username, password)
