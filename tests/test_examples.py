"""The examples stay runnable: the configs load, the queries validate, and every client and the
host app work as written against real servers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tomllib
from asyncio.subprocess import PIPE, Process
from collections.abc import AsyncIterator
from operator import attrgetter
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import uvicorn
from graphql import OperationDefinitionNode, parse, validate
from tests.support import START, TOKEN, Server, serving

from ultiroam_graphql import ConfigError, create_app, load_settings
from ultiroam_graphql.config import Settings, settings_from_mapping
from ultiroam_graphql.demo import demo_app
from ultiroam_graphql.schema import build_schema
from ultiroam_graphql.simulator import ManualClock, SimulatedGateway, create_simulator_app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CONFIG = EXAMPLES / "config.toml"
QUERIES = EXAMPLES / "queries.graphql"
JS = EXAMPLES / "js"


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


async def test_the_subscription_client_receives_pushed_results(tmp_path: Path) -> None:
    async with facade(tmp_path) as server:
        url = f"ws://127.0.0.1:{server.port}/graphql"
        stream = _load("subscribe").results(url, statuses=["DELIVERED"])
        first = asyncio.ensure_future(anext(stream))
        await push_once_subscribed(server, first)
        got = await asyncio.wait_for(first, timeout=10)
        await stream.aclose()
    assert (got["userId"], got["status"], got["number"]) == (41, "DELIVERED", NUMBER)
    assert got["gateway"] == {"id": "office"} and got["port"] == {"index": 3}


async def test_the_round_trip_against_the_demo() -> None:
    async with serving(demo_app(traffic_interval=60)) as server:
        seen = await _load("round_trip").round_trip(
            f"http://127.0.0.1:{server.port}", wait_seconds=8
        )
    assert seen["sent"]["accepted"] is True
    assert [m["text"] for m in seen["inbox"]] == ["YES"]


TWO_GATEWAYS = EXAMPLES / "two-gateways.toml"
SECRETS = {
    "OFFICE_GW_PASSWORD": "office-pw",
    "WAREHOUSE_GW_PASSWORD": "warehouse-pw",
    "ULTIROAM_API_TOKENS": "crm-token, ha-token",
    "MQTT_PASSWORD": "mqtt-pw",
}


def test_the_two_gateway_config_takes_its_secrets_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(TWO_GATEWAYS)
    warehouse = settings.gateways[1]
    assert settings.server.api_tokens == ("crm-token", "ha-token")
    assert [g.password.get_secret_value() for g in settings.gateways if g.password] == [
        "office-pw",
        "warehouse-pw",
    ]
    keys = attrgetter(
        "url", "auth", "verify_tls", "ports", "timezone", "timeout", "send_rate_limit"
    )
    assert [keys(gateway) for gateway in settings.gateways] == [
        ("https://192.0.2.10", "auto", False, 32, "Europe/Paris", 10.0, 120),
        ("http://198.51.100.20", "digest", True, 8, "Asia/Manila", 20.0, 0),
    ]
    assert (warehouse.max_concurrency, warehouse.ussd_timeout) == (2, 45.0)
    text = TWO_GATEWAYS.read_text(encoding="utf-8")
    for gateway in settings.gateways:  # each push URL shown carries that gateway's own token
        assert gateway.push_token is not None
        assert f"/push/{gateway.id}?token={gateway.push_token.get_secret_value()}" in text
    assert settings.broker.url.get_secret_value() == "memory://" and settings.mqtt is None
    monkeypatch.delenv("WAREHOUSE_GW_PASSWORD")
    with pytest.raises(ConfigError, match=r"gateways\[1\] \(id 'warehouse'\)\.password_env"):
        load_settings(TWO_GATEWAYS)


def test_the_two_gateway_config_commented_tables_load_too(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    text = re.sub(r"(?m)^# (\[\w+\]|\w+ = )", r"\1", TWO_GATEWAYS.read_text(encoding="utf-8"))
    settings = settings_from_mapping(tomllib.loads(text), path=TWO_GATEWAYS)
    assert settings.broker.url.get_secret_value() == "redis://127.0.0.1:6379/0"
    assert settings.mqtt is not None and settings.mqtt.password is not None
    assert (settings.mqtt.username, settings.mqtt.password.get_secret_value()) == (
        "ultiroam",
        "mqtt-pw",
    )
    assert (settings.mqtt.discovery, settings.mqtt.allow_send) == (True, False)


# -- against real servers: a simulated device on its own port, the facade built from settings ----

DEVICE_PASSWORD = "device-password"
API_TOKEN = "example-api-token"
NUMBER = "+33699000111"
DELIVERED = {
    "port": 3,
    "number": NUMBER,
    "user_id": 41,
    "time": "2024-05-03 12:15:02",
    "status": "DELIVERED",
    "count": 1,
    "succ_count": 1,
    "ref_id": 9,
    "imsi": "460001234567890",
}


@contextlib.asynccontextmanager
async def listening(app: Any) -> AsyncIterator[int]:
    """``app`` under uvicorn on a free port, for apps that ``serving`` does not know."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="on"))
    task = asyncio.create_task(server.serve())
    for _ in range(500):
        if server.started:
            break
        await asyncio.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def device_settings(tmp_path: Path, **server: Any) -> AsyncIterator[Settings]:
    """Settings, as a config file gives them, for a simulated device listening on its own port."""
    device = SimulatedGateway(ports=8, timezone="Europe/Paris", seed=5, clock=ManualClock(START))
    async with listening(create_simulator_app(device, password=DEVICE_PASSWORD)) as port:
        gateway = {
            "id": "office",
            "url": f"http://127.0.0.1:{port}",
            "password": DEVICE_PASSWORD,
            "timezone": "Europe/Paris",
            "ports": 8,
            "push_token": TOKEN,
            "inbox_poll_interval": 0,
        }
        server = {"state_dir": str(tmp_path), **server}
        yield settings_from_mapping({"server": server, "gateways": [gateway]}, path="test")


