"""The compiled executor's own promises: plans are taken, reused, bounded, and stood down."""

from __future__ import annotations

import gc
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
import strawberry
from graphql import DocumentNode, ExecutionResult, execute, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from tests.support import Facade

from ultiroam_graphql.schema import execution, root
from ultiroam_graphql.schema.execution import CompiledExecutor, PlanStats, plan_cache
from ultiroam_graphql.schema.scalars import SCALAR_MAP
from ultiroam_graphql.schema.types import Gateway, Port, SmsResult, SmsStatus

STOCK = StrawberryGraphQLCoreExecutionContext


@strawberry.type
class Root:
    results: list[SmsResult]
    maybe_results: list[SmsResult | None] | None


SCHEMA = strawberry.Schema(query=Root, config=StrawberryConfig(scalar_map=SCALAR_MAP))
QUERY = """
query Results($all: Boolean!) {
  results {
    ...Sent
    kind: __typename
    number
    userId @include(if: $all)
    time
    where: port { index }
  }
}
fragment Sent on SmsResult { number status refId ... on SmsResult { port { index } } }
"""


def results(count: int, **broken: Any) -> list[SmsResult]:
    """Sending results; the third one gets the attributes in ``broken``."""
    client = SimpleNamespace(id="office", sn=None, settings=SimpleNamespace(ports=4))
    gateway = Gateway.of(client)  # type: ignore[arg-type]
    made = [
        SmsResult(
            gateway=gateway,
            port=Port(gateway=gateway, index=i % 4),
            number=f"+3361234{i:04d}",
            user_id=i,
            time=datetime(2024, 5, 3, 10, i % 60, tzinfo=UTC),
            status=SmsStatus.DELIVERED,
            raw_status="DELIVERED",
            count=1,
            succ_count=1,
            ref_id=i % 256,
            imsi=None,
        )
        for i in range(count)
    ]
    for name, value in broken.items():
        setattr(made[2], name, value)
    return made


def both(document: DocumentNode, root: Root, **kwargs: Any) -> tuple[ExecutionResult, dict]:
    """The compiled result and what the plans did, after checking it is the stock result."""
    stock = execute(SCHEMA._schema, document, root, executor_class=STOCK, **kwargs)
    stats = plan_cache(SCHEMA._schema).stats
    before = {name: getattr(stats, name) for name in PlanStats.__slots__}
    result = execute(SCHEMA._schema, document, root, executor_class=CompiledExecutor, **kwargs)
    cost = {name: getattr(stats, name) - before[name] for name in PlanStats.__slots__}
    assert isinstance(result, ExecutionResult) and isinstance(stock, ExecutionResult)
    assert repr(result.data) == repr(stock.data)  # the key order too
    assert [e.formatted for e in result.errors or ()] == [e.formatted for e in stock.errors or ()]
    return result, cost


def test_a_list_of_plain_results_is_one_compiled_completion() -> None:
    result, cost = both(
        parse(QUERY), Root(results=results(100), maybe_results=None), variable_values={"all": True}
    )
    assert cost == {"compiled": 1, "reused": 0, "fast": 1, "mixed": 0, "redone": 0}
    first = result.data["results"][0]  # type: ignore[index]
    assert list(first) == ["number", "status", "refId", "port", "kind", "userId", "time", "where"]
    assert first["status"] == "DELIVERED" and first["time"] == "2024-05-03T10:00:00+00:00"


def test_a_document_run_again_compiles_nothing_for_the_same_directives() -> None:
    document, root = parse(QUERY), Root(results=results(10), maybe_results=None)
    costs = [both(document, root, variable_values={"all": a})[1] for a in (True, False, True)]
    assert [(c["compiled"], c["reused"], c["fast"]) for c in costs] == [
        (1, 0, 1),
        (1, 0, 1),
        (0, 1, 1),
    ]


def test_one_broken_result_is_redone_alone_with_graphql_cores_error() -> None:
    document = parse("{ maybeResults { number port { index } } }")
    result, cost = both(document, Root(results=[], maybe_results=results(10, number=None)))
    # the list, then its broken item, are redone; graphql-core stops that item at its number
    assert cost == {"compiled": 2, "reused": 0, "fast": 9, "mixed": 0, "redone": 2}
    assert result.data["maybeResults"][2] is None  # type: ignore[index]
    assert [e.path for e in result.errors or ()] == [["maybeResults", 2, "number"]]


def test_a_field_with_arguments_beside_plain_fields_makes_a_mixed_plan() -> None:
    document = parse("{ results { number gateway { port(index: 1) { index } } refId } }")
    result, cost = both(document, Root(results=results(5), maybe_results=None))
    # plans for the list (none: its items are not plain), for a result, for Gateway (none: its
    # selected field takes an argument) and for the port graphql-core resolved
    assert cost == {"compiled": 4, "reused": 0, "fast": 5, "mixed": 5, "redone": 0}
    assert list(result.data["results"][0]) == ["number", "gateway", "refId"]  # type: ignore[index]


def test_a_resolver_of_the_object_alone_is_planned_like_a_plain_field() -> None:
    document = parse("{ results { number gateway { id sn portCount } refId } }")
    result, cost = both(document, Root(results=results(5), maybe_results=None))
    assert cost == {"compiled": 1, "reused": 0, "fast": 1, "mixed": 0, "redone": 0}
    assert result.data["results"][0]["gateway"] == {  # type: ignore[index]
        "id": "office",
        "sn": None,
        "portCount": 4,
    }


