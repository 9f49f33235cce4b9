"""Home Assistant discovery against the real Mosquitto: what a 32-port gateway announces, kept
retained, stable across restarts, and removed when the config no longer wants it."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.mqtt.support import Names, Spy, retained, running
from tests.support import TOKEN, Facade

# Keys Home Assistant's MQTT discovery schema documents, per platform (full names).
COMMON_KEYS = {
    "availability",
    "availability_mode",
    "device",
    "origin",
    "name",
    "unique_id",
    "icon",
    "entity_category",
    "enabled_by_default",
    "json_attributes_topic",
    "json_attributes_template",
    "qos",
    "encoding",
}
PLATFORM_KEYS = {
    "sensor": {"state_topic", "value_template", "state_class", "unit_of_measurement"},
    "event": {"state_topic", "event_types", "value_template", "device_class"},
    "notify": {"command_topic", "command_template", "retain"},
}
REQUIRED = {
    "sensor": {"state_topic"},
    "event": {"state_topic", "event_types"},
    "notify": {"command_topic"},
}
DEVICE_KEYS = {
    "identifiers",
    "name",
    "manufacturer",
    "model",
    "serial_number",
    "sw_version",
    "hw_version",
    "configuration_url",
}
OBJECT_ID = re.compile(r"^[A-Za-z0-9_-]+$")


def discovery_configs(names: Names, kept: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    return {t: json.loads(p) for t, p in kept.items() if t.startswith(f"{names.discovery}/")}


def check_config(names: Names, topic: str, config: dict[str, Any], gateway: str) -> None:
    """One discovery message as Home Assistant's schema wants it."""
    prefix, component, object_id, last = topic.rsplit("/", 3)
    assert (prefix, last) == (names.discovery, "config")
    assert set(config) <= COMMON_KEYS | PLATFORM_KEYS[component], set(config) - COMMON_KEYS
    assert REQUIRED[component] <= set(config)
    assert object_id == config["unique_id"] and OBJECT_ID.match(object_id)
    assert set(config["device"]) <= DEVICE_KEYS and config["device"]["identifiers"]
    assert config["origin"]["name"] == "ultiroam-graphql"
    assert config["availability"] == [
        {"topic": f"{names.prefix}/status"},
        {"topic": f"{names.prefix}/{gateway}/availability"},
    ]
    assert config["availability_mode"] == "all"


async def settled(spy: Spy, names: Names, gateway: str, ports: int) -> None:
    """Wait for the first poll: every port's state out, and discovery again with the serial."""
    configs = ports * 4 + 2
    await spy.wait_for(
        lambda: (
            all(spy.on(f"{names.prefix}/{gateway}/port/{p}/state") for p in range(ports))
            and sum(
                b"serial_number" in m.payload and f"_{gateway}_".encode() in m.payload
                for m in spy.under(names.discovery)
            )
            >= configs
        )
    )


async def test_a_32_port_gateway_is_one_device_with_valid_retained_entities(
    spy: Spy, names: Names, facade: Facade, mqtt_url: str, state_dir: str
) -> None:
    device = facade.add_device("office", push_token=TOKEN)
    async with running(facade, names.mqtt(mqtt_url), state_dir=state_dir):
        await settled(spy, names, "office", 32)
        kept = await retained(mqtt_url, names)
    configs = discovery_configs(names, kept)
    components = [topic.split("/")[-3] for topic in configs]
    assert components.count("sensor") == 32 * 4
    assert components.count("event") == 2
    assert "notify" not in components  # allow_send is off
    for topic, config in configs.items():
        check_config(names, topic, config, "office")
    unique_ids = [c["unique_id"] for c in configs.values()]
    assert len(set(unique_ids)) == len(unique_ids) == 130
    tag = names.prefix.replace("/", "_")
    assert f"{tag}_office_port31_signal" in unique_ids
    devices = {json.dumps(c["device"], sort_keys=True) for c in configs.values()}
    assert len(devices) == 1  # one device for the gateway
    (block,) = (json.loads(d) for d in devices)
    assert block["serial_number"] == device.sn
    assert block["model"] == "32-port GSM SMS gateway"
    for port in range(32):
        state = json.loads(kept[f"{names.prefix}/office/port/{port}/state"])
        assert {"registration", "signal", "operator", "balance"} <= set(state)
        assert state["port"] == port
    for config in configs.values():  # every template reads a field the state payload has
        for field in re.findall(r"value_json\.(\w+)", config.get("value_template", "")):
            if config["state_topic"].endswith("/state"):
                assert field in state
    assert kept[f"{names.prefix}/office/availability"] == b"online"
    assert kept[f"{names.prefix}/status"] == b"online"
    events = {c["unique_id"]: c for t, c in configs.items() if "/event/" in t}
    incoming = events[f"{tag}_office_incoming_sms"]
    assert incoming["state_topic"] == f"{names.prefix}/office/incoming_sms"
    assert incoming["event_types"] == ["received"]
    report = events[f"{tag}_office_delivery_report"]
    assert report["state_topic"] == f"{names.prefix}/office/delivery_report"


