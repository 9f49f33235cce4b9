"""The push webhook: every status it answers, every push kind, nothing rejected is published."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from tests.support import PUSH_EXAMPLES, Facade

from ultiroam_graphql.events import Event

TOKEN = "long-random-token"
MANUAL_EXAMPLE = (
    b'{"sn":"da00-0030-1901-2817","sms_result":[{"port":0,"n umber":" 10086",'
    b'"time":"2016-07-1215:46:53","status":"SENT_OK","count":1,"succ_count":1,'
    b'"ref_i d":215,"imsi":"460004642148063 "}]}'
)
BODIES: dict[str, Any] = PUSH_EXAMPLES


class Pushes:
    """The webhook of a facade with one gateway, and everything its broker publishes."""

    def __init__(self, facade: Facade, api: httpx.AsyncClient) -> None:
        self.facade = facade
        self.api = api
        self.published: list[Event] = []

    async def post(
        self,
        body: bytes | Any,
        *,
        path: str = "/push/office",
        token: str | None = TOKEN,
        **kwargs: Any,
    ) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        params = {"token": token} if token is not None else {}
        response = await self.api.post(path, params=params, content=content, **kwargs)
        for _ in range(5):
            await asyncio.sleep(0)
        return response


@pytest.fixture
async def pushes() -> AsyncIterator[Pushes]:
    facade = Facade()
    facade.add_device("office", push_token=TOKEN, timezone="Europe/Paris")
    facade.add_device("quiet")  # no push_token: pushes refused
    api = await facade.start(push_body_limit=4096)
    pushes = Pushes(facade, api)
    async with facade.app.state.broker.subscribe() as subscription:

        async def collect() -> None:
            async for event in subscription:
                pushes.published.append(event)

        collector = asyncio.ensure_future(collect())
        yield pushes
        collector.cancel()
    await facade.aclose()


async def test_the_manuals_example_comes_through_normalised(pushes: Pushes) -> None:
    response = await pushes.post(MANUAL_EXAMPLE)
    assert response.status_code == 200
    assert response.json()["ok"] is True
    (event,) = pushes.published
    assert event.kind == "sms_result"
    assert event.sn == "da00-0030-1901-2817"
    assert event.data == {
        "port": 0,
        "number": "10086",
        "user_id": None,
        "time": "2016-07-12T15:46:53+02:00",
        "status": "SENT_OK",
        "count": 1,
        "succ_count": 1,
        "ref_id": 215,
        "imsi": "460004642148063",
    }
    data = await pushes.facade.query('{ gateway(id: "office") { sn } }')
    assert data == {"data": {"gateway": {"sn": "da00-0030-1901-2817"}}}


@pytest.mark.parametrize("kind", sorted(BODIES))
async def test_every_push_kind_is_published_under_its_own_kind(pushes: Pushes, kind: str) -> None:
    items = BODIES[kind]
    response = await pushes.post({"sn": "dd45-0104-2109-0014", kind: items})
    assert response.status_code == 200, response.text
    count = len(items) if isinstance(items, list) else 1
    assert [e.kind for e in pushes.published] == [kind] * count
    assert all(e.gateway_id == "office" for e in pushes.published)


async def test_typed_kinds_are_normalised(pushes: Pushes) -> None:
    await pushes.post({k: BODIES[k] for k in ("sms_deliver_status", "sms", "register")})
    report, sms, register = pushes.published
    assert report.data["status_code"] == 0
    assert report.data["time"] == "2024-05-03T10:15:02+02:00"
    assert sms.data["id"] == 43 and sms.data["received_at"] == "2024-05-03T10:21:40+02:00"
    assert register.data == {
        "port": 3,
        "iccid": None,
        "imsi": None,
        "number": None,
        "status": "down",
        "sequence": 5,
        "slot": None,
    }


async def test_a_missing_sn_is_accepted(pushes: Pushes) -> None:
    response = await pushes.post({"sms_result": BODIES["sms_result"][:1]})
    assert response.status_code == 200
    assert pushes.published[0].sn is None


async def test_an_unknown_status_stays_visible(pushes: Pushes) -> None:
    item = {**BODIES["sms_result"][0], "status": "QUEUED"}
    assert (await pushes.post({"sms_result": [item]})).status_code == 200
    assert pushes.published[0].data["status"] == "QUEUED"


async def test_a_push_sent_again_unchanged_is_published_once(pushes: Pushes) -> None:
    body = {"sn": "x", "sms_result": BODIES["sms_result"]}
    first, again = await pushes.post(body), await pushes.post(body)
    assert first.status_code == again.status_code == 200
    assert again.json() == {"ok": True, "events": 2, "published": 0}
    assert len(pushes.published) == 2


@pytest.mark.parametrize(
    ("request_args", "status", "message"),
    [
        ({"token": None}, 401, "token"),
        ({"token": "wrong"}, 401, "token"),
        ({"token": ""}, 401, "token"),
        ({"path": "/push/quiet"}, 401, "push_token"),
        ({"path": "/push/nope"}, 404, "no such gateway"),
        ({"body": b"{not json"}, 400, "not JSON"),
        ({"body": b"[1, 2]"}, 400, "not a JSON object"),
        ({"body": {"sn": "x"}}, 400, "no event key"),
        ({"body": {"sn": "x", "weather": []}}, 400, "no event key"),
        ({"body": {"sms_result": {"port": 0}}}, 400, "must be a list"),
        ({"body": {"sms_result": [{"port": 0, "number": "1"}]}}, 400, "sms_result[0]"),
        ({"body": {"sms_result": [BODIES["sms_result"][0], "x"]}}, 400, "sms_result[1]"),
        ({"body": b"{}" + b" " * 5000}, 413, "larger than 4096"),
    ],
)
async def test_refused_pushes_publish_nothing(
    pushes: Pushes, request_args: dict[str, Any], status: int, message: str
) -> None:
    body = request_args.pop("body", {"sms_result": BODIES["sms_result"]})
    response = await pushes.post(body, **request_args)
    assert response.status_code == status
    assert response.json()["ok"] is False
    assert message in response.json()["error"]
    assert pushes.published == []


async def test_the_body_limit_holds_without_a_content_length(pushes: Pushes) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"sms_result": ['
        for _ in range(100):
            yield b" " * 100

    response = await pushes.api.post("/push/office", params={"token": TOKEN}, content=chunks())
    assert response.status_code == 413
    assert pushes.published == []


async def test_the_webhook_takes_only_post(pushes: Pushes) -> None:
    response = await pushes.api.get("/push/office", params={"token": TOKEN})
    assert response.status_code == 405
