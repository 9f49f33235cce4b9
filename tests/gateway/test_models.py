"""Records parsed leniently at the edge, and their plain data round-trips exactly."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ultiroam_graphql.gateway import (
    CallRecord,
    DeliveryReportRecord,
    DeviceRecord,
    ExceptionRecord,
    GatewayStatusRecord,
    IncomingSmsRecord,
    PortInfoRecord,
    RegistrationRecord,
    SmsResultRecord,
    UssdReplyRecord,
    WireError,
    parse_call,
    parse_device,
    parse_exception,
    parse_gateway_status,
    parse_port_info,
    parse_registration,
    parse_ussd_reply,
    parse_ussd_status,
    record_data,
    record_from_data,
)

ZONE = ZoneInfo("Asia/Shanghai")
AT = datetime(2024, 5, 3, 10, 15, 2, tzinfo=ZONE)
RECORDS = [
    SmsResultRecord("gw", 0, "0612345678", 7, AT, "SENT_OK", 1, 1, 17, "460001234567890"),
    SmsResultRecord("gw", 1, "10086", None, AT, "QUEUED", 2, 0, 0, None),
    DeliveryReportRecord("gw", 0, "0612345678", AT, 17, 0, None),
    IncomingSmsRecord("gw", 43, 1, "+33611111111", "+33609001390", AT, "hi\n", "4600"),
    UssdReplyRecord("gw", 2, "Your balance is 5.00"),
    RegistrationRecord("gw", 3, "down", None, None, None, 5, None),
    RegistrationRecord("gw", 3, "up", "8933", "2081", "+33611111111", 6, 2),
    CallRecord("gw", 1, AT, None, 0, "100", None, "gsm->ip", None, "G.729AB", "calling", 16, None),
    DeviceRecord("gw", 32, "192.0.2.10", "F8-A0-3D-00-00-01", "power_on"),
    DeviceRecord("gw", None, None, None, None),
    ExceptionRecord("gw", 4, "call_fail", "reset"),
    ExceptionRecord("gw", None, None, None),
    PortInfoRecord(
        "gw",
        0,
        "REGISTER_OK",
        "LTE",
        22,
        None,
        None,
        None,
        None,
        None,
        "Idle",
        None,
        None,
        (("remain_daily_credit", "3"), ("remain_monthly_credit", "100")),
    ),
]


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: type(r).__name__)
def test_record_data_round_trips_exactly_through_json(record: Any) -> None:
    data = record_data(record)
    assert "gateway_id" not in data
    carried = json.loads(json.dumps(data))
    assert carried == data  # plain JSON already: nothing changes on the way
    assert record_from_data(type(record), "gw", carried) == record


def test_times_carry_their_offset_and_tuples_become_lists() -> None:
    call = record_data(RECORDS[7])
    assert call["start"] == "2024-05-03T10:15:02+08:00"
    assert call["answer"] is None
    assert record_data(RECORDS[-1])["extra"] == [
        ["remain_daily_credit", "3"],
        ["remain_monthly_credit", "100"],
    ]


def test_a_missing_optional_field_is_none_and_a_missing_required_one_fails() -> None:
    old = {"port": 3, "iccid": None, "imsi": None, "number": None, "status": "down", "sequence": 5}
    assert record_from_data(RegistrationRecord, "gw", old) == RECORDS[5]
    with pytest.raises(KeyError):
        record_from_data(RegistrationRecord, "gw", {"port": 3})


def test_registration_with_null_strings() -> None:
    record = parse_registration(
        {
            "port": 3,
            "iccid": "<NULL>",
            "imsi": "<NULL>",
            "number": "",
            "status": "down",
            "seq uence": "5",
            "slot": 255,
        },
        gateway_id="gw",
        zone=ZONE,
    )
    assert record == RegistrationRecord("gw", 3, "down", None, None, None, 5, None)


def test_registration_up_on_a_multi_sim_unit() -> None:
    record = parse_registration(
        {
            "port": "1",
            "iccid": "8933 ",
            "imsi": " 2081",
            "number": "+3361",
            "status": "up",
            "sequence": 6,
            "slot": 2,
        },
        gateway_id="gw",
        zone=ZONE,
    )
    assert record == RegistrationRecord("gw", 1, "up", "8933", "2081", "+3361", 6, 2)


@pytest.mark.parametrize(
    "item",
    [
        {"port": 3},
        {"status": "up"},
        {"port": "three", "status": "up"},
        {"port": 3, "status": "up", "sequence": "x"},
        "register",
    ],
)
def test_registration_wire_errors(item: object) -> None:
    with pytest.raises(WireError):
        parse_registration(item, gateway_id="gw", zone=ZONE)


@pytest.mark.parametrize(
    "item",
    [
        {"port_number": 32, "IP": "192.0.2.10", "MAC": "F8-A0-3D-00-00-01", "status": "power_on"},
        {
            "port_number": "32",
            "ip": "192.0.2.10 ",
            "mac": "F8-A0-3D-00-00-01",
            "status": "power_on",
        },
    ],
)
def test_device_keys_in_either_case(item: dict[str, object]) -> None:
    assert parse_device(item, gateway_id="gw", zone=ZONE) == RECORDS[8]


def test_exception_info() -> None:
    item = {"port": "4", "type": "call_fail", "action": "reset"}
    assert parse_exception(item, gateway_id="gw", zone=ZONE) == RECORDS[10]
    assert parse_exception({}, gateway_id="gw", zone=ZONE) == RECORDS[11]
    with pytest.raises(WireError):
        parse_exception([], gateway_id="gw", zone=ZONE)


def test_ussd_reply_and_status() -> None:
    assert parse_ussd_reply({"port": 2, "text": " "}, gateway_id="gw", zone=ZONE).text == " "
    assert parse_ussd_reply({"port": 2}, gateway_id="gw", zone=ZONE).text == ""
    assert parse_ussd_status({"port": "1", "status": " 486"}).status == 486
    with pytest.raises(WireError):
        parse_ussd_reply({"text": "hi"}, gateway_id="gw", zone=ZONE)


@pytest.mark.parametrize(
    ("raw", "signal"), [(0, 0), ("31", 31), (99, None), (32, None), ("", None)]
)
def test_signal_outside_0_to_31_is_none(raw: object, signal: int | None) -> None:
    assert parse_port_info({"port": 0, "signal": raw}, gateway_id="gw", zone=ZONE).signal == signal


def test_call_from_a_pdf_with_line_wrap_debris() -> None:
    call = parse_call(
        {
            "port": 1,
            "start_date": "2024-05-0310:15:02",
            "answer_date": "<NULL>",
            "duration": "0",
            "source_number": "100",
            "destination_num ber": "",
            "direction": "gsm->ip",
            "codec": "G.729AB",
            "hangup": "calling",
            "gsm_code": " 16",
            "bech": "",
        },
        gateway_id="gw",
        zone=ZONE,
    )
    assert call == RECORDS[7]


def test_gateway_status() -> None:
    assert parse_gateway_status({"performance": {"cpu_used": " 5 ", "flash_u sed": "9"}}) == (
        GatewayStatusRecord(5, None, None, None, None, None, None, 9)
    )
    with pytest.raises(WireError, match="performance"):
        parse_gateway_status({"error_code": 200})