@contextlib.asynccontextmanager
async def facade(tmp_path: Path, **server: Any) -> AsyncIterator[Server]:
    async with (
        device_settings(tmp_path, **server) as settings,
        serving(create_app(settings)) as api,
    ):
        yield api


def require_tool(name: str) -> str:
    """The tool's path; skip without it (fail under REQUIRE_SERVICES=1, as tests/services.py)."""
    path = shutil.which(name)
    if path is None:
        reason = f"{name} is not installed; the example that uses it is not checked"
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)
    return path


async def start(*command: str, token: str | None = None, cwd: Path | None = None) -> Process:
    env = {k: v for k, v in os.environ.items() if k != "ULTIROAM_GRAPHQL_TOKEN"}
    if token:
        env["ULTIROAM_GRAPHQL_TOKEN"] = token
    return await asyncio.create_subprocess_exec(
        *command, stdout=PIPE, stderr=PIPE, env=env, cwd=cwd
    )


async def finish(process: Process) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def push_once_subscribed(server: Server, client: Process | asyncio.Future[Any]) -> None:
    """Push a SENT_OK then a DELIVERED result once the client's subscription is live."""
    for _ in range(3000):
        if server.broker.subscriber_count:
            break
        if isinstance(client, Process) and client.returncode is not None:
            raise AssertionError(f"the client exited: {await finish(client)}")
        if isinstance(client, asyncio.Future) and client.done():
            client.result()  # the client's error
        await asyncio.sleep(0.01)
    await server.push("office", sms_result=[{**DELIVERED, "status": "SENT_OK", "user_id": 40}])
    await server.push("office", sn="da00-0030-1901-2817", sms_result=[DELIVERED])


def json_lines(text: str) -> list[Any]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


async def test_curl_script_queries_with_post_and_get(tmp_path: Path) -> None:
    require_tool("curl")
    async with facade(tmp_path) as server:
        url = f"http://127.0.0.1:{server.port}/graphql"
        code, out, err = await finish(await start(str(EXAMPLES / "curl.sh"), url))
        body = re.search(r"--data '(.*?)'", (EXAMPLES / "curl.sh").read_text(), re.DOTALL)
        assert body is not None
        direct = (await server.http.post("/graphql", json=json.loads(body.group(1)))).json()
    assert code == 0, err
    post, get = json_lines(out)
    assert post == direct and post["data"]["smsResults"]  # the gateway's failures, through curl
    assert {r["gateway"]["id"] for r in post["data"]["smsResults"]} == {"office"}
    assert get == {
        "data": {"gateways": [{"id": "office", "sn": "da00-0030-1901-2817", "portCount": 8}]}
    }


async def test_curl_script_with_and_without_a_bearer_token(tmp_path: Path) -> None:
    require_tool("curl")
    async with facade(tmp_path, api_tokens=[API_TOKEN]) as server:
        url = f"http://127.0.0.1:{server.port}/graphql"
        with_token = await finish(await start(str(EXAMPLES / "curl.sh"), url, token=API_TOKEN))
        without = await finish(await start(str(EXAMPLES / "curl.sh"), url))
    code, out, err = with_token
    assert code == 0, err
    assert [list(answer) for answer in json_lines(out)] == [["data"], ["data"]]
    code, out, _ = without
    assert code == 22  # curl --fail-with-body on HTTP 401; the script stops at the first request
    (refused,) = json_lines(out)
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]


