"""Push bodies to events: every kind typed, its data the record's data, refusals whole."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ultiroam_graphql.events import EVENT_KINDS, Event
from ultiroam_graphql.gateway import (
    CallRecord,
    DeliveryReportRecord,
    DeviceRecord,
    ExceptionRecord,
    IncomingSmsRecord,
    RegistrationRecord,
    SmsResultRecord,
    UssdReplyRecord,
    parse_call,
    parse_delivery_report,
    parse_device,
    parse_exception,
    parse_incoming_sms,
    parse_registration,
    parse_sms_result,
    parse_ussd_reply,
    record_from_data,
)
from ultiroam_graphql.push import NORMALISERS, PushRejected, parse_push

PARIS = ZoneInfo("Europe/Paris")
SN = "da00-0030-1901-2817"
RECORD_TYPES: dict[str, tuple[type[Any], Callable[..., Any]]] = {
    "sms_result": (SmsResultRecord, parse_sms_result),
    "sms_deliver_status": (DeliveryReportRecord, parse_delivery_report),
    "sms": (IncomingSmsRecord, parse_incoming_sms),
    "ussd": (UssdReplyRecord, parse_ussd_reply),
    "register": (RegistrationRecord, parse_registration),
    "cdr": (CallRecord, parse_call),
    "device": (DeviceRecord, parse_device),
    "exception_info": (ExceptionRecord, parse_exception),
}
# The manual's examples (with their PDF line-wrap debris) and the shapes clients report.
BODIES: dict[str, Any] = {
    "sms_result": [
        {"port": 0, "n umber": " 10086", "time": "2016-07-1215:46:53", "status": "SENT_OK",
         "count": 1, "succ_count": 1, "ref_i d": 215, "imsi": "460004642148063 "},
    ],
    "sms_deliver_status": [
        {"port": 0, "number": "0612345678", "time": "2024-05-03 10:15:02", "ref_id": 17,
         "status_code": 0, "imsi": "460001234567890"},
    ],
    "sms": [
        {"incoming_sms_id": 43, "port": 1, "number": "+33611111111", "smsc": "+33609001390",
         "timestamp": "2024-05-03 10:21:40", "text": "hi", "imsi": "460001234567891"},
    ],
    "ussd": [{"port": 2, "text": "Your balance is 5.00"}, {"port": "3", "text": " "}],
    "register": [
        {"port": 3, "iccid": "<NULL>", "imsi": "<NULL>", "number": "", "status": "down",
         "sequence": 5},
        {"port": 4, "iccid": "89330000000000000001", "imsi": "208150000000001",
         "number": "+33611111111", "status": "up", "seq uence": 6, "slot": 1},
    ],
    "cdr": [
        {"port": 1, "start_date": "2024-05-03 10:00:00", "answer_date": "2024-05-03 10:00:05",
         "duration": 30, "source_number": "100", "destination_num ber": "0612345678",
         "direction": "ip->gsm", "ip": "192.0.2.5", "codec": "G.711A", "hangup": "called",
         "gsm_code": 16, "bech": "3"},
    ],
    "device": {"port_number": 32, "IP": "192.0.2.10", "MAC": "F8-A0-3D-00-00-01",
               "status": "power_on"},
    "exception_info": {"port": 4, "type": "call_fail", "action": "reset"},
}  # fmt: skip
EXPECTED: dict[str, list[dict[str, Any]]] = {
    "sms_result": [
        {"port": 0, "number": "10086", "user_id": None, "time": "2016-07-12T15:46:53+02:00",
         "status": "SENT_OK", "count": 1, "succ_count": 1, "ref_id": 215,
         "imsi": "460004642148063"},
    ],
    "sms_deliver_status": [
        {"port": 0, "number": "0612345678", "time": "2024-05-03T10:15:02+02:00", "ref_id": 17,
         "status_code": 0, "imsi": "460001234567890"},
    ],
    "sms": [
        {"id": 43, "port": 1, "number": "+33611111111", "smsc": "+33609001390",
         "received_at": "2024-05-03T10:21:40+02:00", "text": "hi", "imsi": "460001234567891"},
    ],
    "ussd": [{"port": 2, "text": "Your balance is 5.00"}, {"port": 3, "text": " "}],
    "register": [
        {"port": 3, "status": "down", "iccid": None, "imsi": None, "number": None,
         "sequence": 5, "slot": None},
        {"port": 4, "status": "up", "iccid": "89330000000000000001", "imsi": "208150000000001",
         "number": "+33611111111", "sequence": 6, "slot": 1},
    ],
    "cdr": [
        {"port": 1, "start": "2024-05-03T10:00:00+02:00", "answer": "2024-05-03T10:00:05+02:00",
         "duration": 30, "source_number": "100", "destination_number": "0612345678",
         "direction": "ip->gsm", "ip": "192.0.2.5", "codec": "G.711A", "hangup": "called",
         "gsm_code": 16, "bcch": "3"},
    ],
    "device": [
        {"port_count": 32, "ip": "192.0.2.10", "mac": "F8-A0-3D-00-00-01", "status": "power_on"},
    ],
    "exception_info": [{"port": 4, "type": "call_fail", "action": "reset"}],
}  # fmt: skip


def push(body: object) -> list[Event]:
    return parse_push(json.dumps(body).encode(), gateway_id="office", zone=PARIS)


def test_every_kind_is_typed() -> None:
    assert set(NORMALISERS) == set(EVENT_KINDS) == set(RECORD_TYPES) == set(BODIES)


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_each_kind_is_normalised_to_its_records_data(kind: str) -> None:
    events = push({"sn": SN, kind: BODIES[kind]})
    assert [event.data for event in events] == EXPECTED[kind]
    assert all(event.kind == kind and event.sn == SN for event in events)
    assert all(event.gateway_id == "office" for event in events)


@pytest.mark.parametrize("kind", sorted(BODIES))
def test_event_data_reads_back_as_the_record(kind: str) -> None:
    record_type, parse = RECORD_TYPES[kind]
    items = BODIES[kind] if isinstance(BODIES[kind], list) else [BODIES[kind]]
    for event, item in zip(push({kind: BODIES[kind]}), items, strict=True):
        carried = Event.decode(event.encode())  # as the broker carries it
        record = record_from_data(record_type, carried.gateway_id, carried.data)
        assert record == parse(item, gateway_id="office", zone=PARIS)


def test_single_object_kinds_also_come_as_lists() -> None:
    events = push({"device": [BODIES["device"], BODIES["device"]]})
    assert [event.data for event in events] == EXPECTED["device"] * 2


def test_several_kinds_in_one_body_and_no_sn() -> None:
    events = push({"ussd": BODIES["ussd"][:1], "exception_info": BODIES["exception_info"]})
    assert [event.kind for event in events] == ["ussd", "exception_info"]
    assert all(event.sn is None for event in events)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"sn": "x"}', "no event key"),
        (b'{"sn": "x", "weather": []}', "no event key"),
        (b'{"sms_result": {"port": 0}}', "must be a list"),
        (b'{"register": "up"}', "must be a list"),
        (b'{"device": "power_on"}', "must be a list"),
        (b'{"register": [{"port": 3}]}', "register[0]"),
        (b'{"ussd": [{"port": 1, "text": "a"}, {"text": "b"}]}', "ussd[1]"),
        (b'{"cdr": [{"port": 1, "start_date": "soon"}]}', "cdr[0]"),
        (b'{"device": {"port_number": "many"}}', "device[0]"),
        (b'{"exception_info": {"port": "four"}}', "exception_info[0]"),
        (b'{"exception_info": ["reset"]}', "exception_info[0]"),
    ],
)
def test_bodies_that_are_not_pushes_are_refused_whole(body: bytes, message: str) -> None:
    with pytest.raises(PushRejected, match=message.replace("[", r"\[")):
        parse_push(body, gateway_id="office", zone=PARIS)
