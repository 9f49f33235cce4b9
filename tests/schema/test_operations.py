"""Planned operations (``schema.operations``) and the view's direct path against Strawberry's
own handling, over the real ASGI app.

Every case runs on two apps over fresh simulated gateways: one as served (POSTed queries run by
their plan where there is one, other POSTs answered directly through ``execute_single``) and one
with both off (``_plans = None``, ``direct = False``): every request through Strawberry's
``run``, the reference. Both must give the same bytes, log lines, metrics and REST calls; a plan
that gives up must leave no trace but the ordinary path's.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any, NamedTuple

import pytest
from tests.support import Facade
from tests.test_metrics import scrape

from ultiroam_graphql.schema.media import GRAPHQL_RESPONSE, JSON
from ultiroam_graphql.schema.operations import (
    MAX_PLANNED_NAME,
    MAX_PLANNED_QUERY,
    OperationPlans,
    PlannedOperation,
)
from ultiroam_graphql.schema.types import Gateway

ACCEPTS = (JSON, GRAPHQL_RESPONSE)
ALSO_ACCEPTED = ("*/*", 'multipart/mixed;subscriptionSpec="1.0", application/json')
"""Accept values that name no type of ours first: Strawberry must not stream or refuse them."""
SMALL = "{ gateways { id portCount } }"
TWO = "query A { gateways { id } } query B { gateways { sn portCount } }"
DEEP = "{ gateways { " + "ports { gateway { " * 5 + "id" + " } }" * 5 + " } }"

PLANNED: dict[str, dict[str, Any]] = {
    "small": {"query": SMALL},
    "sn": {"query": "{ gateways { id sn portCount } }"},
    "typename at root": {"query": "{ __typename gateways { id } }"},
    "typename nested": {"query": "{ gateways { __typename ports { __typename index } } }"},
    "aliases": {"query": "{ a: gateways { x: id } b: gateways { n: portCount m: portCount } }"},
    "same field twice": {"query": "{ gateways { id } gateways { portCount } }"},
    "named fragment": {
        "query": "query { ...F } fragment F on Query { gateways { ...G } } "
        "fragment G on Gateway { id sn }"
    },
    "inline fragment": {"query": "{ ... on Query { gateways { ... on Gateway { id } } } }"},
    "skip and include": {
        "query": "{ gateways { id @skip(if: true) sn @include(if: false) portCount "
        "ports @include(if: true) { index } } }"
    },
    "everything skipped": {"query": "{ gateways @skip(if: true) { id } }"},
    "operationName B": {"query": TWO, "operationName": "B"},
    "operationName A": {"query": TWO, "operationName": "A"},
    "operationName empty": {"query": TWO, "operationName": ""},
    "operationName null": {"query": TWO, "operationName": None},
    "ports": {"query": "{ gateways { ports { index } } }"},
    "ports and back": {"query": "{ gateways { ports { index gateway { id } } } }"},
    "merged below": {"query": "{ gateways { ports { index } ports { gateway { id } } } }"},
    "skipped spread": {
        "query": "{ gateways { ...G @skip(if: true) id } } fragment G on Gateway { sn }"
    },
    "fragment before the operation": {
        "query": "fragment G on Gateway { id } query Q { gateways { ...G } }"
    },
    "empty variables and extensions": {"query": SMALL, "variables": {}, "extensions": {}},
    "null variables": {"query": SMALL, "variables": None},
    "an unknown key": {"query": SMALL, "other": 1},  # ignored, as Strawberry ignores it
}

BYPASSED: dict[str, Any] = {
    "variables": {
        "query": "query($g: ID!) { gateway(id: $g) { id } }",
        "variables": {"g": "office"},
    },
    "unused variables": {"query": SMALL, "variables": {"x": 1}},
    "extensions": {"query": SMALL, "extensions": {"x": 1}},
    "a batch": [{"query": SMALL}],
    "operationName not a string": {"query": SMALL, "operationName": 5},
    "empty query": {"query": ""},
    "query not a string": {"query": 5},
}
"""Requests the view leaves to the ordinary path without looking for a plan."""

REFUSED: dict[str, dict[str, Any]] = {
    "variables defined": {"query": "query($s: Boolean = true) { gateways { id @skip(if: $s) } }"},
    "mutation": {"query": 'mutation { stopSms(gatewayId: "office", taskId: 1) }'},
    "field with arguments": {"query": '{ gateway(id: "office") { id portCount } }'},
    "async field": {"query": "{ gateways { id queueLength } }"},
    "root smsResults": {"query": "{ smsResults { number } }"},
    "nested smsResults": {"query": "{ gateways { ports { smsResults { number } } } }"},
    "introspection": {"query": "{ __schema { queryType { name } } }"},
    "subscription": {"query": "subscription { smsResults { number } }"},
    "syntax error": {"query": "{ gateways { id "},
    "validation error": {"query": "{ gateways { id nope } }"},
    "too deep": {"query": DEEP},
    "unknown operationName": {"query": TWO, "operationName": "C"},
    "operationName on an anonymous query": {"query": SMALL, "operationName": "X"},
}
"""Documents looked up once and not planned: the cache keeps None for them."""


class Answer(NamedTuple):
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class Apps(NamedTuple):
    planned: Facade
    stock: Facade


@contextlib.asynccontextmanager
async def apps(**server: Any) -> AsyncIterator[Apps]:
    """Two started apps, one ``office`` gateway each: as served, and with plans off."""
    pair = Apps(Facade(), Facade())
    try:
        for facade in pair:
            facade.add_device("office")
            await facade.start(**server)
        view(pair.stock)._plans = None
        view(pair.stock).direct = False
        yield pair
    finally:
        for facade in pair:
            await facade.aclose()


def view(facade: Facade) -> Any:
    return facade.app.state.graphql


def plans(facade: Facade) -> OperationPlans:
    found = view(facade).schema.pipeline.plans
    assert view(facade)._plans is found is not None
    return found


async def post(
    facade: Facade, body: Any, *, accept: str = JSON, token: str | None = None
) -> Answer:
    """One POST as a client sends it: everything the client sees of the answer."""
    headers = {"accept": accept}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    response = await (await facade.start()).post("/graphql", json=body, headers=headers)
    return Answer(response.status_code, response.headers.raw, response.content)


def count_runs(facade: Facade, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The requests no plan answered: those that reach Strawberry's ``run``, or
    ``execute_single`` from the view's direct path (once each, not both)."""
    runs: list[object] = []
    served = view(facade)
    original_run, original_execute = served.run, served.execute_single
    inside_run = False

    async def run(request: Any) -> Any:
        nonlocal inside_run
        runs.append(request)
        inside_run = True
        try:
            return await original_run(request)
        finally:
            inside_run = False

    async def execute_single(*args: Any, **kwargs: Any) -> Any:
        if not inside_run:
            runs.append(args[0] if args else kwargs["request"])
        return await original_execute(*args, **kwargs)

    monkeypatch.setattr(served, "run", run)
    monkeypatch.setattr(served, "execute_single", execute_single)
    return runs


