"""Structured logs: one line per operation (with its exact REST calls), per push and per gateway
state change; ``--log-format json|text``; and no secret in either format."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.schema.test_subscriptions import result
from tests.support import START, TOKEN, Facade, free_port

from ultiroam_graphql.gateway import GatewayClient
from ultiroam_graphql.logs import UVICORN_LOGGERS, configure_logging
from ultiroam_graphql.simulator import ManualClock, SimulatedGateway, create_simulator_app

BIG = "query Big($n: [String!]) { smsResults(filter: { numbers: $n }) { number } }"
PORTS = (
    "query PortsAndStates { gateways { ports { state { registration } smsResults { number } } } }"
)
ONE = "query One($g: ID!) { gateway(id: $g) { smsResults { number } } }"


def records(caplog: pytest.LogCaptureFixture, event: str) -> list[logging.LogRecord]:
    return [record for record in caplog.records if getattr(record, "event", None) == event]


def operation(caplog: pytest.LogCaptureFixture, name: str) -> logging.LogRecord:
    (record,) = [r for r in records(caplog, "graphql_operation") if r.operation_name == name]
    return record


@pytest.fixture
async def facade() -> AsyncIterator[Facade]:
    facade = Facade()
    yield facade
    await facade.aclose()


async def test_each_operation_logs_its_own_exact_rest_calls(
    facade: Facade, caplog: pytest.LogCaptureFixture
) -> None:
    devices = [facade.add_device("office"), facade.add_device("paris", ports=8)]
    await facade.start()
    caplog.set_level(logging.INFO, logger="ultiroam_graphql.operations")
    numbers = [f"+336100{n:05d}" for n in range(70)]
    big, ports = await asyncio.gather(facade.query(BIG, n=numbers), facade.query(PORTS))
    assert "errors" not in big and "errors" not in ports
    # Big: ceil(70/32) = 3 query_sms_result calls per gateway; PortsAndStates: one
    # get_port_info and one query_sms_result per gateway, however many ports ask.
    assert operation(caplog, "Big").rest_calls == 6
    assert operation(caplog, "PortsAndStates").rest_calls == 4
    assert sum(sum(device.calls.values()) for device in devices) == 10
    record = operation(caplog, "Big")
    assert record.operation_type == "query"
    assert record.outcome == "ok"
    assert record.error_codes == []
    assert record.duration_ms > 0
    assert record.getMessage().startswith("query Big ok in ")


async def test_a_client_chosen_operation_name_cannot_forge_log_lines(
    facade: Facade, caplog: pytest.LogCaptureFixture
) -> None:
    facade.add_device("office")
    api = await facade.start()
    caplog.set_level(logging.INFO, logger="ultiroam_graphql.operations")
    forged = "x\nERROR ultiroam_graphql: forged"
    body = {"query": "query A { gateways { id } }", "operationName": forged}
    assert (await api.post("/graphql", json=body)).status_code == 200
    (record,) = records(caplog, "graphql_operation")
    assert record.operation_name == "(not a GraphQL name)"
    assert "\n" not in record.getMessage() and "forged" not in caplog.text
    assert (record.outcome, record.error_codes) == ("error", ["BAD_REQUEST"])  # no such operation


def simulated(device: SimulatedGateway, password: str = "s3cret-pass") -> httpx.ASGITransport:
    """The device's real REST API (Digest auth), in process."""
    app = create_simulator_app(device, username="admin", password=password, auth="digest")
    return httpx.ASGITransport(app=app)


