"""The examples stay runnable: config loads, queries validate, the host app serves the facade."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import tomllib
from pathlib import Path
from types import ModuleType

import httpx
from graphql import OperationDefinitionNode, parse, validate
from tests.support import TOKEN, Facade, serving

from ultiroam_graphql import create_app, load_settings
from ultiroam_graphql.config import Settings, settings_from_mapping
from ultiroam_graphql.demo import demo_app
from ultiroam_graphql.schema import build_schema

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CONFIG = EXAMPLES / "config.toml"
QUERIES = EXAMPLES / "queries.graphql"


def _load(name: str) -> ModuleType:
    """Import an example by path: examples/ is a folder of scripts, not a package."""
    spec = importlib.util.spec_from_file_location(f"examples_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_config_loads() -> None:
    settings = load_settings(CONFIG)
    (gateway,) = settings.gateways
    assert (gateway.id, gateway.url, gateway.auth, gateway.timezone) == (
        "simulator",
        "http://127.0.0.1:8080",
        "auto",
        "UTC",
    )


def test_config_comments_show_real_keys_and_defaults() -> None:
    """Uncommenting every ``# key = value`` line still loads and changes no default."""
    text = re.sub(r"(?m)^# (\[\w+\]|\w+ = )", r"\1", CONFIG.read_text(encoding="utf-8"))
    uncommented = settings_from_mapping(tomllib.loads(text), path=CONFIG)
    plain = load_settings(CONFIG)
    assert uncommented.server == plain.server
    assert uncommented.broker == plain.broker
    assert uncommented.mqtt is not None
    # push_token has no default: the comment shows an example value.
    assert uncommented.gateways[0].model_copy(update={"push_token": None}) == plain.gateways[0]


def test_every_query_validates_against_the_schema() -> None:
    text = QUERIES.read_text(encoding="utf-8")
    document = parse(text)
    assert validate(build_schema()._schema, document) == []
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    names = [op.name.value for op in operations if op.name is not None]
    assert len(names) == len(operations) >= 6
    assert _load("query").OPERATION.findall(text) == names  # what query.py offers


async def test_host_app_serves_the_facade_and_its_own_route() -> None:
    host_app = _load("host_app")
    app = host_app.create_host_app(load_settings(CONFIG))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://host") as http,
    ):
        graphql = await http.post("/sms/graphql", json={"query": "{ gateways { id } }"})
        assert graphql.status_code == 200
        assert graphql.json() == {"data": {"gateways": [{"id": "simulator"}]}}

        index = await http.get("/")
        assert index.status_code == 200
        assert index.json()["app"] == "host"


async def test_the_subscription_client_receives_pushed_results() -> None:
    facade = Facade()
    facade.add_device("paris", push_token=TOKEN, timezone="Europe/Paris")
    settings = Settings(gateways=tuple(facade.settings))
    async with serving(create_app(settings, clients=facade.clients)) as server:
        stream = _load("subscribe").results(
            f"ws://127.0.0.1:{server.port}/graphql", statuses=["DELIVERED"]
        )
        first = asyncio.ensure_future(anext(stream))
        for _ in range(500):
            if server.broker.subscriber_count:
                break
            await asyncio.sleep(0.01)
        result = {
            "port": 3,
            "number": "0612",
            "time": "2024-05-03 10:00:00",
            "count": 1,
            "succ_count": 1,
            "ref_id": 7,
            "imsi": "460001234567890",
        }
        await server.push("paris", sms_result=[{**result, "status": "SENT_OK", "user_id": 1}])
        await server.push("paris", sms_result=[{**result, "status": "DELIVERED", "user_id": 2}])
        got = await asyncio.wait_for(first, timeout=10)
        await stream.aclose()
    assert got["userId"] == 2 and got["status"] == "DELIVERED"
    assert got["gateway"] == {"id": "paris"} and got["port"] == {"index": 3}
    await facade.aclose()


async def test_the_round_trip_against_the_demo() -> None:
    async with serving(demo_app(traffic_interval=60)) as server:
        seen = await _load("round_trip").round_trip(
            f"http://127.0.0.1:{server.port}", wait_seconds=8
        )
    assert seen["sent"]["accepted"] is True
    assert [m["text"] for m in seen["inbox"]] == ["YES"]
