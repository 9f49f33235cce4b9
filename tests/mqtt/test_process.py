"""The bridge in a real ``serve`` process fed by a real ``simulate`` process: killed with SIGKILL,
it can say nothing, and the broker publishes its last will."""

from __future__ import annotations

import signal
from collections import Counter
from pathlib import Path

from tests.mqtt.support import Names, Spy, retained
from tests.support import free_port

SECRET = "mqtt-secret-7f3a"


async def test_a_killed_server_goes_offline_through_its_last_will(
    spawn, spy: Spy, names: Names, mqtt_url: str, tmp_path: Path
) -> None:
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
ports = 8

[mqtt]
url = "{mqtt_url}"
username = "bridge"
password_env = "MQTT_TEST_PASSWORD"
client_id = "e2e-{names.prefix.split("/")[0]}"
topic_prefix = "{names.prefix}"
discovery_prefix = "{names.discovery}"
"""
    )
    config.chmod(0o600)
    server, _ = spawn(
        "serve",
        "--config",
        str(config),
        "--log-level",
        "debug",
        port=api,
        env={"MQTT_TEST_PASSWORD": SECRET},
    )
    spawn(
        "simulate",
        "--port",
        str(device),
        "--ports",
        "8",
        "--traffic-interval",
        "0.2",
        "--push-interval",
        "0.2",
        "--push-url",
        f"http://127.0.0.1:{api}/push/lab?token=e2e-push-token",
        port=device,
    )
    status = f"{names.prefix}/status"
    results = f"{names.prefix}/lab/sms_result"
    await spy.wait_for(lambda: [m.payload for m in spy.on(status)][-1:] == [b"online"])
    await spy.wait_for(lambda: len(spy.on(results)) >= 5)
    await spy.wait_for(lambda: len(spy.on(f"{names.prefix}/lab/port/7/state")) == 1)

    server.send_signal(signal.SIGKILL)
    server.wait(timeout=10)
    await spy.wait_for(lambda: spy.on(status)[-1].payload == b"offline")
    kept = await retained(mqtt_url, names)
    assert kept[status] == b"offline"
    assert len([t for t in kept if t.endswith("/config")]) == 8 * 4 + 2

    # Each pushed status of each message went out once.
    seen = Counter(
        tuple((k, v) for k, v in m.json().items() if k != "cursor") for m in spy.on(results)
    )
    assert seen and max(seen.values()) == 1
    log = (tmp_path / f"serve-{api}.log").read_text()
    assert "mqtt: connected to" in log
    assert SECRET not in log
