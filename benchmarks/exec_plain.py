"""Issue #10, target 2, the executor's part: completing sending results, stock vs compiled.

In-process, no HTTP. Per size (``--sizes``), the same ``smsResults``-shaped selection (every
field of ``SmsResult`` and ``port { index }``) over the same result objects, completed by
Strawberry's stock executor and by ``CompiledExecutor``; answers checked equal first. Three views:

* ``executor``: ``graphql.execute`` on a root whose plain field holds the objects: completion
  alone, the part the compiled plans replace;
* ``schema``: the facade's own schema as ``build_schema`` makes it (parsing, validation, its
  extensions, the real ``smsResults`` resolver over records a fake loader hands out), through
  ``Schema.execute``, built once with each executor class;
* ``+ resolve hook``: the ``executor`` view with a Strawberry extension that has a no-op
  ``resolve`` hook: graphql-core then wraps every field in it, and plans stand down (stock only).

ABBA rounds, median per view; prints microseconds per result and the stock/compiled ratio.

    .venv/bin/python benchmarks/exec_plain.py
    .venv/bin/python benchmarks/exec_plain.py --sizes 100,3000,10000 --rounds 9
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any
from unittest import mock

import strawberry
from graphql import ExecutionResult, execute, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from ultiroam_graphql.gateway import SmsResultRecord
from ultiroam_graphql.schema import Context, Gateway, SmsResult, build_schema, root
from ultiroam_graphql.schema.execution import CompiledExecutor, plan_cache
from ultiroam_graphql.schema.scalars import SCALAR_MAP

STOCK = StrawberryGraphQLCoreExecutionContext
FIELDS = "number userId time status rawStatus count succCount refId imsi cursor port { index }"
QUERY = f"{{ smsResults {{ {FIELDS} }} }}"


@strawberry.type
class Root:
    sms_results: list[SmsResult]


class ResolveHook(SchemaExtension):
    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        return _next(root, info, *args, **kwargs)


def records(count: int) -> list[SmsResultRecord]:
    statuses = ("DELIVERED", "SENT_OK", "FAILED", "SENDING")
    return [
        SmsResultRecord(
            gateway_id="office",
            port=i % 32,
            number=f"+3361234{i:04d}",
            user_id=i,
            time=datetime(2024, 5, 3, 10, i % 60, i % 60, tzinfo=UTC),
            status=statuses[i % 4],
            count=1,
            succ_count=1,
            ref_id=i % 256,
            imsi="208150000000001" if i % 3 else None,
        )
        for i in range(count)
    ]


class Loader:
    """Hands the same records to the real ``smsResults`` resolver, as the gateway would."""

    def __init__(self, found: list[SmsResultRecord]) -> None:
        self.found = found

    async def load(self, key: Any) -> list[SmsResultRecord]:
        return self.found


def facade_schema(executor: type) -> strawberry.Schema:
    """The facade's schema as ``build_schema`` makes it, with this executor class."""
    with mock.patch.object(root, "CompiledExecutor", executor):
        schema = build_schema()
    assert schema.execution_context_class is executor
    return schema


def views(size: int, runner: asyncio.Runner) -> dict[str, tuple[Callable[[type], Any], Any]]:
    """Per view: run(executor class) -> data, and the GraphQL schema its plans are kept for."""
    found = records(size)
    client = SimpleNamespace(id="office", sn=None, settings=SimpleNamespace(ports=32))
    gateway = Gateway.of(client)  # type: ignore[arg-type]
    root = Root(sms_results=[SmsResult.from_record(record, gateway) for record in found])
    config = StrawberryConfig(scalar_map=SCALAR_MAP)
    plain = strawberry.Schema(query=Root, config=config)
    hooked = strawberry.Schema(query=Root, config=config, extensions=[ResolveHook])
    facades = {cls: facade_schema(cls) for cls in (STOCK, CompiledExecutor)}
    document = parse(QUERY)

    def executor(cls: type) -> Any:
        result = execute(plain._schema, document, root, executor_class=cls)
        assert isinstance(result, ExecutionResult) and not result.errors
        return result.data

    def schema(cls: type) -> Any:
        context = Context({"office": client}, None, Loader(found), None)  # type: ignore[arg-type]
        result = runner.run(facades[cls].execute(QUERY, context_value=context))
        assert not result.errors, result.errors
        return result.data

    def hook(cls: type) -> Any:
        hooked.execution_context_class = cls
        result = hooked.execute_sync(QUERY, root_value=root)
        assert not result.errors, result.errors
        return result.data

    return {
        "executor": (executor, plain._schema),
        "schema": (schema, facades[CompiledExecutor]._schema),
        "+ resolve hook": (hook, hooked._schema),
    }


def median_seconds(run: Callable[[type], Any], rounds: int) -> tuple[float, float]:
    """ABBA rounds of stock and compiled: their median seconds."""
    times: dict[type, list[float]] = {STOCK: [], CompiledExecutor: []}
    order = [STOCK, CompiledExecutor, CompiledExecutor, STOCK]
    for index in range(rounds * 2):
        cls = order[index % 4]
        started = time.perf_counter()
        run(cls)
        times[cls].append(time.perf_counter() - started)
    return statistics.median(times[STOCK]), statistics.median(times[CompiledExecutor])


def measure(size: int, rounds: int, runner: asyncio.Runner) -> None:
    """One line per view for this many results."""
    for name, (run, schema) in views(size, runner).items():
        assert repr(run(STOCK)) == repr(run(CompiledExecutor)), name  # the key order too
        stock, compiled = median_seconds(run, rounds)
        stats = plan_cache(schema).stats
        used = "used" if stats.fast and not stats.redone else "stood down"
        per = 1e6 / size
        print(
            f"{name:<16}{size:>8}{stock * per:>17.2f}{compiled * per:>10.2f}"
            f"{stock / compiled:>7.1f}  {used}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,3000", help="results per query, comma-separated")
    parser.add_argument("--rounds", type=int, default=7, help="measured runs of each executor")
    args = parser.parse_args()
    print(f"{'view':<16}{'results':>8}{'stock us/result':>17}{'compiled':>10}{'ratio':>7}  plans")
    with asyncio.Runner() as runner:
        for size in (int(size) for size in args.sizes.split(",")):
            measure(size, args.rounds, runner)


if __name__ == "__main__":
    main()