class Flaky(httpx.AsyncBaseTransport):
    """The simulated device behind a link that can go down (connect timeouts) and come back."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.up = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not self.up:
            raise httpx.ConnectTimeout("down", request=request)
        return await self.inner.handle_async_request(request)


async def test_gateway_state_changes_are_logged_once_per_transition(
    facade: Facade, caplog: pytest.LogCaptureFixture
) -> None:
    device = SimulatedGateway(ports=32, timezone="UTC", clock=ManualClock(START))
    link = Flaky(simulated(device))
    facade.add_device("office", device=device)
    async with httpx.AsyncClient(transport=link) as http:
        # no cool-down: every call after the fifth failure is a trial that fails again
        facade.clients["office"] = GatewayClient(
            facade.settings[0], http=http, breaker_cooldown=0, retry_delay=0
        )
        await facade.start()
        caplog.set_level(logging.INFO)
        for n in range(8):
            reply = await facade.query(ONE.replace("One", f"Down{n}"), g="office")
            assert reply["errors"][0]["extensions"]["code"] == "GATEWAY_UNAVAILABLE"
        link.up = True
        for n in range(3):
            assert "errors" not in await facade.query(ONE.replace("One", f"Up{n}"), g="office")
    states = [(r.gateway, r.state, r.levelname) for r in records(caplog, "gateway_state")]
    assert states == [
        ("office", "unreachable", "WARNING"),
        ("office", "circuit_open", "WARNING"),
        ("office", "reachable", "INFO"),
        ("office", "circuit_closed", "INFO"),
    ]
    opened = records(caplog, "gateway_state")[1]
    assert (opened.consecutive_failures, opened.cooldown_seconds) == (5, 0)
    down = operation(caplog, "Down0")
    assert (down.rest_calls, down.outcome, down.error_codes) == (
        1,
        "error",
        ["GATEWAY_UNAVAILABLE"],
    )


async def test_calls_refused_locally_cost_no_rest_call(
    facade: Facade, caplog: pytest.LogCaptureFixture
) -> None:
    facade.add_device("locked", device_password="not-what-the-facade-sends")
    await facade.start()
    caplog.set_level(logging.INFO)
    for name in ("First", "Second"):
        reply = await facade.query(ONE.replace("One", name), g="locked")
        assert reply["errors"][0]["extensions"]["code"] == "GATEWAY_AUTH_FAILED"
    assert operation(caplog, "First").rest_calls == 1
    assert operation(caplog, "Second").rest_calls == 0  # the login cool-down: nothing sent
    assert facade.devices["locked"].calls["query_sms_result"] == 0  # refused at the login
    (refused,) = records(caplog, "gateway_state")
    assert (refused.state, refused.http_status, refused.cooldown_seconds) == (
        "auth_failed",
        401,
        60,
    )


async def test_refused_logins_are_logged_once_per_transition(
    facade: Facade, caplog: pytest.LogCaptureFixture
) -> None:
    device = facade.add_device("locked")
    transport = simulated(device, password="not-what-the-facade-sends")
    async with httpx.AsyncClient(transport=transport) as http:
        facade.clients["locked"] = GatewayClient(facade.settings[0], http=http, auth_cooldown=0)
        await facade.start()
        caplog.set_level(logging.DEBUG)
        for name in ("A", "B", "C", "D", "E"):
            reply = await facade.query(ONE.replace("One", name), g="locked")
            assert reply["errors"][0]["extensions"]["code"] == "GATEWAY_AUTH_FAILED"
    assert [op.rest_calls for op in records(caplog, "graphql_operation")] == [1] * 5
    refusals = [r.state for r in records(caplog, "gateway_state") if r.levelno >= logging.INFO]
    # the simulated device, as real ones do, locks the address out after three failures
    assert refusals == ["auth_failed", "locked_out"]
    assert "s3cret-pass" not in caplog.text


async def test_each_push_is_logged_once_with_its_outcome(
    facade: Facade, caplog: pytest.LogCaptureFixture
) -> None:
    facade.add_device("office", push_token=TOKEN)
    api = await facade.start()
    caplog.set_level(logging.INFO, logger="ultiroam_graphql.webhook")
    body = {"sms_result": [result(1), result(2)]}
    assert (await api.post("/push/office", params={"token": TOKEN}, json=body)).status_code == 200
    assert (await api.post("/push/office", params={"token": "guess"}, json=body)).status_code == 401
    evil = "x" * 200
    assert (await api.post(f"/push/{evil}", params={"token": TOKEN}, json=body)).status_code == 404
    accepted, wrong, unknown = records(caplog, "push")
    assert (accepted.gateway, accepted.outcome, accepted.kinds) == (
        "office",
        "accepted",
        ["sms_result"],
    )
    assert (accepted.events, accepted.published, accepted.levelname) == (2, 2, "INFO")
    assert (wrong.outcome, wrong.reason, wrong.levelname) == (
        "bad_token",
        "missing or wrong token",
        "WARNING",
    )
    assert (unknown.gateway, unknown.outcome) == ("unknown", "unknown_gateway")
    assert unknown.given_gateway_id == "x" * 64  # repeated for the operator, cut short
    assert "guess" not in caplog.text and TOKEN not in caplog.text


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """The process-wide logging set up as the CLI does, into a buffer; put back afterwards."""
    loggers = [logging.getLogger(), *map(logging.getLogger, UVICORN_LOGGERS)]
    saved = [(logger.level, list(logger.handlers), logger.propagate) for logger in loggers]
    stream = io.StringIO()
    yield stream
    for logger, (level, handlers, propagate) in zip(loggers, saved, strict=True):
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate


SECRET_URL = "redis://app:br0ker-pw@cache:6379/0"


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_both_formats_keep_the_fields_and_redact_secrets(
    log_stream: io.StringIO, log_format: Any
) -> None:
    configure_logging("info", log_format, stream=log_stream)
    logger = logging.getLogger("ultiroam_graphql.test")
    logger.info(
        "push to %s refused: %s",
        "office",
        "missing or wrong token",
        extra={"event": "push", "reason": "missing or wrong token", "kinds": ["a", "b"], "n": 2},
    )
    access = logging.getLogger("uvicorn.access")
    access.setLevel(logging.INFO)  # as uvicorn.run(log_level="info") does
    access.info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "POST", "/push/a?token=t0ken-5ecret", "1.1", 401
    )
    logger.warning("connecting to %s", SECRET_URL, extra={"url": SECRET_URL})
    lines = log_stream.getvalue().splitlines()
    assert len(lines) == 3
    output = log_stream.getvalue()
    for secret in ("t0ken-5ecret", "br0ker-pw"):
        assert secret not in output
    if log_format == "text":
        assert lines[0] == (
            "INFO ultiroam_graphql.test: push to office refused: missing or wrong token "
            'event=push reason="missing or wrong token" kinds=a,b n=2'
        )
        assert lines[1].startswith('INFO uvicorn.access: 127.0.0.1:1 - "POST /push/a?token=***')
        assert lines[2].endswith("url=redis://***@cache:6379/0")
        return
    push, line, url = (json.loads(line) for line in lines)
    assert push["level"] == "INFO" and push["logger"] == "ultiroam_graphql.test"
    assert push["message"] == "push to office refused: missing or wrong token"
    assert (push["event"], push["kinds"], push["n"]) == ("push", ["a", "b"], 2)
    assert push["time"].endswith("+00:00")
    assert line["logger"] == "uvicorn.access"
    assert (line["http_method"], line["path"], line["status"]) == ("POST", "/push/a?token=***", 401)
    assert url["url"] == "redis://***@cache:6379/0"


def test_serve_log_format_json_writes_one_object_a_line(spawn: Any, tmp_path: Path) -> None:
    device, api = free_port(), free_port()
    secrets = {"device": "dev-pass-5ecret", "push": "push-tok-5ecret", "api": "api-tok-5ecret"}
    spawn("simulate", "--port", str(device), "--password", secrets["device"],
          "--traffic-interval", "0", "--log-format", "json", port=device)  # fmt: skip
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
password = "{secrets["device"]}"
push_token = "{secrets["push"]}"
inbox_poll_interval = 0
"""
    )
    config.chmod(0o600)
    _, log = spawn("serve", "--config", str(config), "--log-level", "debug",
                   "--log-format", "json", port=api)  # fmt: skip
    base = f"http://127.0.0.1:{api}"
    auth = {"Authorization": f"Bearer {secrets['api']}"}
    reply = httpx.post(
        f"{base}/graphql", json={"query": ONE, "variables": {"g": "lab"}}, headers=auth
    )
    assert "errors" not in reply.json()
    push = {"sms_result": [result(1)]}
    assert httpx.post(f"{base}/push/lab?token={secrets['push']}", json=push).status_code == 200
    assert httpx.post(f"{base}/push/lab?token=wrong-guess", json=push).status_code == 401
    lines = _lines_until(log, lambda entry: entry.get("outcome") == "bad_token")
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= entry.keys() for entry in entries)
    (operation,) = [e for e in entries if e.get("event") == "graphql_operation"]
    assert (operation["operation_name"], operation["rest_calls"], operation["outcome"]) == (
        "One", 1, "ok")  # fmt: skip
    pushes = [(e["outcome"], e["events"]) for e in entries if e.get("event") == "push"]
    assert pushes == [("accepted", 1), ("bad_token", 0)]
    access = [e for e in entries if e["logger"] == "uvicorn.access"]
    assert {e["status"] for e in access} >= {200, 401}
    assert any(e["path"] == "/push/lab?token=***" for e in access)
    assert any(e["logger"] == "uvicorn.error" for e in entries)  # uvicorn's own lines too
    output = "".join(lines) + (tmp_path / f"simulate-{device}.log").read_text()
    for secret in (*secrets.values(), "wrong-guess"):
        assert secret not in output


def _lines_until(log: Path, last: Any) -> list[str]:
    """The log's lines once one matching ``last`` is written (the server writes as it goes)."""
    for _ in range(200):
        lines = log.read_text().splitlines()
        if any(last(json.loads(line)) for line in lines if line.startswith("{")):
            return lines
        time.sleep(0.05)
    raise AssertionError(f"no such line in:\n{log.read_text()}")
