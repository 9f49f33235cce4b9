"""Input checked for the whole operation before any field runs, so bad input costs no REST call.

Each resolver checks its own arguments too; this pass exists because a field with valid input
may otherwise reach a gateway before a sibling field with invalid input is resolved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
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
    values = get_variable_values(schema, operation.variable_definitions or (), variables)
    if isinstance(values, list):
        return None  # invalid variables: execution reports them
    type_info = TypeInfo(schema)
    found: list[GraphQLError] = []

    class Fields(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> Any:
            parent, field = type_info.get_parent_type(), type_info.get_field_def()
            check = CHECKS.get((getattr(parent, "name", ""), node.name.value))
            if check is None or field is None:
                return None
            try:
                check(get_argument_values(field, node, values), gateways)
            except UltiroamError as exc:
                found.append(GraphQLError(str(exc), nodes=[node], original_error=exc))
                return Visitor.BREAK
            except GraphQLError:
                return None  # an argument execution will refuse with its own message
            return None

    roots = [operation, *(d for d in document.definitions if isinstance(d, FragmentDefinitionNode))]
    for root in roots:
        visit(root, TypeInfoVisitor(type_info, Fields()))
        if found:
            return found[0]
    return None
