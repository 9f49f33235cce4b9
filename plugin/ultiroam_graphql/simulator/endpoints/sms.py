"""SMS endpoints: send and stop (§3.1, §3.6), results, delivery reports, queue, inbox."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..gateway import SimulatedGateway
from ..send_request import parse_send_request
from .common import enveloped, json_body, uint_param


@enveloped
async def send_sms(request: Request, gateway: SimulatedGateway) -> dict[str, object]:
    body = await json_body(request)
    task = gateway.send_sms(parse_send_request(body, gateway.port_count))
    return gateway.envelope(202, sms_in_queue=gateway.sms_in_queue(), task_id=task.task_id)


@enveloped
async def stop_sms(request: Request, gateway: SimulatedGateway) -> dict[str, object]:
    task_id = uint_param(request.query_params, "task_id")
    return gateway.envelope(200 if gateway.stop_sms(task_id) else 404)


@enveloped
async def query_sms_result(request: Request, gateway: SimulatedGateway) -> dict[str, object]:
    return gateway.query_sms_result(await json_body(request))


@enveloped
async def query_sms_deliver_status(
    request: Request, gateway: SimulatedGateway
) -> dict[str, object]:
    return gateway.query_sms_deliver_status(await json_body(request))


async def query_sms_in_queue(request: Request, gateway: SimulatedGateway) -> Response:
    return JSONResponse(gateway.query_sms_in_queue())


async def query_incoming_sms(request: Request, gateway: SimulatedGateway) -> Response:
    return JSONResponse(gateway.query_incoming_sms(request.query_params))
