"""The compiled executor against graphql-core's own, on generated queries and generated values.

Each example runs one query twice, with Strawberry's stock executor and with ``CompiledExecutor``,
over values built afresh from one generated description (awaitables and exceptions are new each
time), and demands the same ``ExecutionResult``: data with its key order, and every error's
message, path, locations and cause. Queries mix aliases (merged response names too), inline and
named fragments, ``__typename``, @skip/@include with literals and variables, arguments. Values
are often invalid on purpose: null where not allowed, values a scalar or enum cannot coerce,
exceptions, awaitables, iterables that are not lists.

Two schemas: a test root whose plain fields hold the facade's own object types (values set
directly), and the facade's real schema over fake gateways (values come from gateway records
through the real resolvers). ``ULTIROAM_DIFF_EXAMPLES`` sets the examples of each test.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, NewType

import strawberry
from graphql import (
    ExecutionResult,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    execute,
    get_named_type,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
    parse,
    validate,
    visit,
)
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from ultiroam_graphql.gateway import SmsResultRecord
from ultiroam_graphql.schema import Context, Gateway, SmsStatus, build_schema
from ultiroam_graphql.schema.device import CallRecord, GatewayStatus, PortState
from ultiroam_graphql.schema.execution import CompiledExecutor, plan_cache
from ultiroam_graphql.schema.reports import IncomingSms
from ultiroam_graphql.schema.scalars import SCALAR_MAP
from ultiroam_graphql.schema.types import Port, SmsResult

STOCK = StrawberryGraphQLCoreExecutionContext
SETTINGS = settings(
    max_examples=int(os.environ.get("ULTIROAM_DIFF_EXAMPLES", "100")),
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _anything(value: object) -> object:
    return None if value == "" else value


Anything = NewType("Anything", object)
ANYTHING = strawberry.scalar(
    name="Anything",
    serialize=_anything,
    parse_value=_anything,
    description="Any value as it is, but nothing for an empty string: a lax custom scalar.",
)


@strawberry.type
class Sample:
    """Shapes the facade's types lack: lists of leaves, nested lists, floats, IDs, a resolver."""

    tags: list[str] | None
    names: list[str]
    anything: Anything | None
    extras: list[Anything] | None
    codes: list[int | None]
    statuses: list[SmsStatus] | None
    grid: list[list[int]] | None
    when: datetime | None
    ratio: float | None
    flag: bool
    ident: strawberry.ID | None
    result: SmsResult | None

    @strawberry.field
    def label(self) -> str:
        return "on" if self.flag is True else "off"  # whatever the flag holds

    @strawberry.field
    def strict(self) -> str | None:  # planned, and it raises: redone by graphql-core
        if not isinstance(self.flag, bool):
            raise TypeError(f"flag is a {type(self.flag).__name__}")  # no address: runs differ
        return self.tags[0] if self.tags else None

    @strawberry.field
    def mirrored(self, root: strawberry.Parent[Sample]) -> Anything | None:  # type: ignore[valid-type]
        return root.anything if root is self else "not the parent"

    @strawberry.field
    def word(self, upper: bool = False) -> str:  # an argument: never planned
        return "LABEL" if upper else "label"

    @strawberry.field
    def where(self, info: strawberry.Info) -> str:  # info: never planned
        return ".".join(str(key) for key in info.path.as_list())


@strawberry.type
class Root:
    results: list[SmsResult]
    maybe_results: list[SmsResult | None] | None
    result: SmsResult | None
    port: Port
    states: list[PortState] | None
    status: GatewayStatus | None
    calls: list[CallRecord] | None
    incoming: list[IncomingSms] | None
    sample: Sample | None
    samples: list[Sample] | None


TEST_SCHEMA = strawberry.Schema(
    query=Root, config=StrawberryConfig(scalar_map={**SCALAR_MAP, Anything: ANYTHING})
)
REAL_SCHEMA = build_schema()

# Queries ----------------------------------------------------------------------------------------

Arguments = Callable[[str, str], tuple[str, ...] | None]
"""(type, field) -> argument strings to draw from (("",) for none); None: never selected."""

