"""The schema tour's machinery: docs/schema-tour.md read into steps and run against a facade.

``python -m tests.tour`` writes each document's real answer into the page; tests/test_docs.py
checks that the answers keep their shape.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import shlex
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from graphql import OperationType, get_operation_ast, parse
from tests.support import START, TOKEN, Facade, Server, serving
from websockets.asyncio.client import ClientConnection

from ultiroam_graphql import create_app
from ultiroam_graphql.config import Settings
from ultiroam_graphql.simulator import ManualClock, SimulatedGateway, create_simulator_app

TOUR = Path(__file__).resolve().parent.parent / "docs" / "schema-tour.md"
FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
DEVICE_PASSWORD = "s3cret-pass"


@dataclass
class Step:
    """One document of the tour, what happens around it, and the answer the page shows."""

    document: str
    setup: list[tuple[str, Any]] = field(default_factory=list)  # device control calls before
    pushes: list[tuple[str, Any]] = field(default_factory=list)  # (gateway id, body) after
    expected: Any = None
    span: tuple[int, int] | None = None  # where the shown answer is in the page


def tour_steps(text: str) -> list[Step]:
    """Each ```graphql block, with the ```http pushes after it and the ```json answer that ends
    it; ```sh blocks calling the demo device's control endpoint set up the next document."""
    steps: list[Step] = []
    setup: list[tuple[str, Any]] = []
    for match in FENCE.finditer(text):
        language, body = match.group(1), match.group(2)
        open_step = steps[-1] if steps and steps[-1].span is None else None
        if language == "graphql":
            assert open_step is None, f"no answer shown for:\n{open_step and open_step.document}"
            steps.append(Step(body, setup=setup))
            setup = []
        elif language == "http":
            assert open_step is not None, f"a push before any document:\n{body}"
            open_step.pushes.append(_push(body))
        elif language == "json":
            assert open_step is not None, f"an answer without its document:\n{body}"
            open_step.expected = json.loads(body)
            open_step.span = match.span(2)
        elif language == "sh" and "/control/" in body:
            setup.append(_control_call(body))
    assert steps and steps[-1].span is not None, "the last document has no answer shown"
    return steps


def _push(block: str) -> tuple[str, Any]:
    """``POST /push/<gateway>?token=...``, headers, a blank line, the JSON body."""
    head, _, body = block.partition("\n\n")
    method, target = head.splitlines()[0].split()[:2]
    assert method == "POST" and target.startswith("/push/"), head
    return target.removeprefix("/push/").split("?")[0], json.loads(body)


def _control_call(block: str) -> tuple[str, Any]:
    """A ``curl ... -d BODY .../control/<name>`` command: the endpoint's name and its body."""
    words = shlex.split(block.replace("\\\n", " "))
    url = next(word for word in words if "/control/" in word)
    return url.split("/control/")[1], json.loads(words[words.index("-d") + 1])


@contextlib.asynccontextmanager
async def tour_server() -> AsyncIterator[tuple[Server, httpx.AsyncClient]]:
    """The facade under uvicorn over a simulated device set up like the demo's, frozen in time;
    and a client of the device's own API."""
    device = SimulatedGateway(ports=32, timezone="Europe/Paris", seed=1, clock=ManualClock(START))
    device_app = create_simulator_app(device, password=DEVICE_PASSWORD)
    facade = Facade()
    facade.add_device(
        "demo",
        device=device,
        transport=httpx.ASGITransport(app=device_app),
        push_token=TOKEN,
        timezone="Europe/Paris",
    )
    with tempfile.TemporaryDirectory(prefix="ultiroam-tour-") as state:
        settings = Settings.model_validate(
            {
                "server": {"allow_unauthenticated_mutations": True, "state_dir": state},
                "gateways": facade.settings,
            }
        )
        try:
            async with (
                serving(create_app(settings, clients=facade.clients)) as server,
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=device_app),
                    base_url="http://device",
                    auth=httpx.DigestAuth("admin", DEVICE_PASSWORD),
                ) as device_http,
            ):
                yield server, device_http
        finally:
            await facade.aclose()


async def run_tour(steps: list[Step]) -> list[Any]:
    """Every step's answer, in the page's order, against one server."""
    async with tour_server() as (server, device_http):
        return [await _run(server, device_http, step) for step in steps]


async def _run(server: Server, device_http: httpx.AsyncClient, step: Step) -> Any:
    for name, body in step.setup:
        (await device_http.post(f"/control/{name}", json=body)).raise_for_status()
    operation = get_operation_ast(parse(step.document))
    assert operation is not None, step.document
    before = server.broker.subscriber_count
    if operation.operation is OperationType.SUBSCRIPTION:
        async with server.ws("graphql-transport-ws") as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert (await _receive(ws))["type"] == "connection_ack"
            payload = {"query": step.document}
            await ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": payload}))
            await _pushes(server, step, before)
            message = await _receive(ws)
            assert message["type"] == "next", message
            return message["payload"]
    answer = asyncio.ensure_future(server.http.post("/graphql", json={"query": step.document}))
    await _pushes(server, step, before)
    return (await asyncio.wait_for(answer, 30)).json()


async def _pushes(server: Server, step: Step, subscribers_before: int) -> None:
    """Once the operation listens (a subscription, or sendUssd awaiting its reply), push."""
    if not step.pushes:
        return
    for _ in range(1000):
        if server.broker.subscriber_count > subscribers_before:
            break
        await asyncio.sleep(0.01)
    else:
        raise AssertionError(f"nothing listens for the pushes of:\n{step.document}")
    for gateway_id, body in step.pushes:
        await server.push(gateway_id, **body)


async def _receive(ws: ClientConnection) -> dict[str, Any]:
    while True:
        message = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        if message["type"] not in ("ping", "pong"):
            return message


def outline(answer: Any) -> dict[str, Any]:
    """What must not change: the keys at every level, which lists are empty, the error codes."""
    errors = answer.get("errors") or []
    return {
        "data": _shape(answer.get("data")),
        "errors": sorted(
            json.dumps([(e.get("extensions") or {}).get("code"), e.get("path")]) for e in errors
        ),
    }


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted({json.dumps(_shape(item), sort_keys=True) for item in value})
    return "value" if value is not None else None


def refresh_tour() -> None:
    """Write each document's real answer into the page."""
    text = TOUR.read_text(encoding="utf-8")
    steps = tour_steps(text)
    answers = asyncio.run(run_tour(steps))
    for step, answer in reversed(list(zip(steps, answers, strict=True))):
        assert step.span is not None
        start, end = step.span
        text = text[:start] + json.dumps(answer, indent=2, ensure_ascii=False) + "\n" + text[end:]
    TOUR.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    refresh_tour()