def test_middleware_stands_the_fast_path_down() -> None:
    seen: list[str] = []

    def spy(next_: Any, root: Any, info: Any, **args: Any) -> Any:
        seen.append(info.field_name)
        return next_(root, info, **args)

    document = parse("{ results { number port { index } } }")
    _, cost = both(document, Root(results=results(3), maybe_results=None), middleware=[spy])
    assert cost == {"compiled": 0, "reused": 0, "fast": 0, "mixed": 0, "redone": 0}
    assert len(seen) == 2 * (1 + 3 * 3)  # stock, then compiled: every field still wrapped


class ResolveHook(SchemaExtension):
    calls = 0

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        ResolveHook.calls += 1
        return _next(root, info, *args, **kwargs)


def test_an_extension_with_a_resolve_hook_stands_it_down_too() -> None:
    hooked = strawberry.Schema(
        query=Root,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
        extensions=[ResolveHook],
        execution_context_class=CompiledExecutor,
    )
    root = Root(results=results(4), maybe_results=None)
    result = hooked.execute_sync("{ results { number } }", root_value=root)
    assert result.errors is None and len(result.data["results"]) == 4  # type: ignore[index]
    assert ResolveHook.calls == 1 + 4
    assert plan_cache(hooked._schema).stats == PlanStats()


def test_plans_go_with_their_document() -> None:
    cache = plan_cache(SCHEMA._schema)
    gc.collect()
    held = len(cache)
    document = parse("{ results { number } }")
    both(document, Root(results=results(3), maybe_results=None))
    assert len(cache) == held + 1
    del document
    gc.collect()
    assert len(cache) == held


def test_the_documents_held_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(execution, "MAX_OPERATIONS", 3)
    cache = plan_cache(SCHEMA._schema)
    documents = [parse(f"{{ results {{ number{' refId' * n} }} }}") for n in range(5)]
    for document in documents:
        both(document, Root(results=results(3), maybe_results=None))
    assert len(cache) == 3


# Through the whole app ---------------------------------------------------------------------------

APP_QUERIES = [
    (
        "{ smsResults { number userId time status rawStatus count succCount refId imsi cursor"
        " port { index } } }",
        {},
    ),
    (
        "query($p: Boolean!) { smsResults(filter: {ports: [1, 2, 3]}) { ...R a: number"
        " port @include(if: $p) { index } gateway { id sn } } }"
        " fragment R on SmsResult { status refId __typename }",
        {"p": True},
    ),
    (
        '{ gateway(id: "office") { ports { index smsResults { number status time }'
        " state { registration signal imsi } } } }",
        {},
    ),
]


async def served(executor: type, monkeypatch: pytest.MonkeyPatch) -> tuple[Facade, Any]:
    """The app over a simulated gateway, its schema built with this executor class."""
    facade = Facade()
    facade.add_device("office", ports=8).add_random_results(300)
    with monkeypatch.context() as patched:
        patched.setattr(root, "CompiledExecutor", executor)  # what build_schema names
        await facade.start()
    route = next(r for r in facade.app.routes if getattr(r, "path", "") == "/graphql")
    schema = route.endpoint.schema
    assert schema.execution_context_class is executor
    return facade, schema


async def test_the_app_answers_byte_for_byte_as_without_plans(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (compiled, schema), (stock, stock_schema) = [
        await served(executor, monkeypatch) for executor in (CompiledExecutor, STOCK)
    ]
    try:
        stats = plan_cache(schema._schema).stats
        planned, answers = [], []
        for query, variables in APP_QUERIES * 2:  # the second time, from the plans kept
            before = (stats.fast, stats.mixed, stats.compiled)
            body = {"query": query, "variables": variables}
            ours = await (await compiled.start()).post("/graphql", json=body)
            theirs = await (await stock.start()).post("/graphql", json=body)
            planned.append(
                tuple(
                    now - was
                    for now, was in zip(
                        (stats.fast, stats.mixed, stats.compiled), before, strict=True
                    )
                )
            )
            assert ours.status_code == theirs.status_code == 200
            assert ours.content == theirs.content
            assert b'"errors"' not in ours.content
            answers.append(ours.json()["data"])
    finally:
        await compiled.aclose()
        await stock.aclose()
    assert plan_cache(stock_schema._schema).stats == PlanStats()  # the stock app used none
    assert stats.redone == 0
    device = compiled.devices["office"]
    filtered = len(answers[1]["smsResults"])
    assert filtered == sum(record.port in (1, 2, 3) for record in device.records) > 0
    states = sum(port["state"] is not None for port in answers[2]["gateway"]["ports"])
    # one list of results, twice (sn's resolver takes only its gateway: it is planned too);
    # 8 ports, each mixed, with a list of results and a port state each (a port without a SIM
    # has none); the second round compiles nothing
    done = [(1, 0), (1, 0), (8 + states, 8)]
    assert filtered > 1
    assert [p[:2] for p in planned] == done * 2
    assert [p[2] > 0 for p in planned] == [True] * 3 + [False] * 3
