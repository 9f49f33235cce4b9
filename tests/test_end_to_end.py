"""`simulate` and `serve --config` as real processes on free ports, queried over real HTTP."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import httpx
from tests.services import require_redis
from tests.support import free_port
from websockets.asyncio.client import connect

from ultiroam_graphql.broker.cursors import cursor_key


def test_serve_over_two_simulated_gateways(spawn, tmp_path: Path) -> None:
    tokyo, paris, api = free_port(), free_port(), free_port()
    spawn(
        "simulate",
        "--port",
        str(tokyo),
        "--timezone",
        "Asia/Tokyo",
        "--traffic-interval",
        "0",
        "--password",
        "tokyo-pw",
        port=tokyo,
    )
    spawn(
        "simulate",
        "--port",
        str(paris),
        "--timezone",
        "Europe/Paris",
        "--auth",
        "basic",
        "--traffic-interval",
        "0",
        "--seed",
        "7",
        port=paris,
    )
    config = tmp_path / "ultiroam.toml"
    config.write_text(
        f"""
[server]
port = {api}
state_dir = "{tmp_path}"

[[gateways]]
id = "tokyo"
url = "http://127.0.0.1:{tokyo}"
password_env = "TOKYO_PASSWORD"
auth = "auto"
timezone = "Asia/Tokyo"

[[gateways]]
id = "paris"
url = "http://127.0.0.1:{paris}"
password = "admin"
auth = "basic"
timezone = "Europe/Paris"
ports = 16
"""
    )
    spawn("serve", "--config", str(config), env={"TOKYO_PASSWORD": "tokyo-pw"}, port=api)

    query = """{
      gateways { id sn portCount }
      smsResults(filter: {ports: [0, 1, 2]}) { gateway { id } port { index } number time status }
    }"""
    response = httpx.post(f"http://127.0.0.1:{api}/graphql", json={"query": query}, timeout=30)
    body = response.json()
    assert "errors" not in body, body
    gateways = body["data"]["gateways"]
    assert [(g["id"], g["portCount"]) for g in gateways] == [("tokyo", 32), ("paris", 16)]
    results = body["data"]["smsResults"]
    offsets = {r["gateway"]["id"]: r["time"][-6:] for r in results}
    assert offsets["tokyo"] == "+09:00"
    assert offsets["paris"] in ("+01:00", "+02:00")
    assert {r["port"]["index"] for r in results} <= {0, 1, 2}
    again = httpx.post(f"http://127.0.0.1:{api}/graphql", json={"query": "{ gateways { sn } }"})
    assert again.json() == {"data": {"gateways": [{"sn": "da00-0030-1901-2817"}] * 2}}
    assert httpx.get(f"http://127.0.0.1:{api}/healthz").status_code == 200


def test_simulated_pushes_reach_a_websocket_subscriber(spawn, tmp_path: Path) -> None:
    device, api = free_port(), free_port()
    config = tmp_path / "ultiroam.toml"
    config.write_text(
        f"""
[server]
port = {api}
state_dir = "{tmp_path}"

[[gateways]]
id = "lab"
url = "http://127.0.0.1:{device}"
password = "admin"
push_token = "e2e-push-token"
timezone = "America/Sao_Paulo"
"""
    )
    spawn("serve", "--config", str(config), port=api)
    spawn(
        "simulate",
        "--port",
        str(device),
        "--timezone",
        "America/Sao_Paulo",
        "--traffic-interval",
        "0.2",
        "--push-interval",
        "0.2",
        "--push-url",
        f"http://127.0.0.1:{api}/push/lab?token=e2e-push-token",
        port=device,
    )

    async def subscribe() -> list[dict]:
        url = f"ws://127.0.0.1:{api}/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            query = "subscription { smsResults { gateway { id } number status time cursor } }"
            await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}}))
            return [json.loads(await asyncio.wait_for(ws.recv(), 30)) for _ in range(3)]

    messages = asyncio.run(subscribe())
    for message in messages:
        assert message["type"] == "next", message
        result = message["payload"]["data"]["smsResults"]
        assert result["gateway"] == {"id": "lab"}
        assert result["time"].endswith("-03:00")
        assert result["number"] == result["number"].strip()
    cursors = [cursor_key(m["payload"]["data"]["smsResults"]["cursor"]) for m in messages]
    assert cursors == sorted(set(cursors))


def test_two_server_processes_share_one_redis(spawn, tmp_path: Path) -> None:
    redis_url = require_redis()
    prefix = f"e2e-{uuid.uuid4().hex[:8]}"
    ports = free_port(), free_port()
    for index, port in enumerate(ports):
        config = tmp_path / f"instance{index}.toml"
        config.write_text(
            f"""
