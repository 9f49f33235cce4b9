"""The shortcuts for well-formed sending results read exactly what the careful readers read.

``parse_sms_result`` reads a plain, exact-typed element straight and ``parse_gateway_time`` goes
through a cache; ``careful_sms_result`` and ``careful_gateway_time`` stay the reference: the same
record (times to the fold and offset) or the same error, for any element.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from datetime import datetime
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ultiroam_graphql.gateway import WireError, models, wire
from ultiroam_graphql.gateway.models import (
    SmsResultRecord,
    careful_sms_result,
    parse_sms_result,
    status_kind,
)
from ultiroam_graphql.gateway.wire import careful_gateway_time, parse_gateway_time
from ultiroam_graphql.schema.types import Gateway, SmsResult, SmsStatus, from_record
from ultiroam_graphql.simulator.gateway import SimulatedGateway

PARIS = ZoneInfo("Europe/Paris")
ZONES = [PARIS, ZoneInfo("UTC"), ZoneInfo("Asia/Shanghai")]
SETTINGS = settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Around Paris's changes of 2024: 02:00-02:59 does not exist on 31 March, and 02:00-02:59 comes
# twice on 27 October; plus ordinary seconds and invalid dates.
DST_TIMES = [
    "2024-03-31 01:59:59",
    "2024-03-31 02:00:00",
    "2024-03-31 02:30:00",
    "2024-03-31 03:00:00",
    "2024-10-27 01:59:59",
    "2024-10-27 02:00:00",
    "2024-10-27 02:30:00",
    "2024-10-27 03:00:00",
]


# Decimal digits beyond ASCII: the careful reader's \d and int() take them.
FULLWIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + n) for n in range(10)))
ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + n) for n in range(10)))
DIGITS = "0123456789" + chr(0xFF11) + chr(0x0662)


def _time_texts() -> st.SearchStrategy[str]:
    exact = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)).map(
        lambda value: value.strftime("%Y-%m-%d %H:%M:%S")
    )
    digits = st.text(DIGITS, min_size=2, max_size=2)
    shaped = st.builds(
        lambda y, mo, d, h, mi, s, sep, pad: f"{pad}{y}-{mo}-{d}{sep}{h}:{mi}:{s}{pad}",
        st.text(DIGITS, min_size=4, max_size=4),
        digits,
        digits,
        digits,
        digits,
        digits,
        st.sampled_from([" ", "", "  ", "\t", "T"]),
        st.sampled_from(["", " ", "\n"]),
    )
    odd = st.sampled_from(
        [
            "2024-02-30 10:00:00",
            "2024-01-01 24:00:00",
            "2024-01-01 23:59:60",
            "0000-01-01 00:00:00",
            "2024-01-01 00:00:00".translate(FULLWIDTH),
            "2024-01-01 10:00:00".translate(ARABIC_INDIC),
            "2024-01-01T10:00:00",
            "2024-01-01 10:00:00+02:00",
            "2024-01-01 10:00",
            "2024-01-0110:00:00",
            "0000-00-00 00:00:00",
            "<NULL>",
            "",
        ]
    )
    return st.one_of(st.sampled_from(DST_TIMES), exact, shaped, odd, st.text(max_size=22))


TIMES = _time_texts()
SLOPPY = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False),
    st.sampled_from(["", " ", "<NULL>", "NULL", " 42 ", "-7", "1" * 19, "x", " 0612 "]),
    st.text(max_size=8),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.integers(-5, 5),  # the wrong field's type, when it is an exact int
)
INTS = st.one_of(st.integers(-(2**70), 2**70), st.integers(0, 255))
TEXTS = st.one_of(
    st.text(max_size=12), st.sampled_from(["", " ", " <NULL>", "NULL ", "<NULL>", " 10086"])
)
# The exact types the device should send; a missing optional key or None is exact too.
EXACT = {
    "port": INTS,
    "number": TEXTS,
    "user_id": st.one_of(st.none(), INTS),
    "time": TIMES,
    "status": st.one_of(st.sampled_from(["SENT_OK", " delivered", "QUEUED"]), TEXTS),
    "count": st.one_of(st.none(), INTS),
    "succ_count": st.one_of(st.none(), INTS),
    "ref_id": st.one_of(st.none(), INTS),
    "imsi": st.one_of(st.none(), TEXTS),
}
EXTRA_KEYS = ["task_id", "po rt", " time", "x y", 7, None, "imsi\n", "ref_id ", "re f_id"]
SLIPS = [
    *((slip, name) for slip in ("missing", "spaced key", "sloppy value") for name in EXACT),
    ("extra key", ""),
    ("not a dict", ""),
]


@st.composite
def _items(draw: st.DrawFn) -> object:
    """An element: exact (the shortcut) half the time, else with a few of the device's slips."""
    slips = set(draw(st.lists(st.sampled_from(SLIPS), max_size=draw(st.sampled_from([0, 1, 3])))))
    item: dict[Any, Any] = {}
    for name, exact in EXACT.items():
        if ("missing", name) in slips:
            continue
        key = name
        if ("spaced key", name) in slips:  # as in the manual's "ref_i d"
            at = draw(st.integers(0, len(name)))
            key = name[:at] + draw(st.sampled_from([" ", "\t", "  "])) + name[at:]
        item[key] = draw(SLOPPY) if ("sloppy value", name) in slips else draw(exact)
    if ("extra key", "") in slips:  # unknown, colliding with a known one, not a string
        item[draw(st.sampled_from(EXTRA_KEYS))] = draw(st.one_of(INTS, TEXTS, TIMES))
    if ("not a dict", "") in slips:
        kind = draw(st.sampled_from([OrderedDict, MappingProxyType, _HidesImsi, list, None]))
        if kind is list:
            return list(item.items())
        return draw(SLOPPY) if kind is None else kind(item)
    return item


