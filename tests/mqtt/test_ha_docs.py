"""docs/home-assistant.md and the Node-RED flow say what the bridge does: same topics, same
payload fields, commands the bridge accepts, YAML and JSON that parse."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from ultiroam_graphql.gateway import parse_port_info
from ultiroam_graphql.gateway.models import (
    parse_delivery_report,
    parse_incoming_sms,
    parse_sms_result,
)
from ultiroam_graphql.mqtt.commands import parse_command
from ultiroam_graphql.mqtt.payloads import delivery_report, incoming_sms, port_state, sms_result
from ultiroam_graphql.mqtt.topics import Topics

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "home-assistant.md"
FLOW = ROOT / "examples" / "node-red" / "flow.json"
DEFAULT = Topics("ultiroam", "homeassistant")
UTC = ZoneInfo("UTC")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def payload_shapes() -> list[set[str]]:
    """The keys of every JSON payload the bridge publishes, from the code itself."""
    result = {"port": 0, "number": "1", "time": "2024-05-03 10:15:02", "status": "SENT_OK"}
    report = {"port": 0, "number": "1", "time": "2024-05-03 10:15:02", "status_code": 0}
    message = {"incoming_sms_id": 1, "port": 0, "number": "1", "timestamp": "2024-05-03 10:15:02"}
    return [
        set(sms_result(parse_sms_result(result, gateway_id="g", zone=UTC), None)),
        set(delivery_report(parse_delivery_report(report, gateway_id="g", zone=UTC), None)),
        set(incoming_sms(parse_incoming_sms(message, gateway_id="g", zone=UTC), None)),
        set(port_state(parse_port_info({"port": 0}, gateway_id="g", zone=UTC))),
    ]


def test_the_topics_table_names_every_topic() -> None:
    text = DOC.read_text(encoding="utf-8")
    topics = Topics("<prefix>", "<discovery_prefix>")
    for topic in (
        topics.status,
        topics.availability("<gateway>"),
        topics.port_state("<gateway>", "<n>"),  # type: ignore[arg-type]
        topics.event("<gateway>", "sms_result"),
        topics.event("<gateway>", "sms_deliver_status"),
        topics.event("<gateway>", "sms"),
        topics.send("<gateway>"),
        topics.send_result("<gateway>"),
        topics.discovery("<component>", "<unique_id>"),
        topics.retained_index,
    ):
        assert f"| `{topic}` |" in text, topic


def test_payload_examples_have_the_fields_the_bridge_publishes() -> None:
    examples = [json.loads(block) for block in blocks("json")]
    shown = [set(example) for example in examples if "gatewayId" in example]
    assert sorted(map(sorted, shown)) == sorted(map(sorted, payload_shapes()))


def test_command_examples_are_accepted_and_replies_have_their_shape() -> None:
    examples = [json.loads(block) for block in blocks("json")]
    commands = [e for e in examples if "recipients" in e]
    assert commands
    for command in commands:
        parse_command(json.dumps(command).encode())
    replies = [e for e in examples if "messages" in e or "error" in e]
    assert {frozenset(r) for r in replies} == {
        frozenset({"correlationId", "messages", "errors"}),
        frozenset({"correlationId", "error"}),
    }


def test_automations_parse_and_use_the_bridge_topics() -> None:
    automations = [yaml.safe_load(block) for block in blocks("yaml")]
    assert len(automations) == 3
    for automation in automations:
        assert automation["triggers"] and automation["actions"]
    publish = automations[1]["actions"][0]["data"]
    assert publish["topic"] == DEFAULT.send("office")
    assert automations[2]["triggers"][0]["topic"] == DEFAULT.event("office", "sms")
    assert automations[0]["actions"][0]["target"]["entity_id"].startswith("notify.")


def nodes(kind: str, flow: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [node for node in flow if node["type"] == kind]


def test_the_node_red_flow_uses_the_documented_topics() -> None:
    flow = json.loads(FLOW.read_text(encoding="utf-8"))
    ids = {node["id"] for node in flow}
    assert len(ids) == len(flow)
    (broker,) = nodes("mqtt-broker", flow)
    for node in flow:
        if node["type"] in ("mqtt in", "mqtt out"):
            assert node["broker"] == broker["id"]
        for outputs in node.get("wires", []):
            assert set(outputs) <= ids  # every wire ends at a node of the flow
    (out,) = nodes("mqtt out", flow)
    assert out["topic"] == DEFAULT.send("office")
    assert {node["topic"] for node in nodes("mqtt in", flow)} == {
        DEFAULT.send_result("office"),
        DEFAULT.event("+", "sms"),
    }
    assert all(node["datatype"] == "json" for node in nodes("mqtt in", flow))
    (inject,) = nodes("inject", flow)
    assert inject["payloadType"] == "json" and inject["wires"] == [[out["id"]]]
    parse_command(inject["payload"].encode())  # a command the bridge accepts
    (function,) = nodes("function", flow)
    incoming = payload_shapes()[2]
    assert set(re.findall(r"sms\.(\w+)", function["func"])) <= incoming


def test_the_readme_automations_are_the_documented_ones() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"```yaml\n(.*?)```", readme, re.S)
    assert len(shown) == 2
    for automation in shown:
        assert automation in blocks("yaml")  # so the checks above cover them too