async def test_unique_ids_are_stable_across_restarts(
    spy: Spy, names: Names, facade: Facade, mqtt_url: str, state_dir: str
) -> None:
    facade.add_device("office", ports=2)
    seen = []
    for _ in range(2):
        async with running(facade, names.mqtt(mqtt_url), state_dir=state_dir):
            await settled(spy, names, "office", 2)
            seen.append(discovery_configs(names, await retained(mqtt_url, names)))
        spy.messages.clear()
    assert seen[0] == seen[1] and len(seen[0]) == 2 * 4 + 2


async def test_a_gateway_that_leaves_the_config_is_removed(
    spy: Spy, names: Names, mqtt_url: str, state_dir: str
) -> None:
    both = Facade()
    both.add_device("office", ports=2)
    both.add_device("shop", ports=3)
    async with running(both, names.mqtt(mqtt_url), state_dir=state_dir):
        await settled(spy, names, "shop", 3)
        await settled(spy, names, "office", 2)
    before = await retained(mqtt_url, names)
    assert sum("_shop_" in t for t in before) == 3 * 4 + 2
    await both.aclose()

    office = Facade()
    office.add_device("office", ports=1)  # and one port fewer
    async with running(office, names.mqtt(mqtt_url), state_dir=state_dir):
        after = await retained(mqtt_url, names)
    await office.aclose()
    assert not [t for t in after if "shop" in t]
    assert f"{names.prefix}/office/port/1/state" not in after
    assert f"{names.prefix}/office/port/0/state" in after
    assert len(discovery_configs(names, after)) == 1 * 4 + 2


async def test_discovery_turned_off_removes_the_configs_and_keeps_the_state(
    spy: Spy, names: Names, facade: Facade, mqtt_url: str, state_dir: str
) -> None:
    facade.add_device("office", ports=2)
    async with running(facade, names.mqtt(mqtt_url), state_dir=state_dir):
        await settled(spy, names, "office", 2)
    async with running(facade, names.mqtt(mqtt_url, discovery=False), state_dir=state_dir):
        kept = await retained(mqtt_url, names)
    assert discovery_configs(names, kept) == {}
    assert f"{names.prefix}/office/port/1/state" in kept


async def test_the_notify_entity_comes_with_allow_send_and_recipients(
    spy: Spy, names: Names, facade: Facade, mqtt_url: str, state_dir: str
) -> None:
    facade.add_device("office", ports=1)
    mqtt = names.mqtt(mqtt_url, allow_send=True, notify_recipients=["+33611111111"])
    async with running(facade, mqtt, state_dir=state_dir):
        configs = discovery_configs(names, await retained(mqtt_url, names))
    (topic,) = (t for t in configs if "/notify/" in t)
    check_config(names, topic, configs[topic], "office")
    assert configs[topic]["command_topic"] == f"{names.prefix}/office/send"
    template = configs[topic]["command_template"]
    assert '"recipients": [{"number":"+33611111111"}]' in template
    assert "{{ value | to_json }}" in template

    async with running(facade, names.mqtt(mqtt_url, allow_send=True), state_dir=state_dir):
        configs = discovery_configs(names, await retained(mqtt_url, names))
    assert not [t for t in configs if "/notify/" in t]  # no one to text: no notify entity
