"""Digest and Basic auth, stale nonces and the per-address lockout."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from collections.abc import Callable

import httpx
import pytest
from starlette.applications import Starlette

from ultiroam_graphql.simulator import ManualClock, SimulatedGateway, create_simulator_app
from ultiroam_graphql.simulator.digest import MAX_NONCES, DigestAuthenticator

ClientFactory = Callable[..., httpx.AsyncClient]
OPAQUE = "5ccc069c403ebaf9f0171e9517f40e41"
CHALLENGE = re.compile(
    r'Digest realm="Web Server", domain="", qop="auth", nonce="(?P<nonce>[0-9a-f]{32})", '
    r'opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm="MD5", stale="(?P<stale>TRUE|FALSE)"'
)
QUEUE = "/api/query_sms_in_queue"


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


def digest_header(
    nonce: str,
    *,
    uri: str = QUEUE,
    method: str = "GET",
    username: str = "admin",
    password: str = "admin",
    nc: str = "00000001",
    cnonce: str = "0a4f113b",
    realm: str = "Web Server",
) -> str:
    """What a correct RFC 7616 client sends (the same layout as curl)."""
    ha1 = md5(f"{username}:{realm}:{password}")
    ha2 = md5(f"{method}:{uri}")
    response = md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
    return (
        f'Digest username="{username}", realm="{realm}", nonce="{nonce}", uri="{uri}", '
        f'algorithm=MD5, response="{response}", opaque="{OPAQUE}", qop=auth, nc={nc}, '
        f'cnonce="{cnonce}"'
    )


async def fetch_nonce(client: httpx.AsyncClient) -> str:
    response = await client.get(QUEUE)
    assert response.status_code == 401
    match = CHALLENGE.fullmatch(response.headers["www-authenticate"])
    assert match is not None
    return match["nonce"]


@pytest.fixture
def app(gateway: SimulatedGateway) -> Starlette:
    return create_simulator_app(gateway)


async def test_challenge_is_the_devices(app: Starlette, make_client: ClientFactory) -> None:
    client = make_client(app)
    response = await client.post("/api/query_sms_result", json={})
    assert response.status_code == 401
    match = CHALLENGE.fullmatch(response.headers["www-authenticate"])
    assert match is not None
    assert match["stale"] == "FALSE"
    assert await fetch_nonce(client) != match["nonce"]


async def test_httpx_digest_succeeds(
    app: Starlette, gateway: SimulatedGateway, make_client: ClientFactory
) -> None:
    client = make_client(app, auth=httpx.DigestAuth("admin", "admin"))
    response = await client.get(QUEUE)
    assert response.status_code == 200
    assert response.json() == {"error_code": 200, "sn": "da00-0030-1901-2817", "in_queue": 0}
    assert gateway.calls["query_sms_in_queue"] == 1
    assert gateway.auth_failures == 1


@pytest.mark.parametrize(("username", "password"), [("admin", "wrong"), ("root", "admin")])
async def test_httpx_digest_wrong_credentials(
    app: Starlette,
    gateway: SimulatedGateway,
    make_client: ClientFactory,
    username: str,
    password: str,
) -> None:
    client = make_client(app, auth=httpx.DigestAuth(username, password))
    assert (await client.get(QUEUE)).status_code == 401
    assert gateway.auth_failures == 2  # the probe, then the wrong answer
    assert gateway.calls == {}


async def test_hand_built_header_accepted(app: Starlette, make_client: ClientFactory) -> None:
    client = make_client(app)
    nonce = await fetch_nonce(client)
    response = await client.get(QUEUE, headers={"Authorization": digest_header(nonce)})
    assert response.status_code == 200


async def test_uri_includes_query_string(app: Starlette, make_client: ClientFactory) -> None:
    client = make_client(app)
    nonce = await fetch_nonce(client)
    uri = QUEUE + "?port=1%2C2"
    good = await client.get(uri, headers={"Authorization": digest_header(nonce, uri=uri)})
    assert good.status_code == 200
    bad = await client.get(uri, headers={"Authorization": digest_header(nonce, nc="00000002")})
    assert bad.status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Digest garbage",
        "Digest username=",
        "Basic YWRtaW46YWRtaW4=",
        "Bearer token",
    ],
)
async def test_malformed_headers_rejected(
    app: Starlette, make_client: ClientFactory, header: str
) -> None:
    client = make_client(app)
    assert (await client.get(QUEUE, headers={"Authorization": header})).status_code == 401


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("qop=auth, ", ""),
        (', cnonce="0a4f113b"', ""),
        ("algorithm=MD5", "algorithm=SHA-256"),
        (OPAQUE, "0" * 32),
    ],
)
async def test_altered_headers_rejected(
    app: Starlette, make_client: ClientFactory, old: str, new: str
) -> None:
    client = make_client(app)
    good = digest_header(await fetch_nonce(client))
    assert old in good
    header = good.replace(old, new)
    assert (await client.get(QUEUE, headers={"Authorization": header})).status_code == 401


@pytest.mark.parametrize(
    "kwargs",
    [{"password": "x"}, {"username": "root"}, {"realm": "Other"}, {"method": "POST"}, {"uri": "/"}],
)
async def test_wrong_digest_fields_rejected(
    app: Starlette, make_client: ClientFactory, kwargs: dict[str, str]
) -> None:
    client = make_client(app)
    nonce = await fetch_nonce(client)
    header = digest_header(nonce, **kwargs)
    response = await client.get(QUEUE, headers={"Authorization": header})
    assert response.status_code == 401
    match = CHALLENGE.fullmatch(response.headers["www-authenticate"])
    assert match is not None and match["stale"] == "FALSE"


async def test_nonce_count_need_not_increase(app: Starlette, make_client: ClientFactory) -> None:
    client = make_client(app)
    nonce = await fetch_nonce(client)
    for nc in ("00000005", "00000002", "00000002", "00000009"):
        header = digest_header(nonce, nc=nc, cnonce=f"c{nc}")
        assert (await client.get(QUEUE, headers={"Authorization": header})).status_code == 200


async def test_concurrent_requests_share_one_challenge(
    app: Starlette, gateway: SimulatedGateway, make_client: ClientFactory
) -> None:
    client = make_client(app, auth=httpx.DigestAuth("admin", "admin"))
    assert (await client.get(QUEUE)).status_code == 200
    responses = await asyncio.gather(*(client.get(QUEUE) for _ in range(50)))
    assert {r.status_code for r in responses} == {200}
    assert gateway.auth_failures == 1


async def test_expired_nonce_is_stale_not_a_failure(
    gateway: SimulatedGateway, clock: ManualClock, make_client: ClientFactory
) -> None:
    app = create_simulator_app(gateway, lockout_failures=2, nonce_lifetime=600)
    client = make_client(app)
    nonce = await fetch_nonce(client)  # failure 1 of 2
    clock.advance(601)
    response = await client.get(QUEUE, headers={"Authorization": digest_header(nonce)})
    assert response.status_code == 401
    match = CHALLENGE.fullmatch(response.headers["www-authenticate"])
    assert match is not None and match["stale"] == "TRUE"
    fresh = await client.get(QUEUE, headers={"Authorization": digest_header(match["nonce"])})
    assert fresh.status_code == 200  # not locked out: the stale reply did not count
    assert gateway.auth_failures == 2


async def test_httpx_recovers_from_stale_nonce(
    app: Starlette, gateway: SimulatedGateway, clock: ManualClock, make_client: ClientFactory
) -> None:
    client = make_client(app, auth=httpx.DigestAuth("admin", "admin"))
    assert (await client.get(QUEUE)).status_code == 200
    clock.advance(3601)
    assert (await client.get(QUEUE)).status_code == 200
    assert (await client.get(QUEUE)).status_code == 200
    assert gateway.auth_failures == 2
    assert gateway.calls["query_sms_in_queue"] == 3


def test_nonce_store_is_bounded() -> None:
    authenticator = DigestAuthenticator("admin", "admin", nonce_lifetime=3600)
    first = CHALLENGE.fullmatch(authenticator.challenge(0.0))
    assert first is not None
    for _ in range(MAX_NONCES + 10):
        authenticator.challenge(0.0)
    assert len(authenticator.nonces) == MAX_NONCES
    outcome = authenticator.check(digest_header(first["nonce"]), "GET", QUEUE, 1.0)
    assert outcome.value == "stale"  # forgotten, but the client knew the password


async def test_thousand_queries_cost_one_challenge(
    app: Starlette, gateway: SimulatedGateway, make_client: ClientFactory
) -> None:
    client = make_client(app, auth=httpx.DigestAuth("admin", "admin"))
    for i in range(1000):
        response = await client.post("/api/query_sms_result", json={"user_id": [i]})
        assert response.status_code == 200
    assert gateway.auth_failures == 1
    assert gateway.calls["query_sms_result"] == 1000


# -- Basic ------------------------------------------------------------------------------------


@pytest.fixture
def basic_app(gateway: SimulatedGateway) -> Starlette:
    return create_simulator_app(gateway, auth="basic", username="user", password="s3cret")


async def test_basic_preemptive_succeeds(
    basic_app: Starlette, gateway: SimulatedGateway, make_client: ClientFactory
) -> None:
    client = make_client(basic_app, auth=httpx.BasicAuth("user", "s3cret"))
    assert (await client.get(QUEUE)).status_code == 200
    assert gateway.auth_failures == 0


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Basic " + base64.b64encode(b"user:wrong").decode(),
        "Basic " + base64.b64encode(b"user").decode(),
        "Basic !!!",
        "Basic " + base64.b64encode(b"\xff:\xfe").decode(),
        "Digest username=user",
    ],
)
async def test_basic_rejects(
    basic_app: Starlette, make_client: ClientFactory, header: str | None
) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = await make_client(basic_app).get(QUEUE, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Basic realm="Web Server"'


# -- Lockout ----------------------------------------------------------------------------------


async def test_lockout_after_five_failures_and_expiry(
    app: Starlette, gateway: SimulatedGateway, clock: ManualClock, make_client: ClientFactory
) -> None:
    client = make_client(app)
    for _ in range(5):
        clock.advance(10)
        assert (await client.get(QUEUE)).status_code == 401
    good = make_client(app, auth=httpx.DigestAuth("admin", "admin"))
    locked = await good.get(QUEUE)
    assert locked.status_code == 403
    assert locked.text == "forbid to try again"
    assert (await client.get("/anything")).status_code == 403
    assert gateway.auth_failures == 5  # 403s do not count
    other = make_client(app, auth=httpx.DigestAuth("admin", "admin"), host="10.0.0.9")
    assert (await other.get(QUEUE)).status_code == 200
    clock.advance(299.9)
    assert (await good.get(QUEUE)).status_code == 403
    clock.advance(0.1)
    assert (await good.get(QUEUE)).status_code == 200


async def test_failures_outside_window_do_not_lock(
    app: Starlette, clock: ManualClock, make_client: ClientFactory
) -> None:
    client = make_client(app)
    for _ in range(4):
        assert (await client.get(QUEUE)).status_code == 401
    clock.advance(60)
    for _ in range(4):
        assert (await client.get(QUEUE)).status_code == 401
    assert (await client.get(QUEUE)).status_code == 401  # fifth within the window
    assert (await client.get(QUEUE)).status_code == 403


async def test_lockout_settings_and_basic(
    gateway: SimulatedGateway, clock: ManualClock, make_client: ClientFactory
) -> None:
    app = create_simulator_app(
        gateway, auth="basic", lockout_failures=2, lockout_window=5, lockout_seconds=30
    )
    client = make_client(app, auth=httpx.BasicAuth("admin", "nope"))
    assert (await client.get(QUEUE)).status_code == 401
    assert (await client.get(QUEUE)).status_code == 401
    assert (await client.get(QUEUE)).status_code == 403
    clock.advance(30)
    client.auth = httpx.BasicAuth("admin", "admin")
    assert (await client.get(QUEUE)).status_code == 200