MS = re.compile(r" in \d+\.\d ms")
FIELDS = ("event", "operation_name", "operation_type", "rest_calls", "outcome", "error_codes")
"""A log line's ``extra`` fields but its duration, which only needs to be there."""


def logged(caplog: pytest.LogCaptureFixture) -> list[tuple[Any, ...]]:
    """The facade's log lines so far, durations left out; the capture is cleared."""
    lines = [
        (
            record.name,
            record.levelname,
            MS.sub("", record.getMessage()),
            {name: getattr(record, name) for name in FIELDS if hasattr(record, name)},
            hasattr(record, "duration_ms"),
            bool(record.exc_info),
        )
        for record in caplog.records
        if record.name.startswith("ultiroam_graphql")
    ]
    caplog.clear()
    return lines


SERIES = ("ultiroam_graphql_operations_total", "ultiroam_graphql_operation_duration_seconds_count")


async def operations(facade: Facade) -> Counter[Any]:
    """The operation counter and duration-histogram count, every label set."""
    samples = await scrape(await facade.start())
    return Counter({key: value for key, value in samples.items() if key[0] in SERIES})


def key(body: dict[str, Any]) -> tuple[str, str | None]:
    return body["query"], body.get("operationName") or None


async def observe(
    facade: Facade, caplog: pytest.LogCaptureFixture, bodies: list[Any], accept: str = JSON
) -> tuple[list[Answer], list[tuple[Any, ...]], Counter[Any]]:
    """The answers to ``bodies``, the log lines they caused, and the operation metrics' growth."""
    before = await operations(facade)
    caplog.clear()
    answers = [await post(facade, body, accept=accept) for body in bodies]
    lines = logged(caplog)
    return answers, lines, await operations(facade) - before  # the series that grew


