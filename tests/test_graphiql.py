"""The GraphiQL page and its vendored assets, without a browser (test_browser.py drives one)."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from graphql import OperationDefinitionNode, parse, validate
from starlette.applications import Starlette
from starlette.routing import Mount
from tests.support import Facade

from ultiroam_graphql.graphiql import LONG_CACHE, STATIC_DIR, render_page
from ultiroam_graphql.graphiql.page import SCRIPTS, STYLES
from ultiroam_graphql.graphiql.vendor import (
    SOURCES,
    mismatches,
    sha256_of,
    sources_markdown,
    vendored_files,
)
from ultiroam_graphql.schema import build_schema

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
OUR_FILES = {
    "manifest.json",
    "SOURCES.md",
    "ultiroam-graphiql.js",
    "examples.graphql",
    "subscriptions.graphql",
}
HTML = {"accept": "text/html"}
ASSET = re.compile(r'(?:src|href)="([^"]+)"')
CONFIG = re.compile(r'<script type="application/json" id="graphiql-config">(.*?)</script>', re.S)


@pytest.fixture
async def facade() -> AsyncIterator[Facade]:
    facade = Facade()
    facade.add_device("office")
    yield facade
    await facade.aclose()


def test_the_vendored_files_match_the_manifest() -> None:
    assert mismatches() == []
    vendored = {item.file for item in vendored_files()}
    assert {path.name for path in STATIC_DIR.iterdir()} == vendored | OUR_FILES
    assert {(item.package, item.version) for item in vendored_files()} == {
        ("react", "18.3.1"),
        ("react-dom", "18.3.1"),
        ("graphql-ws", "6.4.2"),
        ("graphiql", "3.9.0"),
    }


def test_a_changed_file_is_reported(tmp_path: Path) -> None:
    for item in vendored_files():
        (tmp_path / item.file).write_bytes((STATIC_DIR / item.file).read_bytes())
    (tmp_path / "graphiql.min.js").write_bytes(b"tampered")
    (tmp_path / "react.production.min.js").unlink()
    assert mismatches(tmp_path) == [
        "react.production.min.js: missing",
        "graphiql.min.js: sha256 differs from the manifest",
    ]


def test_every_package_ships_its_licence_text() -> None:
    licences = [item for item in vendored_files() if item.file.startswith("LICENSE.")]
    assert sorted(item.package for item in licences) == [
        "graphiql",
        "graphql-ws",
        "react",
        "react-dom",
    ]
    for item in licences:
        assert item.license == "MIT"
        assert "Permission is hereby granted" in (STATIC_DIR / item.file).read_text()


def test_sources_md_is_the_manifest_for_people() -> None:
    assert SOURCES.read_text(encoding="utf-8") == sources_markdown()
    for item in vendored_files():
        assert item.sha256 in SOURCES.read_text(encoding="utf-8")


def test_the_example_tabs_are_the_examples() -> None:
    assert (STATIC_DIR / "examples.graphql").read_bytes() == (
        EXAMPLES / "queries.graphql"
    ).read_bytes()
    schema = build_schema()._schema
    for name, kind in (("examples.graphql", "query"), ("subscriptions.graphql", "subscription")):
        document = parse((STATIC_DIR / name).read_text(encoding="utf-8"))
        assert validate(schema, document) == []
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        assert {op.operation.value for op in operations} == {kind}


async def test_the_page_refers_only_to_its_own_assets(facade: Facade) -> None:
    api = await facade.start()
    response = await api.get("/graphql", headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    urls = ASSET.findall(response.text)
    assert urls[0] == "data:,"  # the icon: no /favicon.ico request
    assert [url.partition("?")[0] for url in urls[1:]] == [
        f"graphql/static/{name}" for name in (*STYLES, *SCRIPTS)
    ]
    markup = CONFIG.sub("", response.text)  # the examples' comments may name URLs: inert text
    assert "//" not in markup
    assert response.text.count("<script") == response.text.count("</script>") == 1 + len(SCRIPTS)


async def test_assets_are_served_with_long_cache_when_versioned(facade: Facade) -> None:
    api = await facade.start()
    page = await api.get("/graphql", headers=HTML)
    for url in ASSET.findall(page.text)[1:]:
        response = await api.get(urljoin("http://facade/graphql", url))
        name = url.partition("?")[0].rsplit("/", 1)[1]
        assert response.status_code == 200, url
        assert response.content == (STATIC_DIR / name).read_bytes()
        assert url.endswith(f"?v={sha256_of(response.content)[:16]}")
        assert response.headers["cache-control"] == LONG_CACHE
        kind = "text/css" if name.endswith(".css") else "text/javascript"
        assert response.headers["content-type"].startswith(kind)
    unversioned = await api.get("/graphql/static/graphiql.min.js")
    assert unversioned.headers["cache-control"] == "no-cache"
    revalidated = await api.get(
        "/graphql/static/graphiql.min.js", headers={"if-none-match": unversioned.headers["etag"]}
    )
    assert revalidated.status_code == 304


async def test_the_static_mount_and_the_endpoint_do_not_shadow_each_other(
    facade: Facade,
) -> None:
    api = await facade.start()
    answer = await api.post("/graphql", json={"query": "{ gateways { id } }"})
    assert answer.json() == {"data": {"gateways": [{"id": "office"}]}}
    assert (await api.get("/graphql/static/nothing.js")).status_code == 404
    assert (await api.get("/graphql/static/../app.py")).status_code == 404
    assert (await api.post("/graphql/static/graphiql.min.js")).status_code == 405


async def test_under_a_prefix_the_relative_urls_still_resolve(facade: Facade) -> None:
    await facade.start()
    host = Starlette(routes=[Mount("/sms", app=facade.app)])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=host), base_url="http://host"
    ) as client:
        page = await client.get("/sms/graphql", headers=HTML)
        assert page.status_code == 200
        for url in ASSET.findall(page.text)[1:]:
            absolute = urljoin("http://host/sms/graphql", url)
            assert absolute.startswith("http://host/sms/graphql/static/")
            assert (await client.get(absolute)).status_code == 200, absolute


async def test_with_tokens_the_page_and_assets_stay_open_and_ask_for_one(
    facade: Facade,
) -> None:
    api = await facade.start(api_tokens=["s3cret-api-token"])
    page = await api.get("/graphql", headers=HTML)
    assert page.status_code == 200
    config = json.loads(CONFIG.search(page.text)[1])  # type: ignore[index]
    assert config["tokensRequired"] is True
    placeholder = {"Authorization": "Bearer <paste your token here>"}
    assert json.loads(config["headers"]) == placeholder
    assert [json.loads(tab["headers"]) for tab in config["tabs"]] == [placeholder] * 2
    assert "s3cret-api-token" not in page.text
    asset = ASSET.findall(page.text)[-1]
    assert (await api.get(urljoin("http://facade/graphql", asset))).status_code == 200
    refused = await api.post("/graphql", json={"query": "{ gateways { id } }"})
    assert refused.status_code == 401
    allowed = await api.post(
        "/graphql",
        json={"query": "{ gateways { id } }"},
        headers={"Authorization": "Bearer s3cret-api-token"},
    )
    assert allowed.json() == {"data": {"gateways": [{"id": "office"}]}}


def test_without_tokens_the_page_offers_no_placeholder_header() -> None:
    config = json.loads(CONFIG.search(render_page())[1])  # type: ignore[index]
    assert config["tokensRequired"] is False
    assert [tab["headers"] for tab in config["tabs"]] == ["", ""]
    assert config["headers"] == ""
    assert "since" in json.loads(config["tabs"][0]["variables"])