MAX_DEPTH = 4
KINDS = ("field",) * 7 + ("typename", "inline", "spread")
ALIASES = ("", "", "", "{}A: ", "twin: ")
DIRECTIVES = ("",) * 8 + (
    " @skip(if: true)",
    " @skip(if: false)",
    " @include(if: true)",
    " @include(if: false)",
    " @skip(if: $s)",
    " @include(if: $i)",
    " @include(if: $i) @skip(if: $s)",
)
FAVOURED = {"sample": 3, "samples": 4, "anything": 6, "extras": 4, "names": 3, "codes": 3}
FAVOURED |= {"grid": 3, "count": 2, "refId": 2}
VARIABLES = {"s": "Boolean!", "i": "Boolean! = true", "n": "Int!"}


@dataclass
class Document:
    fragments: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (type, body)
    budget: int = 24  # selections left: queries stay small enough to run by the hundred

    def text(self, selection: str) -> str:
        body = f"{{ {selection} }}" + "".join(
            f" fragment {name} on {on} {{ {inner} }}"
            for name, (on, inner) in self.fragments.items()
        )
        used = sorted(set(re.findall(r"\$(\w+)", body)))
        return (
            f"query Q({', '.join(f'${v}: {VARIABLES[v]}' for v in used)}) {body}" if used else body
        )


def selection_set(
    draw: Any, on: GraphQLObjectType, depth: int, doc: Document, args: Arguments
) -> str:
    """Fields (some more likely), aliases, __typename, fragments, @skip and @include."""
    fields = tuple(
        (name, options)
        for name, definition in on.fields.items()
        if (options := args(on.name, name)) is not None
        and (depth < MAX_DEPTH or is_leaf_type(get_named_type(definition.type)))
        for _ in range(
            FAVOURED.get(name, 1 if is_leaf_type(get_named_type(definition.type)) else 2)
        )
    )
    parts = []
    for index in range(draw(st.integers(1, 6))):
        if index and doc.budget <= 0:
            break
        doc.budget -= 1
        kind, directive = draw(st.sampled_from(KINDS)), draw(st.sampled_from(DIRECTIVES))
        if kind == "typename" or not fields:
            alias = draw(st.sampled_from(("", "", "kind: ", "__typename: ")))
            parts.append(f"{alias}__typename{directive}")
        elif kind == "inline":
            condition = draw(st.sampled_from(("", f" on {on.name}")))
            inner = selection_set(draw, on, depth, doc, args)
            parts.append(f"...{condition}{directive} {{ {inner} }}")
        elif kind == "spread":
            known = tuple(name for name, (type_, _) in doc.fragments.items() if type_ == on.name)
            name = draw(st.sampled_from((*known, ""))) if known else ""
            if not name and len(doc.fragments) < 3:
                name = f"F{len(doc.fragments)}"
                doc.fragments[name] = (on.name, "__typename")  # the name is taken from here on
                doc.fragments[name] = (on.name, selection_set(draw, on, depth, doc, args))
            parts.append(f"...{name}{directive}" if name else "__typename")
        else:
            name, options = draw(st.sampled_from(fields))
            alias = draw(st.sampled_from(ALIASES)).format(name)
            sub, inner = get_named_type(on.fields[name].type), ""
            if is_object_type(sub):
                inner = f" {{ {selection_set(draw, sub, depth + 1, doc, args)} }}"
            parts.append(f"{alias}{name}{draw(st.sampled_from(options))}{directive}{inner}")
    return " ".join(parts)


def operation(draw: Any, schema: GraphQLSchema, args: Arguments) -> tuple[Any, dict[str, Any]]:
    """A valid query and its variables."""
    assert schema.query_type is not None
    doc = Document()
    document = parse(doc.text(selection_set(draw, schema.query_type, 1, doc, args)))
    if validate(schema, document):
        reject()  # e.g. one response name for two different fields
    variables = {"s": draw(st.booleans()), "n": draw(st.sampled_from((0, 1, 2, 40)))}
    if draw(st.booleans()):
        variables["i"] = draw(st.booleans())
    return document, variables


def selected_fields(schema: GraphQLSchema, document: Any) -> dict[str, set[str]]:
    """The fields a document selects, by type: the only attributes worth generating."""
    type_info, found = TypeInfo(schema), dict[str, set[str]]()

    class Fields(Visitor):
        def enter_field(self, node: Any, *_: Any) -> None:
            parent = type_info.get_parent_type()
            if parent is not None:
                found.setdefault(parent.name, set()).add(node.name.value)

    visit(document, TypeInfoVisitor(type_info, Fields()))
    return found