class _HidesImsi(dict[Any, Any]):
    """A dict subclass whose items() differ from get(): only exact dicts may be read straight."""

    def items(self) -> Any:
        return [(key, value) for key, value in super().items() if key != "imsi"]


def _exact(value: object) -> object:
    """A value with what == leaves out: the type, and a time's fold, offset and zone."""
    if isinstance(value, datetime):
        return (value.isoformat(), value.fold, value.tzinfo, value.utcoffset())
    return (type(value), value)


def _outcome(read: Any, *args: Any, **kwargs: Any) -> object:
    try:
        result = read(*args, **kwargs)
    except Exception as exc:
        return ("raised", type(exc), str(exc))
    if isinstance(result, SmsResultRecord):
        return tuple(_exact(getattr(result, name)) for name in result.__slots__)
    return _exact(result)


@SETTINGS
@given(item=_items(), zone=st.sampled_from(ZONES))
def test_the_shortcut_reads_what_the_careful_reader_reads(item: object, zone: ZoneInfo) -> None:
    careful = _outcome(careful_sms_result, item, gateway_id="g", zone=zone)
    # Twice: the first may fill the time cache, the second reads from it.
    assert _outcome(parse_sms_result, item, gateway_id="g", zone=zone) == careful
    assert _outcome(parse_sms_result, item, gateway_id="g", zone=zone) == careful


BASE = {
    "port": 3,
    "user_id": 67171,
    "number": " 0754203557",
    "time": "2024-10-27 02:30:00",
    "status": "DELIVERED",
    "count": 2,
    "succ_count": 1,
    "ref_id": 60,
    "imsi": "234158016097535 ",
}
ODD_VALUES = [None, True, False, 0, 1.5, -0.0, "", " ", " 42 ", "<NULL>", "x", [], {}, 2**64]


def _one_slip() -> list[object]:
    """The base element with each single slip the device makes, and in each wrapper."""
    items: list[object] = [dict(BASE)]
    for name in BASE:
        items.append({key: value for key, value in BASE.items() if key != name})
        items.append(
            {(f"{name[:2]} {name[2:]}" if key == name else key): v for key, v in BASE.items()}
        )
        items.append({**BASE, f" {name}": "7"})
        items.extend({**BASE, name: value} for value in ODD_VALUES)
    for kind in (OrderedDict, MappingProxyType, _HidesImsi):
        items.append(kind(BASE))
    items.append(list(BASE.items()))
    return items


@pytest.mark.parametrize("zone", ZONES, ids=str)
def test_each_single_slip_reads_as_the_careful_reader_reads_it(zone: ZoneInfo) -> None:
    for item in _one_slip():
        careful = _outcome(careful_sms_result, item, gateway_id="g", zone=zone)
        assert _outcome(parse_sms_result, item, gateway_id="g", zone=zone) == careful, item


@SETTINGS
@given(text=st.one_of(TIMES, SLOPPY), zone=st.sampled_from(ZONES))
def test_cached_times_are_the_careful_ones(text: object, zone: ZoneInfo) -> None:
    careful = _outcome(careful_gateway_time, text, zone)
    assert _outcome(parse_gateway_time, text, zone) == careful
    assert _outcome(parse_gateway_time, text, zone) == careful


def test_paris_changes_of_time_come_out_as_the_constructor_gives_them() -> None:
    for text in DST_TIMES:
        fields = [int(part) for part in re.findall(r"\d+", text)]
        expected = datetime(*fields, tzinfo=PARIS)  # type: ignore[misc]
        for read in (parse_gateway_time, parse_gateway_time, careful_gateway_time):
            got = read(text, PARIS)
            assert _exact(got) == _exact(expected)
    assert parse_gateway_time("2024-10-27 02:30:00", PARIS).utcoffset().seconds == 7200  # type: ignore[union-attr]