[server]
port = {port}
state_dir = "{tmp_path}"

[broker]
url = "{redis_url}"
prefix = "{prefix}"

[[gateways]]
id = "lab"
url = "http://127.0.0.1:9"
password = "admin"
push_token = "e2e-push-token"
"""
        )
        spawn("serve", "--config", str(config), port=port)

    push = {
        "sn": "x",
        "sms_result": [
            {
                "port": 0,
                "number": "1",
                "time": "2024-05-03 10:00:00",
                "status": "SENT_OK",
                "user_id": 7,
            }
        ],
    }

    async def scenario() -> tuple[list[dict], list[dict]]:
        one, two = (f"127.0.0.1:{port}" for port in ports)
        query = "subscription($a: String) { smsResults(after: $a) { userId cursor } }"
        async with connect(f"ws://{two}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}}))
            await asyncio.sleep(0.5)  # let the subscription register before the push
            async with httpx.AsyncClient() as http:
                url = f"http://{one}/push/lab?token=e2e-push-token"
                assert (await http.post(url, json=push)).status_code == 200
            live = [json.loads(await asyncio.wait_for(ws.recv(), 20))]
        cursor = live[0]["payload"]["data"]["smsResults"]["cursor"]
        async with httpx.AsyncClient() as http:  # missed while away, pushed to instance two
            for user_id in (8, 9):
                body = {"sms_result": [{**push["sms_result"][0], "user_id": user_id}]}
                assert (
                    await http.post(f"http://{two}/push/lab?token=e2e-push-token", json=body)
                ).status_code == 200
        async with connect(f"ws://{one}/graphql", subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            payload = {"query": query, "variables": {"a": cursor}}
            await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))
            resumed = [json.loads(await asyncio.wait_for(ws.recv(), 20)) for _ in range(2)]
        return live, resumed

    live, resumed = asyncio.run(scenario())
    assert [m["payload"]["data"]["smsResults"]["userId"] for m in live] == [7]
    assert [m["payload"]["data"]["smsResults"]["userId"] for m in resumed] == [8, 9]
    for port in ports:
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200


def test_the_servers_whole_output_holds_no_secret(spawn, tmp_path: Path) -> None:
    device, api = free_port(), free_port()
    secrets = {
        "gateway": "gw-pass-5ecret",
        "push": "push-tok-5ecret",
        "api": "api-tok-5ecret",
        "device": "device-pass-5ecret",
    }
    spawn(
        "simulate",
        "--port",
        str(device),
        "--password",
        secrets["device"],
        "--traffic-interval",
        "0",
        port=device,
    )
    config = tmp_path / "ultiroam.toml"
    config.write_text(
        f"""
[server]
port = {api}
state_dir = "{tmp_path}"
api_tokens = ["{secrets["api"]}"]

[[gateways]]
id = "lab"
url = "http://127.0.0.1:{device}"
password = "{secrets["gateway"]}"
push_token = "{secrets["push"]}"
inbox_poll_interval = 0.2
"""
    )
    config.chmod(0o600)
    spawn("serve", "--config", str(config), "--log-level", "debug", port=api)
    base = f"http://127.0.0.1:{api}"
    good = {"Authorization": f"Bearer {secrets['api']}"}
    query = {"query": '{ smsResults { number } gateway(id: "lab") { queueLength } }'}
    reply = httpx.post(f"{base}/graphql", json=query, headers=good).json()
    assert reply["errors"][0]["extensions"]["code"] == "GATEWAY_AUTH_FAILED"  # wrong password
    assert (
        httpx.post(
            f"{base}/graphql", json=query, headers={"Authorization": "Bearer wrong"}
        ).status_code
        == 401
    )
    push = f"{base}/push/lab?token={secrets['push']}"
    assert httpx.post(push, json={"ussd": [{"port": 1, "text": "x"}]}).status_code == 200
    assert httpx.post(f"{base}/push/lab?token=wrong", json={}).status_code == 401
    readyz = httpx.get(f"{base}/readyz").text
    time.sleep(1)  # a few inbox polls, refused by the device
    output = (
        readyz
        + json.dumps(reply)
        + "".join(log.read_text() for log in tmp_path.glob("serve-*.log"))
    )
    assert "GET /readyz" in output or "/readyz" in output  # the log was captured
    for secret in secrets.values():
        assert secret not in output