# Values -----------------------------------------------------------------------------------------

ZONE = timezone(timedelta(hours=5, minutes=30))
LEAVES: dict[str, tuple[Any, ...]] = {  # values each leaf type accepts
    "String": ("+33612345678", "", "é", 7, True, 1.5),
    "ID": ("office", 12, 1.0),
    "Int": (0, 1, -5, 255, 2**31 - 1, -(2**31), 1.0, "12", True),
    "Float": (0.5, 3, "2.5", False),
    "Boolean": (True, False, 0, 2),
    "DateTime": (datetime(2024, 5, 3, 10, tzinfo=ZONE), datetime(2024, 5, 3), date(2024, 5, 3)),
    "SmsStatus": (*SmsStatus, "SENT_OK"),
    "Status": ("SENT_OK", "DELIVERED", "failed", "Sending", "odd"),
}
INVALID: dict[str, tuple[Any, ...]] = {  # and values it refuses
    "String": ((1,), frozenset({"a"}), b"x"),
    "ID": (True, (1,), 1.5),
    "Int": (2**31, -(2**31) - 1, 2**40, 1.5, "x", float("nan")),
    "Float": (float("inf"), "x", (1,)),
    "Boolean": ("yes", (1,)),
    "DateTime": ("2024-05-03", 5),
    "SmsStatus": ("BOGUS", 3, SimpleNamespace),
}
ODD = st.sampled_from((("value", None), ("value", None), ("error", "boom"), ("value", "text")))
ANYTHING = (("value", "x"), ("value", ""), ("error", "boom"), ("later", ("value", 1))) * 2
ANYTHING += (("error", "boom"), ("later", ("value", 1)))
LIST_KINDS = st.sampled_from(("list", "list", "list", "tuple", "iter"))