def test_bad_times_raise_the_same_error_every_time() -> None:
    for _ in range(2):
        for text, problem in (
            ("2024-02-30 10:00:00", "is not a valid date"),
            ("2024-01-01 10:00", "is not YYYY-MM-DD HH:MM:SS"),
        ):
            try:
                parse_gateway_time(text, PARIS)
            except WireError as exc:
                assert str(exc) == f"time {text!r} {problem}"
            else:
                raise AssertionError(text)


def test_the_time_cache_is_bounded() -> None:
    for second in range(wire.TIME_CACHE_SIZE + 10):
        text = f"2001-01-01 {second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
        parse_gateway_time(text, PARIS)
    assert wire._cached_time.cache_info().currsize <= wire.TIME_CACHE_SIZE


def _simulated_items() -> list[object]:
    gateway = SimulatedGateway(initial_results=300, timezone="Europe/Paris", seed=3)
    return orjson.loads(orjson.dumps(gateway.query_sms_result({})))["result"]  # type: ignore[no-any-return]


def test_the_simulators_reply_reads_alike_and_all_through_the_shortcut(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = _simulated_items()
    expected = [_outcome(careful_sms_result, item, gateway_id="g", zone=PARIS) for item in items]
    careful_calls = []

    def counting(item: object, **kwargs: Any) -> SmsResultRecord:
        careful_calls.append(item)
        return careful_sms_result(item, **kwargs)

    monkeypatch.setattr(models, "careful_sms_result", counting)
    got = [_outcome(parse_sms_result, item, gateway_id="g", zone=PARIS) for item in items]
    assert got == expected
    # Stray white space in values (the simulator writes some) does not leave the shortcut.
    assert careful_calls == []
    # A key that cleans into a known one does: it overrides that one, as the manual's "ref_i d".
    sloppy = {**items[0], "ref_i d": "  7"}  # type: ignore[dict-item]
    assert parse_sms_result(sloppy, gateway_id="g", zone=PARIS).ref_id == 7
    assert careful_calls == [sloppy]


# The value readers as they were before their exact-type shortcuts, verbatim.
def _wire_int_before(value: object, name: str) -> int:
    if isinstance(value, bool):
        raise WireError(f"{name} is not an integer: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,18}\s*", value):
        return int(value)
    raise WireError(f"{name} is not an integer: {str(value)[:40]!r}")


def _wire_str_before(value: object, name: str) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise WireError(f"{name} is not a string: {value!r}")
    return value.strip()


def _optional_int_before(value: object, name: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _wire_int_before(value, name)


def _optional_str_before(value: object, name: str) -> str | None:
    if value is None:
        return None
    text = _wire_str_before(value, name)
    return None if text in ("", "<NULL>", "NULL") else text


class _Int(int):
    pass


class _Str(str):
    __slots__ = ()


@given(
    value=st.one_of(
        SLOPPY, INTS, TEXTS, st.builds(_Int, INTS), st.builds(_Str, TEXTS), st.just(" -12 ")
    )
)
def test_the_value_readers_read_as_before(value: object) -> None:
    for now, before in (
        (wire.wire_int, _wire_int_before),
        (wire.wire_str, _wire_str_before),
        (wire.optional_int, _optional_int_before),
        (wire.optional_str, _optional_str_before),
    ):
        assert _outcome(now, value, "port") == _outcome(before, value, "port")


# -- from records to GraphQL objects -------------------------------------------------------------


def _graphql_values(result: SmsResult) -> dict[str, object]:
    values = dict(vars(result))
    port = values.pop("port")
    return values | {"port": (type(port), port.gateway, port.index), "type": type(result)}


def test_the_spelled_out_from_record_builds_what_the_generic_one_builds() -> None:
    gateway = Gateway(client=None, id="g")  # type: ignore[arg-type]
    records = [parse_sms_result(item, gateway_id="g", zone=PARIS) for item in _simulated_items()]
    records.append(SmsResultRecord("g", 1, "10086", None, records[0].time, " odd", 2, 0, 0, None))
    for record in records:
        for cursor in (None, "c1"):
            generic = from_record(
                SmsResult,
                record,
                gateway,
                cursor=cursor,
                status=SmsStatus(status_kind(record.status)),
                raw_status=record.status,
            )
            built = SmsResult.from_record(record, gateway, cursor=cursor)
            assert _graphql_values(built) == _graphql_values(generic)
            assert built.status is generic.status


@given(raw=st.one_of(st.text(max_size=10), st.sampled_from([s.value for s in SmsStatus])))
def test_status_from_wire_is_status_kind(raw: str) -> None:
    for spelling in (raw, raw.lower(), raw.upper()):
        assert SmsStatus.from_wire(spelling) is SmsStatus(status_kind(spelling))
