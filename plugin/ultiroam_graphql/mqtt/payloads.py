"""JSON payloads the bridge publishes, with the GraphQL API's field names (camelCase).

A gateway and a port are flattened to ``gatewayId`` and ``port`` (the 0-based index); times are
ISO 8601 with the gateway's offset, as the API's ``DateTime``. Payloads are compact UTF-8 JSON
with keys in a fixed order, so the same state always gives the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from ..events import Event
from ..gateway import PortInfoRecord
from ..gateway.models import (
    DeliveryReportRecord,
    IncomingSmsRecord,
    SmsResultRecord,
    record_from_data,
    status_kind,
)


def encode(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def sms_result(record: SmsResultRecord, cursor: str | None) -> dict[str, Any]:
    """As the API's ``SmsResult``."""
    return {
        "gatewayId": record.gateway_id,
        "port": record.port,
        "number": record.number,
        "userId": record.user_id,
        "time": record.time.isoformat(),
        "status": status_kind(record.status),
        "rawStatus": record.status,
        "count": record.count,
        "succCount": record.succ_count,
        "refId": record.ref_id,
        "imsi": record.imsi,
        "cursor": cursor,
    }


def delivery_report(record: DeliveryReportRecord, cursor: str | None) -> dict[str, Any]:
    """As the API's ``DeliveryReport``."""
    return {
        "gatewayId": record.gateway_id,
        "port": record.port,
        "number": record.number,
        "time": record.time.isoformat(),
        "refId": record.ref_id,
        "statusCode": record.status_code,
        "delivered": record.delivered,
        "imsi": record.imsi,
        "cursor": cursor,
    }


def incoming_sms(record: IncomingSmsRecord, cursor: str | None) -> dict[str, Any]:
    """As the API's ``IncomingSms``."""
    return {
        "gatewayId": record.gateway_id,
        "port": record.port,
        "id": record.id,
        "number": record.number,
        "smsc": record.smsc,
        "receivedAt": record.received_at.isoformat(),
        "text": record.text,
        "imsi": record.imsi,
        "cursor": cursor,
    }


def event_payload(event: Event) -> bytes | None:
    """The JSON for an event the bridge publishes; None for kinds it does not publish."""
    if event.kind == "sms_result":
        result = record_from_data(SmsResultRecord, event.gateway_id, event.data)
        return encode(sms_result(result, event.cursor))
    if event.kind == "sms_deliver_status":
        report = record_from_data(DeliveryReportRecord, event.gateway_id, event.data)
        return encode(delivery_report(report, event.cursor))
    if event.kind == "sms":
        message = record_from_data(IncomingSmsRecord, event.gateway_id, event.data)
        return encode(incoming_sms(message, event.cursor))
    return None


def port_state(record: PortInfoRecord) -> dict[str, Any]:
    """As the API's ``PortState``, plus ``operator`` where the device names it.

    The documented API has no operator name (asking ``get_port_info`` for ``operator`` is
    refused), so ``operator`` is null unless a firmware reports one of its own accord.
    """
    extra = dict(record.extra)
    return {
        "gatewayId": record.gateway_id,
        "port": record.port,
        "registration": record.registration or "UNKNOWN",
        "network": record.network,
        "signal": record.signal,
        "operator": extra.get("operator"),
        "balance": record.credit,
        "imsi": record.imsi,
        "iccid": record.iccid,
        "imei": record.imei,
        "number": record.number,
        "slot": record.slot,
        "callState": record.call_state,
        "gprs": record.gprs,
    }


def error(exc_message: str, extensions: dict[str, Any]) -> dict[str, Any]:
    """``{"message", "code", ...}`` as a GraphQL error's message and extensions."""
    return {"message": exc_message, **extensions}
