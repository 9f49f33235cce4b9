"""The fast path against Strawberry's own, document by document: the same answer, the same
refusal, the same telemetry, the same REST calls, the same logged incidents.

Each case runs twice over fresh simulated gateways: through ``FacadeSchema.execute`` (the
pipeline, with the schema's extensions made unreachable) and through ``strawberry.Schema.execute``
on the same schema (the extension runner with the same extensions).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import strawberry
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType
from tests.support import Facade

from ultiroam_graphql.broker import broker_from_url
from ultiroam_graphql.schema import Context
from ultiroam_graphql.schema.root import FacadeSchema, Limits, build_schema

POST = frozenset({OperationType.QUERY, OperationType.MUTATION})
GET = frozenset({OperationType.QUERY})
DEFAULT = build_schema()
TIGHT = build_schema(Limits(max_depth=3, max_aliases=2, max_tokens=40, introspection=False))
DEEP = "{ gateways { ports { smsResults { port { index } } } } }"
TWO_OPERATIONS = 'query A { gateways { id } } query B { gateway(id: "office") { sn portCount } }'


@dataclass(frozen=True)
class Case:
    query: Any
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    allowed: frozenset[OperationType] = POST
    schema: FacadeSchema = DEFAULT
    gateways: tuple[str, ...] = ("office",)
    mutations_allowed: bool = False


CASES: dict[str, Case] = {
    "valid": Case("{ gateways { id portCount } }"),
    "valid with variables": Case(
        "query Q($id: ID!) { gateway(id: $id) { id ports { index } } }", {"id": "office"}
    ),
    "valid with REST calls": Case(
        "{ smsResults(filter: {ports: [0, 1]}) { number port { index } } }"
    ),
    "typename and fragments": Case(
        "query { __typename ...F } fragment F on Query { gateways { id sn } }"
    ),
    "syntax error": Case("{ gateways { id "),
    "not a document": Case("gateways"),
    "too many tokens": Case("{ gateways { " + "id " * 40 + "} }", schema=TIGHT),
    "tokens enough by default": Case("{ gateways { " + "id " * 40 + "} }"),
    "too deep": Case(DEEP, schema=TIGHT),
    "deep enough by default": Case(DEEP),
    "too many aliases": Case(
        "{ a: gateways { id } b: gateways { id } c: gateways { id } }", schema=TIGHT
    ),
    "introspection off": Case("{ __schema { queryType { name } } }", schema=TIGHT),
    "introspection on": Case('{ __type(name: "Gateway") { name fields { name } } }'),
    "unknown field": Case("{ gateways { id nope } }"),
    "several validation errors": Case("{ nope gateways { nope } gateway { id } }"),
    "missing variable": Case("query($id: ID!) { gateway(id: $id) { id } }", {}),
    "variable of the wrong type": Case(
        'query($i: Int!) { gateway(id: "office") { port(index: $i) { index } } }', {"i": "one"}
    ),
    "unknown gateway": Case('{ gateways { id smsResults { number } } gateway(id: "nope") { id } }'),
    "port out of range": Case("{ gateways { smsResults(filter: {ports: [999]}) { number } } }"),
    "port out of range by variable": Case(
        "query($p: [Int!]) { smsResults(filter: {ports: $p}) { number } }", {"p": [0, -1]}
    ),
    "mutation over GET": Case('mutation { stopSms(gatewayId: "office", taskId: 1) }', allowed=GET),
    "mutation refused by the context": Case('mutation { stopSms(gatewayId: "office", taskId: 1) }'),
    "mutation allowed": Case(
        'mutation { setPortState(gatewayId: "office", port: 0, action: RESET) }',
        mutations_allowed=True,
    ),
    "invalid mutation over GET": Case("mutation { nope }", allowed=GET),
    "subscription over HTTP": Case("subscription { smsResults { number } }"),
    "nothing allowed": Case("{ gateways { id } }", allowed=frozenset()),
    "operationName chooses B": Case(TWO_OPERATIONS, operation_name="B"),
    "operationName chooses A": Case(TWO_OPERATIONS, operation_name="A"),
    "no operationName among several": Case(TWO_OPERATIONS),
    "unknown operationName": Case(TWO_OPERATIONS, operation_name="C"),
    "operationName that is no GraphQL name": Case(TWO_OPERATIONS, operation_name="B; drop"),
    "only fragments": Case("fragment F on Query { gateways { id } }"),
    "empty query": Case(""),
    "no query": Case(None),
    "gateway failures": Case(
        "{ gateways { id portCount smsResults { number } } }", gateways=("office", "down", "down2")
    ),
    "gateway failures beside data": Case(
        "{ smsResults { number gateway { id } } }", gateways=("office", "down", "down2")
    ),
    "a bug below a gateway": Case(
        "{ gateways { id smsResults { number } } }", gateways=("office", "buggy")
    ),
}


def down() -> httpx.MockTransport:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    return httpx.MockTransport(refuse)


def buggy() -> httpx.MockTransport:
    def fail(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("a bug below the client")

    return httpx.MockTransport(fail)


@dataclass
class Observer:
    seen: list[tuple[str, str]] = field(default_factory=list)

    def operation_finished(self, operation_type: str, outcome: str, seconds: float) -> None:
        self.seen.append((operation_type, outcome))


async def run(case: Case, caplog: pytest.LogCaptureFixture, *, fast: bool) -> dict[str, Any]:
    """Everything a client, the metrics and the logs see of one operation."""
    facade = Facade()
    transports = {"down": down(), "down2": down(), "buggy": buggy()}
    for gateway_id in case.gateways:
        facade.add_device(gateway_id, transport=transports.get(gateway_id))
    observer = Observer()
    request = SimpleNamespace(scope={"app": SimpleNamespace(state=SimpleNamespace())})
    request.scope["app"].state.operation_observer = observer
    context = Context.create(
        facade.clients,
        broker_from_url("memory://"),
        mutations_allowed=case.mutations_allowed,
        request=request,
    )
    execute = case.schema.execute if fast else strawberry.Schema.execute.__get__(case.schema)
    caplog.clear()
    seen: dict[str, Any] = {}
    try:
        result = await execute(
            case.query,
            variable_values=case.variables,
            context_value=context,
            operation_name=case.operation_name,
            allowed_operation_types=case.allowed,
        )
    except CannotGetOperationTypeError as exc:
        seen["refused"] = ("CannotGetOperationTypeError", exc.as_http_error_reason())
    except InvalidOperationTypeError as exc:
        seen["refused"] = ("InvalidOperationTypeError", exc.operation_type)
    except Exception as exc:  # MissingQueryError: the transport answers it
        seen["refused"] = (type(exc).__name__, str(exc))
    else:
        seen["result"] = (
            type(result).__name__,
            result.data,
            [error.formatted for error in result.errors or ()],
            result.extensions,
        )
    finally:
        await facade.aclose()
    seen["observed"] = observer.seen
    seen["logs"] = [_logged(record) for record in caplog.records]
    seen["calls"] = {gid: dict(device.calls) for gid, device in facade.devices.items()}
    return seen


def _logged(record: logging.LogRecord) -> tuple[Any, ...]:
    if getattr(record, "event", None) == "graphql_operation":
        fields = ("operation_name", "operation_type", "rest_calls", "outcome", "error_codes")
        return (record.name, record.levelname, *(getattr(record, f) for f in fields))
    return (record.name, record.levelname, record.getMessage(), bool(record.exc_info))


@pytest.mark.parametrize("name", CASES)
async def test_the_fast_path_answers_as_strawberry_does(
    name: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES[name]
    caplog.set_level(logging.INFO, logger="ultiroam_graphql")
    stock = await run(case, caplog, fast=False)

    def no_extensions(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the fast path ran the extension runner")

    if isinstance(case.query, str):  # anything else takes Strawberry's path on purpose
        monkeypatch.setattr(case.schema, "get_extensions", no_extensions)
    fast = await run(case, caplog, fast=True)
    assert fast == stock
    assert len(stock["observed"]) == 1  # one observation, one log line per operation
    assert [log[0] for log in stock["logs"]].count("ultiroam_graphql.operations") == 1


async def test_the_cases_reach_every_outcome(caplog: pytest.LogCaptureFixture) -> None:
    """The cases mean what they say: each kind of answer is among them."""
    kinds = {}
    for name in ("valid", "syntax error", "too deep", "unknown gateway", "unknown operationName"):
        seen = await run(CASES[name], caplog, fast=True)
        if "refused" in seen:
            kinds[name] = seen["refused"][0]
        else:
            kinds[name] = seen["result"][0] + (" with data" if seen["result"][1] else "")
    assert kinds == {
        "valid": "ExecutionResult with data",
        "syntax error": "PreExecutionError",
        "too deep": "PreExecutionError",
        "unknown gateway": "ExecutionResult",
        "unknown operationName": "CannotGetOperationTypeError",
    }