async def test_gql_client_queries_then_follows_a_pushed_result(tmp_path: Path) -> None:
    async with facade(tmp_path, api_tokens=[API_TOKEN]) as server:
        url = f"http://127.0.0.1:{server.port}/graphql"
        command = [sys.executable, str(EXAMPLES / "gql_client.py"), url, "--count", "1"]
        client = await start(*command, "--token", API_TOKEN, "--statuses", "DELIVERED")
        await push_once_subscribed(server, client)
        code, out, err = await finish(client)
        refused = await finish(await start(*command, "--token", "wrong-token"))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "gateway office: 8 ports, sn not learned yet"  # no call made before
    assert lines[-1].split()[:4] == ["DELIVERED", "2024-05-03T12:15:02+02:00", "office/3", NUMBER]
    assert refused[0] == 1 and "error UNAUTHENTICATED" in refused[2]


@pytest.fixture(scope="session")
def node() -> str:
    """Node, with the JS example's packages installed once by ``npm ci``."""
    node, npm = require_tool("node"), require_tool("npm")
    installed = JS / "node_modules" / ".package-lock.json"
    lock = JS / "package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime:
        done = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True
        )
        if done.returncode != 0:
            reason = f"npm ci failed in {JS} (is the npm registry reachable?): {done.stderr[-400:]}"
            if os.environ.get("REQUIRE_SERVICES") == "1":
                pytest.fail(reason)
            pytest.skip(reason)
    return node


async def test_the_node_client_queries_then_receives_a_pushed_event(
    node: str, tmp_path: Path
) -> None:
    async with facade(tmp_path, api_tokens=[API_TOKEN]) as server:
        url = f"http://127.0.0.1:{server.port}/graphql"
        args = ["subscribe.mjs", url, "--count", "1", "--statuses", "DELIVERED"]
        client = await start(node, *args, token=API_TOKEN, cwd=JS)
        await push_once_subscribed(server, client)
        code, out, err = await finish(client)
        refused = await finish(await start(node, *args, token="wrong-token", cwd=JS))
    assert code == 0, err
    assert out.splitlines()[0] == "gateway office: 8 ports, sn not learned yet"
    (event,) = json_lines(out)
    assert event.pop("cursor")
    assert event == {
        "gateway": {"id": "office"},
        "port": {"index": 3},
        "number": NUMBER,
        "userId": 41,
        "status": "DELIVERED",
        "time": "2024-05-03T12:15:02+02:00",
    }
    assert refused[0] == 1 and "UNAUTHENTICATED" in refused[2]


async def test_the_host_app_serves_the_facade_under_its_prefix(tmp_path: Path) -> None:
    async with device_settings(tmp_path) as settings:
        app = _load("host_app").create_host_app(settings)
        facade_app = next(r.app for r in app.routes if getattr(r, "path", "") == "/sms")
        async with (
            listening(app) as port,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
        ):
            index = await http.get("/")
            query = '{ gateway(id: "office") { sn port(index: 3) { smsResults { number } } } }'
            post = await http.post("/sms/graphql", json={"query": query})
            get = await http.get("/sms/graphql", params={"query": "{ gateways { id } }"})
            page = await http.get("/sms/graphql", headers={"Accept": "text/html"})
            assets = re.findall(r'(?:src|href)="(graphql/static/[^"]+)"', page.text)
            loaded = [(await http.get(f"/sms/{asset}")).status_code for asset in assets]
            stream = _load("subscribe").results(
                f"ws://127.0.0.1:{port}/sms/graphql", statuses=["DELIVERED"]
            )
            first = asyncio.ensure_future(anext(stream))
            for _ in range(1000):
                if facade_app.state.broker.subscriber_count:
                    break
                await asyncio.sleep(0.01)
            pushed = await http.post(
                "/sms/push/office", params={"token": TOKEN}, json={"sms_result": [DELIVERED]}
            )
            event = await asyncio.wait_for(first, 10)
            await stream.aclose()
    assert index.json() == {"app": "host", "gateways": ["office"], "graphql": "/sms/graphql"}
    assert "errors" not in post.json() and post.json()["data"]["gateway"]["port"]["smsResults"]
    assert get.json() == {"data": {"gateways": [{"id": "office"}]}}
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert assets and loaded == [200] * len(assets)  # GraphiQL's assets, found under the prefix
    assert pushed.status_code == 200
    assert (event["number"], event["status"], event["port"]) == (
        "+33699000111",
        "DELIVERED",
        {"index": 3},
    )