@pytest.mark.parametrize("name", PLANNED)
async def test_a_planned_query_answers_the_same_bytes(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = PLANNED[name]
    async with apps() as pair:
        runs = count_runs(pair.planned, monkeypatch)
        for accept in (*ACCEPTS, *ALSO_ACCEPTED):
            expected = await post(pair.stock, body, accept=accept)
            assert expected.status == 200 and b'"errors"' not in expected.body
            assert await post(pair.planned, body, accept=accept) == expected  # planned now
            assert await post(pair.planned, body, accept=accept) == expected  # from the cache
        assert runs == []
        cache = plans(pair.planned)
        assert list(cache._plans) == [key(body)]
        assert isinstance(cache.find(*key(body), view(pair.planned).gateways), PlannedOperation)


@pytest.mark.parametrize("name", [*BYPASSED, *REFUSED])
async def test_anything_else_is_left_to_the_ordinary_path(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = BYPASSED.get(name) or REFUSED[name]
    async with apps() as pair:
        runs = count_runs(pair.planned, monkeypatch)
        for accept in ACCEPTS:
            expected = await post(pair.stock, body, accept=accept)
            assert await post(pair.planned, body, accept=accept) == expected
        assert len(runs) == len(ACCEPTS)
        cache = plans(pair.planned)
        if name in BYPASSED or name == "syntax error":  # a text that does not parse: not kept
            assert len(cache) == 0
        else:
            assert dict(cache._plans) == {key(body): None}
            assert cache.find(*key(body), view(pair.planned).gateways) is None


@pytest.mark.parametrize("body", [{"query": SMALL}, BYPASSED["variables"], [{"query": SMALL}]])
async def test_the_media_type_is_read_without_regard_to_case(body: Any) -> None:
    """``Application/JSON`` is JSON on every path: planned, direct and Strawberry's run."""
    async with apps() as pair:
        answers = []
        for facade in pair:
            api = await facade.start()
            response = await api.post(
                "/graphql", json=body, headers={"content-type": "Application/JSON; charset=UTF-8"}
            )
            answers.append(Answer(response.status_code, response.headers.raw, response.content))
        assert answers[0] == answers[1]
        assert answers[0].status == (200 if isinstance(body, dict) else 400)  # no batching


async def test_the_depth_limit_case_is_refused_by_the_limit() -> None:
    """``DEEP`` above means what it says: the default limit refuses it."""
    async with apps() as pair:
        answer = await post(pair.planned, {"query": DEEP})
        assert b"exceeds maximum operation depth" in answer.body


@pytest.mark.parametrize("accept", ACCEPTS)
async def test_tokens_are_checked_before_any_plan(
    accept: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with apps(api_tokens=["secret"]) as pair:
        runs = count_runs(pair.planned, monkeypatch)
        body = {"query": SMALL}
        for token in ("secret", None, "wrong"):
            expected = await post(pair.stock, body, accept=accept, token=token)
            assert await post(pair.planned, body, accept=accept, token=token) == expected
            assert expected.status == (200 if token == "secret" else 401)
        refused = await post(pair.planned, body, accept=accept)
        assert refused == await post(pair.planned, body, accept=accept, token="wrong")
        assert runs == []
        assert list(plans(pair.planned)._plans) == [key(body)]


async def test_one_log_line_and_one_observation_per_operation(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="ultiroam_graphql")
    names = ("small", "operationName B", "operationName empty", "aliases")
    bodies = [PLANNED[name] for name in names] * 2
    async with apps() as pair:
        runs = count_runs(pair.planned, monkeypatch)
        planned = await observe(pair.planned, caplog, bodies)
        assert planned == await observe(pair.stock, caplog, bodies)
        assert runs == []
    _, lines, counted = planned
    assert [line[0] for line in lines] == ["ultiroam_graphql.operations"] * len(bodies)
    assert [line[3]["operation_name"] for line in lines[:4]] == [None, "B", "A", None]
    assert sorted(counted.values()) == [len(bodies)] * 2  # the counter, the histogram


async def test_direct_answers_log_and_count_as_strawberrys_do(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests the view answers directly without a plan: REST calls, errors, refusals."""
    caplog.set_level(logging.INFO, logger="ultiroam_graphql")
    bodies = [
        BYPASSED["variables"],
        {"query": "query($p: [Int!]) { smsResults(filter: {ports: $p}) { number } }"},
        {"query": "{ smsResults(filter: {ports: [40]}) { number } }"},  # an input error
        REFUSED["validation error"],
        REFUSED["mutation"],
        BYPASSED["empty query"],
    ]
    async with apps() as pair:
        runs = count_runs(pair.planned, monkeypatch)
        direct = await observe(pair.planned, caplog, bodies)
        assert direct == await observe(pair.stock, caplog, bodies)
        assert len(runs) == len(bodies)
        devices = [facade.devices["office"].calls for facade in pair]
        assert devices[0] == devices[1] and devices[0]["query_sms_result"] == 1
    assert len(direct[1]) == len(bodies)  # one line each


class Settings:
    """A gateway's settings whose port count is ``ports``, raised when it is an exception."""

    def __init__(self, settings: Any, ports: object) -> None:
        self._settings = settings
        self._ports = ports

    def __getattr__(self, name: str) -> Any:
        return getattr(self._settings, name)

    @property
    def ports(self) -> object:
        if isinstance(self._ports, Exception):
            raise self._ports
        return self._ports


def broken_root(client: Any) -> Gateway:
    raise RuntimeError("a bug in a root resolver")


FAULTS: dict[str, tuple[str, object]] = {
    "portCount raises": ("ports", RuntimeError("a bug in portCount")),
    "portCount is a string": ("ports", "x"),
    "portCount is null": ("ports", None),
    "portCount is past Int": ("ports", 2**40),
    "the root resolver raises": ("root", None),
}


def break_(monkeypatch: pytest.MonkeyPatch, pair: Apps, where: str, value: object) -> None:
    """The same fault in both apps: the port count (or the serial number) made ``value``."""
    for facade in pair:
        client = facade.clients["office"]
        if where == "sn":
            monkeypatch.setattr(client, "sn", value)
        elif where == "ports":
            monkeypatch.setattr(client, "settings", Settings(client.settings, value))
        else:
            monkeypatch.setattr(Gateway, "of", broken_root)


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("accept", ACCEPTS)
async def test_a_plan_that_gives_up_leaves_only_the_ordinary_answer(
    fault: str, accept: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="ultiroam_graphql")
    async with apps() as pair:
        runs = count_runs(pair.planned, monkeypatch)
        break_(monkeypatch, pair, *FAULTS[fault])
        planned = await observe(pair.planned, caplog, [{"query": SMALL}], accept)
        assert planned == await observe(pair.stock, caplog, [{"query": SMALL}], accept)
        assert len(runs) == 1  # planned, tried, given up: the ordinary path ran it once
        assert isinstance(plans(pair.planned)._plans[(SMALL, None)], PlannedOperation)
    [answer], lines, counted = planned
    assert b'"errors"' in answer.body
    operation_lines = [line[3] for line in lines if line[0] == "ultiroam_graphql.operations"]
    assert [line["outcome"] for line in operation_lines] == ["error"]
    assert sorted(counted.values()) == [1, 1]


COERCED: dict[str, tuple[str, object]] = {
    "sn an int": ("sn", 5),
    "sn a bool": ("sn", True),
    "sn a string": ("sn", "SN-1"),
    "portCount a bool": ("ports", True),
    "portCount a whole float": ("ports", 3.0),
    "portCount a numeric string": ("ports", "3"),
}


@pytest.mark.parametrize("case", COERCED)
async def test_values_a_plan_coerces_itself(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Values of another type that graphql-core coerces: the plan answers the same, itself."""
    async with apps() as pair:
        runs = count_runs(pair.planned, monkeypatch)
        break_(monkeypatch, pair, *COERCED[case])
        body = {"query": "{ gateways { sn portCount } }"}
        expected = await post(pair.stock, body)
        assert b'"errors"' not in expected.body
        assert await post(pair.planned, body) == expected
        assert runs == []


async def test_the_cache_is_bounded_and_keyed_by_query_and_operation_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    one, other = "{ gateways { id } }", "{ gateways { sn } }"
    async with apps() as pair:
        cache = plans(pair.planned)
        monkeypatch.setattr(cache, "_maxsize", 3)
        for name in ("A", "B", "", None):  # "" names no operation, as null does
            await post(pair.planned, {"query": TWO, "operationName": name})
        assert list(cache._plans) == [(TWO, "A"), (TWO, "B"), (TWO, None)]
        for query in (one, other):
            await post(pair.planned, {"query": query})
        assert list(cache._plans) == [(TWO, None), (one, None), (other, None)]
        body = {"query": TWO, "operationName": "A"}  # dropped: planned again, same answer
        assert await post(pair.planned, body) == await post(pair.stock, body)
        assert list(cache._plans) == [(one, None), (other, None), (TWO, "A")]
        await post(pair.planned, {"query": one})  # used again: the last to go
        await post(pair.planned, {"query": TWO})
        assert list(cache._plans) == [(TWO, "A"), (one, None), (TWO, None)]


async def test_long_texts_are_left_to_the_ordinary_path(monkeypatch: pytest.MonkeyPatch) -> None:
    padded = "{ gateways { id portCount } }" + " " * MAX_PLANNED_QUERY
    named = "query " + "Q" * (MAX_PLANNED_NAME + 1) + " { gateways { id } }"
    async with apps() as pair:
        runs = count_runs(pair.planned, monkeypatch)
        for body in ({"query": padded}, {"query": named, "operationName": "Q" * 257}):
            assert await post(pair.planned, body) == await post(pair.stock, body)
        assert len(runs) == 2 and len(plans(pair.planned)) == 0


async def test_get_queries_are_never_planned(monkeypatch: pytest.MonkeyPatch) -> None:
    async with apps() as pair:
        runs = count_runs(pair.planned, monkeypatch)
        answers = []
        for facade in pair:
            api = await facade.start()
            for accept in ACCEPTS:
                response = await api.get(
                    "/graphql", params={"query": SMALL}, headers={"accept": accept}
                )
                assert response.status_code == 200
                answers.append(Answer(response.status_code, response.headers.raw, response.content))
        assert answers[:2] == answers[2:]
        assert len(runs) == 2
        assert len(plans(pair.planned)) == 0


async def test_rest_calls_are_those_of_the_ordinary_path() -> None:
    def rest_calls(facade: Facade) -> int:
        return sum(device.calls.total() for device in facade.devices.values())

    async with apps() as pair:
        for facade in pair:
            await post(facade, {"query": SMALL})
            assert rest_calls(facade) == 0
        for facade in pair:
            await post(facade, {"query": "{ gateways { id queueLength } }"})
        assert rest_calls(pair.planned) == rest_calls(pair.stock) == 1
