"""HTTP authentication schemes of the simulated device, behind one small interface."""

from __future__ import annotations

import base64
import binascii
import enum
import hmac
from typing import Protocol

REALM = "Web Server"


class AuthOutcome(enum.Enum):
    OK = "ok"
    FAILED = "failed"
    """Missing or wrong credentials: counts as a failed login."""
    STALE = "stale"
    """Right credentials on an expired nonce: re-challenge without counting a failure."""


class Authenticator(Protocol):
    def check(self, authorization: str | None, method: str, uri: str, now: float) -> AuthOutcome:
        """Judge the Authorization header of a request to `uri` (path plus query)."""
        ...

    def challenge(self, now: float, *, stale: bool = False) -> str:
        """A WWW-Authenticate value to send with a 401."""
        ...


def secrets_equal(given: str, expected: str) -> bool:
    """Constant-time comparison, so timing does not reveal how much of a secret matched."""
    return hmac.compare_digest(given.encode(), expected.encode())


class BasicAuthenticator:
    """Preemptive-friendly Basic auth, as older firmware accepts."""

    def __init__(self, username: str, password: str) -> None:
        self._username = username
        self._password = password

    def check(self, authorization: str | None, method: str, uri: str, now: float) -> AuthOutcome:
        if authorization is None:
            return AuthOutcome.FAILED
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "basic":
            return AuthOutcome.FAILED
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return AuthOutcome.FAILED
        username, sep, password = decoded.partition(":")
        # Evaluate both comparisons so the time taken does not depend on which one failed.
        user_ok = secrets_equal(username, self._username)
        password_ok = secrets_equal(password, self._password)
        return AuthOutcome.OK if sep and user_ok and password_ok else AuthOutcome.FAILED

    def challenge(self, now: float, *, stale: bool = False) -> str:
        return f'Basic realm="{REALM}"'
