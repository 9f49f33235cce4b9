"""Input checked for the whole operation before any field runs, so bad input costs no REST call.

Each resolver checks its own arguments too; this pass exists because a field with valid input
may otherwise reach a gateway before a sibling field with invalid input is resolved.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    GraphQLField,
    OperationType,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_operation_ast,
    visit,
)
from graphql.execution.values import get_argument_values, get_variable_values
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from ..errors import UltiroamError, UnknownGateway
from .filters import check_filter, check_port

Check = Callable[[Mapping[str, Any], Mapping[str, Any]], None]


def _filter(args: Mapping[str, Any], gateways: Mapping[str, Any]) -> None:
    value = args.get("filter")
    if isinstance(value, Mapping):
        check_filter(
            numbers=value.get("numbers"),
            ports=value.get("ports"),
            user_ids=value.get("userIds"),
            time_after=value.get("timeAfter"),
            time_before=value.get("timeBefore"),
        )


def _gateway_ids(args: Mapping[str, Any], gateways: Mapping[str, Any]) -> None:
    ids = args.get("gatewayIds") or ([args["id"]] if "id" in args else [])
    for gateway_id in ids:
        if gateway_id not in gateways:
            raise UnknownGateway(gateway_id)


def _ports(args: Mapping[str, Any], gateways: Mapping[str, Any]) -> None:
    for port in args.get("ports") or ():
        check_port(port)


def _port_index(args: Mapping[str, Any], gateways: Mapping[str, Any]) -> None:
    check_port(args["index"])


def _all(*checks: Check) -> Check:
    def run(args: Mapping[str, Any], gateways: Mapping[str, Any]) -> None:
        for check in checks:
            check(args, gateways)

    return run


CHECKS: dict[tuple[str, str], Check] = {
    ("Query", "smsResults"): _all(_gateway_ids, _filter),
    ("Query", "gateway"): _gateway_ids,
    ("Gateway", "smsResults"): _filter,
    ("Gateway", "deliveryReports"): _filter,
    ("Gateway", "incomingSms"): _ports,
    ("Port", "smsResults"): _filter,
    ("Gateway", "port"): _port_index,
}


class InputCheck(SchemaExtension):
    """Refuses a query whose input is invalid anywhere, before it executes at all."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.result is None:
            error = first_input_error(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables or {},
                getattr(context.context, "gateways", {}),
            )
            if error is not None:
                context.result = ExecutionResult(data=None, errors=[error])
        yield


Planned = tuple[tuple[FieldNode, GraphQLField, Check], ...]
PLANS_KEPT = 512
_plans: OrderedDict[tuple[int, int, str | None], tuple[Any, Planned]] = OrderedDict()


def first_input_error(
    schema: Any,
    document: Any,
    operation_name: str | None,
    variables: dict[str, Any],
    gateways: Mapping[str, Any],
) -> GraphQLError | None:
    operation = get_operation_ast(document, operation_name) if document else None
    if operation is None or operation.operation != OperationType.QUERY:
        return None
    planned = _checked_fields(schema, document, operation_name)
    if not planned:
        return None  # nothing in this document takes input we check
    values = get_variable_values(schema, operation.variable_definitions or (), variables)
    if isinstance(values, list):
        return None  # invalid variables: execution reports them
    for node, field, check in planned:
        try:
            check(get_argument_values(field, node, values), gateways)
        except UltiroamError as exc:
            return GraphQLError(str(exc), nodes=[node], original_error=exc)
        except GraphQLError:
            continue  # an argument execution will refuse with its own message
    return None


def _checked_fields(schema: Any, document: Any, operation_name: str | None) -> Planned:
    """The fields with checked input, in document order: found once per document.

    Documents come from the parser cache, so the same text is the same object; the plan keeps
    its document alive, so its ``id`` cannot be reused while the plan is kept.
    """
    key = (id(schema), id(document), operation_name)
    kept = _plans.get(key)
    if kept is not None and kept[0] is document:
        _plans.move_to_end(key)
        return kept[1]
    planned = _plan(schema, document, operation_name)
    _plans[key] = (document, planned)
    if len(_plans) > PLANS_KEPT:
        _plans.popitem(last=False)
    return planned


def _plan(schema: Any, document: Any, operation_name: str | None) -> Planned:
    operation = get_operation_ast(document, operation_name)
    type_info = TypeInfo(schema)
    found: list[tuple[FieldNode, GraphQLField, Check]] = []

    class Fields(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent, field = type_info.get_parent_type(), type_info.get_field_def()
            check = CHECKS.get((getattr(parent, "name", ""), node.name.value))
            if check is not None and field is not None:
                found.append((node, field, check))

    roots = [operation, *(d for d in document.definitions if isinstance(d, FragmentDefinitionNode))]
    for root in roots:
        visit(root, TypeInfoVisitor(type_info, Fields()))
    return tuple(found)