class Later:
    """An awaitable that is not a coroutine: never awaited, it warns about nothing."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Generator[Any, None, Any]:
        yield from asyncio.sleep(0).__await__()
        return self.value


def build(spec: Any) -> Any:
    """A fresh value from its description."""
    kind, payload = spec
    if kind == "value":
        return payload
    if kind in ("list", "tuple", "iter"):
        return {"list": list, "tuple": tuple, "iter": iter}[kind](build(item) for item in payload)
    if kind == "error":
        return ValueError(payload)
    if kind == "later":
        return Later(build(payload))
    if kind == "gateway":
        return Gateway.of(FakeGateway(*payload))  # type: ignore[arg-type]
    cls, attributes = payload
    instance = object.__new__(cls)
    for name, value in attributes.items():
        object.__setattr__(instance, name, build(value))
    return instance


def draw_leaf(draw: Any, name: str, non_null: bool) -> Any:
    """A leaf value: one in twelve null, an exception or an object, one in eight refused."""
    if name == "Anything":  # the one type that lets these through: they must not reach it
        return draw(st.sampled_from(ANYTHING))
    if draw(st.integers(0, 11)) == 11:  # shrinking goes to 0, to valid values
        return draw(ODD)
    if not non_null and draw(st.integers(0, 5)) == 5:
        return ("value", None)
    values = INVALID if draw(st.integers(0, 7)) == 7 else LEAVES
    return ("value", draw(st.sampled_from(values[name])))


def draw_value(draw: Any, type_: GraphQLOutputType, depth: int, selected: dict) -> Any:
    """A description of a value for a field of this type."""
    non_null = is_non_null_type(type_)
    named = type_.of_type if non_null else type_  # type: ignore[union-attr]
    if is_leaf_type(named):
        spec = draw_leaf(draw, named.name, non_null)
        return ("later", spec) if draw(st.integers(0, 15)) == 15 else spec
    if draw(st.integers(0, 7)) == 7:
        return draw(ODD)
    if draw(st.integers(0, 11 if non_null else 5)) == 5:  # null: an error where not allowed
        return ("value", None)
    if is_list_type(named):
        count = draw(st.integers(0, 6 if depth < 3 else 2))
        items = [draw_value(draw, named.of_type, depth, selected) for _ in range(count)]
        spec = (draw(LIST_KINDS), items)
    elif depth >= MAX_DEPTH:
        return ("value", None)
    else:
        spec = draw_object(draw, named, depth, selected)
    return ("later", spec) if draw(st.integers(0, 15)) == 15 else spec


def draw_object(draw: Any, type_: GraphQLObjectType, depth: int, selected: dict) -> Any:
    """An object with the attributes the query reads (all of them where a resolver reads)."""
    cls = type_.extensions["strawberry-definition"].origin
    if cls is Gateway:
        return ("gateway", (draw(st.sampled_from(("office", "shop"))), draw(SNS), draw(PORTS)))
    fields = {name: f.extensions["strawberry-definition"] for name, f in type_.fields.items()}
    names = selected.get(type_.name, set()) & set(fields)
    if any(fields[name].base_resolver for name in names):
        names = set(fields)
    attributes = {
        fields[name].python_name: draw_value(draw, type_.fields[name].type, depth + 1, selected)
        for name in sorted(names)
        if fields[name].base_resolver is None
    }
    return ("object", (cls, attributes))


SNS, PORTS = st.sampled_from(("SN-1", None, 12)), st.integers(0, 3)

# Running ----------------------------------------------------------------------------------------


def run(
    schema: GraphQLSchema, executor: type, document: Any, variables: dict, **kwargs: Any
) -> Any:
    async def main() -> ExecutionResult:
        result = execute(
            schema, document, variable_values=variables, executor_class=executor, **kwargs
        )
        if asyncio.iscoroutine(result):
            result = await result
        others = asyncio.all_tasks() - {asyncio.current_task()}
        await asyncio.gather(*others, return_exceptions=True)  # what errors left to settle
        return result  # type: ignore[return-value]

    result = asyncio.run(main())
    errors = [
        (e.message, e.path, e.locations, type(e.original_error).__name__, str(e.original_error))
        for e in result.errors or ()
    ]
    return ordered(result.data), errors


def compare(
    schema: GraphQLSchema, document: Any, variables: dict[str, Any], values: Callable[[], dict]
) -> None:
    """Stock and compiled agree, the compiled run finding plans a first one left: for other
    @skip/@include variables (they must not be used) or for the same (they must be)."""
    other = {**variables, "s": not variables["s"], "i": not variables.get("i", True)}
    run(schema, CompiledExecutor, document, other if variables["n"] < 2 else variables, **values())
    stock = run(schema, STOCK, document, variables, **values())
    assert run(schema, CompiledExecutor, document, variables, **values()) == stock


def ordered(data: Any) -> Any:
    """Data with dictionaries as lists of pairs, so that key order counts."""
    if isinstance(data, dict):
        return [(key, ordered(value)) for key, value in data.items()]
    if isinstance(data, list):
        return [ordered(item) for item in data]
    return data


# The test schema --------------------------------------------------------------------------------


def plain_arguments(on: str, name: str) -> tuple[str, ...] | None:
    if on == "Gateway":
        return ("(index: 0)", "(index: 2)", "(index: $n)") if name == "port" else EXTERNAL.get(name)
    if on == "Sample" and name == "word":
        return ("", "(upper: true)", "(upper: false)")
    return None if on == "Port" and name in ("smsResults", "state") else ("",)


EXTERNAL = {"id": ("",), "sn": ("",), "portCount": ("",), "ports": ("",)}


@st.composite
def plain_case(draw: Any) -> tuple[Any, dict[str, Any], Any]:
    """A query on the test schema and a root value holding what it reads."""
    schema = TEST_SCHEMA._schema
    document, variables = operation(draw, schema, plain_arguments)
    assert schema.query_type is not None
    root = draw_object(draw, schema.query_type, 0, selected_fields(schema, document))
    return document, variables, root


def check_plain(case: tuple[Any, dict[str, Any], Any]) -> None:
    document, variables, root = case
    compare(TEST_SCHEMA._schema, document, variables, lambda: {"root_value": build(root)})


@SETTINGS
@given(case=plain_case())
def test_plain_types_complete_exactly_like_graphql_core(case: Any) -> None:
    check_plain(case)


# The real schema --------------------------------------------------------------------------------


class FakeGateway:
    """What the resolvers read of a ``GatewayClient``; its queue is a value to complete."""

    def __init__(self, gateway_id: str, sn: Any, ports: int, queue: Any = None) -> None:
        self.id, self.sn, self.settings, self.queue = (
            gateway_id,
            sn,
            SimpleNamespace(ports=ports),
            queue,
        )

    async def query_sms_in_queue(self) -> Any:
        return build(self.queue)


class FakeLoaders:
    """The per-operation loaders, answering from generated gateway records."""

    def __init__(self, records: dict[str, list[Any]], states: dict[tuple[str, int], Any]) -> None:
        self.records, self.states = records, states

    async def load(self, key: Any) -> list[SmsResultRecord]:
        await asyncio.sleep(0)
        found = [
            SmsResultRecord(key.gateway_id, *(build(v) for v in r))
            for r in self.records[key.gateway_id]
        ]
        return [r for r in found if key.ports is None or r.port in key.ports]


class FakePortInfo(FakeLoaders):
    async def load(self, client: Any, port: int) -> Any:  # type: ignore[override]
        state = self.states.get((client.id, port))
        return None if state is None else SimpleNamespace(**{k: build(v) for k, v in state.items()})


RECORD = (("Int", True), ("String", True), ("Int", False), ("DateTime", True))  # port...time
RECORD += (("Status", True), ("Int", True), ("Int", True), ("Int", True), ("String", False))
PORT_STATE = ("registration", "network", "imsi", "iccid", "imei", "number", "call_state", "gprs")


def real_arguments(on: str, name: str) -> tuple[str, ...] | None:
    return {
        ("Query", "smsResults"): ("", "(filter: {ports: [0, 1]})", '(gatewayIds: ["shop"])'),
        ("Query", "gateway"): ('(id: "office")', '(id: "nope")'),
        ("Gateway", "port"): ("(index: 0)", "(index: 1)", "(index: $n)"),
        ("Gateway", "smsResults"): ("", "(filter: {ports: [1]})"),
    }.get((on, name), ("",) if on != "Gateway" or name in REAL_GATEWAY else None)


REAL_GATEWAY = {"id", "sn", "portCount", "ports", "queueLength"}


@st.composite
def real_case(draw: Any) -> tuple[Any, dict[str, Any], Any]:
    """A query on the facade's schema and the records of two fake gateways."""
    document, variables = operation(draw, REAL_SCHEMA._schema, real_arguments)
    gateways, records, states = [], {}, {}
    for gateway_id in ("office", "shop"):
        ports = draw(st.integers(1, 3))
        queue = draw_leaf(draw, "Int", False)
        gateways.append((gateway_id, draw(SNS), ports, queue))
        count = draw(st.integers(0, 8))
        records[gateway_id] = [
            tuple(
                ("value", draw(st.sampled_from(LEAVES[kind])))  # a status is read as text
                if kind == "Status"
                else draw_leaf(draw, kind, non_null)
                for kind, non_null in RECORD
            )
            for _ in range(count)
        ]
        for port in range(ports):
            if draw(st.integers(0, 3)):
                states[gateway_id, port] = {n: draw_leaf(draw, "String", False) for n in PORT_STATE}
                states[gateway_id, port].update(
                    signal=draw_leaf(draw, "Int", False),
                    slot=draw_leaf(draw, "Int", False),
                    credit=("value", None),
                )
    return document, variables, (gateways, records, states)


def check_real(case: tuple[Any, dict[str, Any], Any]) -> None:
    document, variables, (gateways, records, states) = case

    def context() -> Context:
        clients = {g[0]: FakeGateway(*g) for g in gateways}
        loaders = FakeLoaders(records, states)
        return Context(clients, None, loaders, FakePortInfo(records, states))  # type: ignore[arg-type]

    compare(REAL_SCHEMA._schema, document, variables, lambda: {"context_value": context()})


@SETTINGS
@given(case=real_case())
def test_the_facade_schema_completes_exactly_like_graphql_core(case: Any) -> None:
    check_real(case)


def test_the_generated_examples_take_every_path() -> None:
    """Guards the tests above: plans complete values whole, mixed, and get redone."""
    for schema, case, check in (
        (TEST_SCHEMA, plain_case(), check_plain),
        (REAL_SCHEMA, real_case(), check_real),
    ):
        stats = plan_cache(schema._schema).stats
        before = (stats.fast, stats.mixed, stats.redone, stats.reused)
        settings(SETTINGS, max_examples=50, derandomize=True)(given(case=case)(check))()
        after = (stats.fast, stats.mixed, stats.redone, stats.reused)
        assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)
