"""RFC 7616 Digest (MD5, qop=auth) with the exact challenge a real device sends.

Nonce counts are not required to increase: clients such as httpx reuse one challenge for
concurrent requests, whose nc values can arrive out of order.
"""

from __future__ import annotations

import collections
import hashlib
import secrets
from urllib.request import parse_http_list, parse_keqv_list

from .auth import REALM, AuthOutcome, secrets_equal

OPAQUE = "5ccc069c403ebaf9f0171e9517f40e41"
"""The constant opaque value seen in captures from two independent devices."""
MAX_NONCES = 1024


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


class NonceStore:
    """Nonces the server issued, with their issue time; bounded by forgetting the oldest."""

    def __init__(self, lifetime: float, capacity: int = MAX_NONCES) -> None:
        self._lifetime = lifetime
        self._capacity = capacity
        self._issued: collections.OrderedDict[str, float] = collections.OrderedDict()

    def issue(self, now: float) -> str:
        nonce = secrets.token_hex(16)
        self._issued[nonce] = now
        while len(self._issued) > self._capacity:
            self._issued.popitem(last=False)
        return nonce

    def is_fresh(self, nonce: str, now: float) -> bool:
        """Known and not older than the lifetime; expired nonces are forgotten here."""
        issued = self._issued.get(nonce)
        if issued is None:
            return False
        if now - issued > self._lifetime:
            del self._issued[nonce]
            return False
        return True

    def __len__(self) -> int:
        return len(self._issued)


class DigestAuthenticator:
    """Verifies Digest responses against nonces this server issued."""

    def __init__(self, username: str, password: str, *, nonce_lifetime: float) -> None:
        self._username = username
        self._ha1 = _md5(f"{username}:{REALM}:{password}")
        self.nonces = NonceStore(nonce_lifetime)

    def challenge(self, now: float, *, stale: bool = False) -> str:
        nonce = self.nonces.issue(now)
        return (
            f'Digest realm="{REALM}", domain="", qop="auth", nonce="{nonce}", '
            f'opaque="{OPAQUE}", algorithm="MD5", stale="{"TRUE" if stale else "FALSE"}"'
        )

    def check(self, authorization: str | None, method: str, uri: str, now: float) -> AuthOutcome:
        if authorization is None:
            return AuthOutcome.FAILED
        scheme, _, rest = authorization.partition(" ")
        if scheme.lower() != "digest":
            return AuthOutcome.FAILED
        try:
            fields = parse_keqv_list(parse_http_list(rest))
        except (ValueError, IndexError):  # `key` without `=`, or `key=` with no value
            return AuthOutcome.FAILED
        if not self._response_valid(fields, method, uri):
            return AuthOutcome.FAILED
        if not self.nonces.is_fresh(fields["nonce"], now):
            return AuthOutcome.STALE
        return AuthOutcome.OK

    def _response_valid(self, fields: dict[str, str], method: str, uri: str) -> bool:
        """Right user, realm, URI and hash; says nothing yet about the nonce's freshness."""
        required = ("username", "realm", "nonce", "uri", "response", "qop", "nc", "cnonce")
        if any(key not in fields for key in required):
            return False
        if fields["qop"] != "auth" or fields.get("algorithm", "MD5").upper() != "MD5":
            return False
        if fields.get("opaque", OPAQUE) != OPAQUE or fields["realm"] != REALM:
            return False
        # A URI other than the request target is refused as a wrong password, as devices do.
        # ASGI cannot tell "/x?" (an empty query) from "/x", so both stand for a bare path.
        if fields["uri"] != uri and not ("?" not in uri and fields["uri"] == uri + "?"):
            return False
        ha2 = _md5(f"{method}:{fields['uri']}")
        expected = _md5(
            f"{self._ha1}:{fields['nonce']}:{fields['nc']}:{fields['cnonce']}:auth:{ha2}"
        )
        user_ok = secrets_equal(fields["username"], self._username)
        response_ok = secrets_equal(fields["response"].lower(), expected)
        return user_ok and response_ok
