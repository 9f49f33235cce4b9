"""GraphQL over HTTP: graphql-http's server audits against a real server, then each rule alone."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
from tests.support import Facade, serving

from ultiroam_graphql import create_app
from ultiroam_graphql.config import Settings
from ultiroam_graphql.schema.media import GRAPHQL_RESPONSE, JSON, negotiate

AUDIT_DIR = Path(__file__).parent / "http_audit"
AUDIT_COUNTS = {"MUST": 13, "SHOULD": 23, "MAY": 25}
"""graphql-http 1.23.1's audits by level: a changed count means an audit was added or lost."""

GQL = f"{GRAPHQL_RESPONSE}; charset=utf-8"
LEGACY = f"{JSON}; charset=utf-8"


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


def _installed() -> bool:
    """Whether node_modules holds exactly what package-lock.json pins (npm's hidden lockfile)."""
    try:
        wanted = json.loads((AUDIT_DIR / "package-lock.json").read_text())["packages"]
        present = json.loads((AUDIT_DIR / "node_modules" / ".package-lock.json").read_text())
    except (OSError, ValueError, KeyError):
        return False
    return {k: v for k, v in wanted.items() if k} == present.get("packages")


@pytest.fixture(scope="session")
def node() -> str:
    """The node binary, with the pinned graphql-http installed beside the audit script."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node and npm are needed to run graphql-http's audit (Node 18 or later)")
    if not _installed():
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"],
            cwd=AUDIT_DIR,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            _unavailable(f"npm ci in {AUDIT_DIR} failed: {done.stderr.strip()[-500:]}")
    return node


async def run_audit(node: str, url: str) -> list[dict[str, Any]]:
    process = await asyncio.create_subprocess_exec(
        node,
        str(AUDIT_DIR / "audit.mjs"),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, err.decode()[-2000:]
    return json.loads(out)


async def test_graphql_http_server_audit_passes_every_must_should_and_may(node: str) -> None:
    facade = Facade()
    facade.add_device("office")
    app = create_app(Settings(gateways=tuple(facade.settings)), clients=facade.clients)
    try:
        async with serving(app) as server:
            results = await run_audit(node, f"http://127.0.0.1:{server.port}/graphql")
    finally:
        await facade.aclose()
    failing = [
        f"{r['id']} {r['name']} [{r['status']}]: {r['reason']}"
        for r in results
        if r["status"] != "ok"
    ]
    assert not failing, "\n".join(failing)
    assert Counter(r["name"].split()[0] for r in results) == AUDIT_COUNTS
    assert len({r["id"] for r in results}) == len(results)


# -- each rule on its own ------------------------------------------------------------------------


@pytest.fixture
async def facade() -> AsyncIterator[Facade]:
    facade = Facade()
    facade.add_device("office")
    yield facade
    await facade.aclose()


@pytest.fixture
async def api(facade: Facade) -> httpx.AsyncClient:
    return await facade.start()


def post(api: httpx.AsyncClient, body: object, accept: str | None = None, **headers: str) -> Any:
    if accept is not None:
        headers["Accept"] = accept
    return api.post("/graphql", json=body, headers=headers)


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        (None, JSON),
        ("", JSON),
        ("*/*", JSON),
        ("application/*", JSON),
        ("application/json", JSON),
        ("application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/graphql-response+json, application/json", GRAPHQL_RESPONSE),
        ("application/json, application/graphql-response+json", GRAPHQL_RESPONSE),
        ("application/json, application/graphql-response+json;q=0.9", JSON),
        ("application/graphql-response+json;q=0.5, */*", JSON),
        ("application/graphql-response+json, */*;q=0.1", GRAPHQL_RESPONSE),
        ("Application/JSON; Charset=UTF-8", JSON),
        ("application/graphql-response+json; charset=utf-16, application/json;q=0.2", JSON),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", JSON),
        ("*/*, application/json;q=0", GRAPHQL_RESPONSE),
        ("text/plain", None),
        ("application/json;q=0", None),
        ("application/json; charset=latin-1", None),
        ("application/json;q=nonsense", None),
        ("image/*, ;;, ,", None),
    ],
)
def test_accept_header_negotiation(accept: str | None, chosen: str | None) -> None:
    assert negotiate(accept) == chosen


async def test_each_media_type_is_answered_in_kind_with_its_charset(api: httpx.AsyncClient) -> None:
    query = {"query": "{ gateways { id } }"}
    for accept, content_type in [(None, LEGACY), ("*/*", LEGACY), (GRAPHQL_RESPONSE, GQL)]:
        response = await post(api, query, accept)
        assert (response.status_code, response.headers["content-type"]) == (200, content_type)
        assert response.json() == {"data": {"gateways": [{"id": "office"}]}}


async def test_an_unacceptable_accept_header_is_406(api: httpx.AsyncClient) -> None:
    response = await post(api, {"query": "{ gateways { id } }"}, "text/plain")
    assert response.status_code == 406
    assert response.headers["content-type"] == LEGACY
    assert GRAPHQL_RESPONSE in response.json()["errors"][0]["message"]


REFUSED_BEFORE_RUNNING = [
    {"query": "{"},  # syntax
    {"query": "{ noSuchField }"},  # validation
    {"query": "query($id: ID!) { gateway(id: $id) { id } }", "variables": {"id": None}},
    {"query": 'query($n: Int!) { gateway(id: "office") { port(index: $n) { index } } }'},
    {"query": '{ gateway(id: "nope") { id } }'},  # the facade's own check, before any call
    {"query": "{ a: gateways { id } " + "b: gateways { id } " * 40 + "}"},  # alias limit
    {"query": "query A { gateways { id } }", "operationName": "B"},  # no such operation
]


@pytest.mark.parametrize("body", REFUSED_BEFORE_RUNNING)
async def test_an_operation_refused_before_it_runs_is_400_without_data_under_the_new_type(
    api: httpx.AsyncClient, facade: Facade, body: dict[str, Any]
) -> None:
    response = await post(api, body, GRAPHQL_RESPONSE)
    assert (response.status_code, response.headers["content-type"]) == (400, GQL)
    assert "data" not in response.json() and response.json()["errors"]

    legacy = await post(api, body, JSON)  # legacy clients: 200 and data null, as before
    assert (legacy.status_code, legacy.headers["content-type"]) == (200, LEGACY)
    assert legacy.json()["data"] is None and legacy.json()["errors"]
    assert sum(facade.devices["office"].calls.values()) == 0


async def test_field_errors_keep_200_and_data_under_the_new_type(
    api: httpx.AsyncClient, facade: Facade
) -> None:
    facade.devices["office"].inject_fault("not_json", times=5)
    query = '{ gateway(id: "office") { id smsResults { number } } }'
    response = await post(api, {"query": query}, GRAPHQL_RESPONSE)
    assert (response.status_code, response.headers["content-type"]) == (200, GQL)
    body = response.json()
    assert body["data"] == {"gateway": {"id": "office", "smsResults": None}}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["GATEWAY_PROTOCOL_ERROR"]

    refused = await post(api, {"query": 'mutation { stopSms(gatewayId: "office", taskId: 1) }'})
    assert refused.status_code == 200  # data null from a field error is still a response
    assert refused.json()["data"] is None
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, JSON])
async def test_mutations_over_get_are_405_and_never_run(facade: Facade, accept: str) -> None:
    api = await facade.start(api_tokens=["secret"])
    response = await api.get(
        "/graphql",
        params={"query": 'mutation { stopSms(gatewayId: "office", taskId: 1) }'},
        headers={"Accept": accept, "Authorization": "Bearer secret"},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert sum(facade.devices["office"].calls.values()) == 0


async def test_other_methods_are_405_with_allow(api: httpx.AsyncClient) -> None:
    head = await api.head("/graphql", params={"query": "{ gateways { id } }"})
    assert (head.status_code, head.headers["allow"]) == (405, "GET, POST")


@pytest.mark.parametrize(("accept", "status"), [(GRAPHQL_RESPONSE, 400), (JSON, 200)])
async def test_subscriptions_over_http_are_refused_as_a_request_error(
    api: httpx.AsyncClient, accept: str, status: int
) -> None:
    body = {"query": "subscription { smsResults { number } }"}
    for response in [
        await post(api, body, accept),
        await api.get("/graphql", params=body, headers={"Accept": accept}),
    ]:
        assert response.status_code == status
        (error,) = response.json()["errors"]
        assert "WebSocket" in error["message"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT"}


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/json; charset=latin-1", "multipart/form-data; boundary=x"],
)
async def test_a_post_body_that_is_not_utf8_json_is_415(
    api: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"Accept": GRAPHQL_RESPONSE}
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = json.dumps({"query": "{ gateways { id } }"}).encode()
    response = await api.post("/graphql", content=body, headers=headers)
    assert (response.status_code, response.headers["content-type"]) == (415, GQL)
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    headers["Content-Type"] = "application/json; charset=UTF-8"
    assert (await api.post("/graphql", content=body, headers=headers)).status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"query": "{ __typename }", "operationName": {"a": 1}}, "operationName"),
        ({"query": "{ __typename }", "operationName": 0}, "operationName"),
        ({"variables": {}}, "No GraphQL query"),
        ({"query": "{ __typename }", "variables": []}, "variables"),
        ([{"query": "{ __typename }"}], "Batching is not enabled"),
    ],
)
async def test_malformed_requests_are_400_as_graphql_errors(
    api: httpx.AsyncClient, body: object, message: str
) -> None:
    for accept, content_type in [(GRAPHQL_RESPONSE, GQL), (None, LEGACY)]:
        response = await post(api, body, accept)
        assert (response.status_code, response.headers["content-type"]) == (400, content_type)
        (error,) = response.json()["errors"]
        assert message in error["message"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT"}


async def test_an_empty_operation_name_names_no_operation(api: httpx.AsyncClient) -> None:
    body = {"query": "query A { gateways { id } }", "operationName": ""}
    assert (await post(api, body)).json() == {"data": {"gateways": [{"id": "office"}]}}
    got = await api.get("/graphql", params=body, headers={"Accept": JSON})
    assert got.json() == {"data": {"gateways": [{"id": "office"}]}}


@pytest.mark.parametrize(
    ("content", "status", "message"),
    [
        (b"\xff\xfe{}", 400, "not UTF-8"),
        (b"[1, 2]", 400, "list of JSON objects"),
        (b'"query"', 400, "JSON object"),
        (b"{" + b" " * (300 * 1024) + b"}", 413, "larger than"),
    ],
)
async def test_our_own_refusals_follow_the_negotiated_media_type(
    api: httpx.AsyncClient, content: bytes, status: int, message: str
) -> None:
    for accept, content_type in [(GRAPHQL_RESPONSE, GQL), (None, LEGACY)]:
        headers = {"Content-Type": "application/json", **({"Accept": accept} if accept else {})}
        response = await api.post("/graphql", content=content, headers=headers)
        assert (response.status_code, response.headers["content-type"]) == (status, content_type)
        assert message in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(("accept", "content_type"), [(GRAPHQL_RESPONSE, GQL), (None, LEGACY)])
async def test_401_follows_the_negotiated_media_type(
    facade: Facade, accept: str | None, content_type: str
) -> None:
    api = await facade.start(api_tokens=["secret"])
    response = await post(api, {"query": "{ gateways { id } }"}, accept)
    assert (response.status_code, response.headers["content-type"]) == (401, content_type)
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}


async def test_a_browser_get_with_a_query_still_needs_the_token(facade: Facade) -> None:
    """Only the GraphiQL page itself is open: a query in the URL is an operation like any other."""
    api = await facade.start(api_tokens=["secret"])
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = await api.get(
        "/graphql", params={"query": "{ gateways { id } }"}, headers={"Accept": browser}
    )
    assert response.status_code == 401
    page = await api.get("/graphql", headers={"Accept": browser})
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
