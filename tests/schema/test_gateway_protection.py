"""A crowd asking the same thing at once costs the gateway one call; different asks stay exact."""

from __future__ import annotations

import asyncio

from tests.support import Facade

RESULTS = "query($ports: [Int!]) { smsResults(filter: { ports: $ports }) { number status } }"


async def test_a_hundred_identical_queries_at_once_cost_one_rest_call(facade: Facade) -> None:
    facade.add_device("office")
    await facade.start()
    answers = await asyncio.gather(*(facade.query(RESULTS, ports=[1]) for _ in range(100)))
    assert all("errors" not in answer for answer in answers)
    assert len({str(answer) for answer in answers}) == 1
    assert facade.calls() <= 2  # the target; in fact one, as all arrive before the reply
    assert facade.calls() == 1


async def test_different_filters_each_get_their_own_exact_call(facade: Facade) -> None:
    facade.add_device("office")
    await facade.start()
    answers = await asyncio.gather(*(facade.query(RESULTS, ports=[port]) for port in range(8)))
    assert facade.calls() == 8
    for port, answer in enumerate(answers):
        alone = await facade.query(RESULTS, ports=[port])
        assert answer == alone


async def test_a_query_after_the_shared_call_returned_asks_again(facade: Facade) -> None:
    facade.add_device("office")
    await facade.query(RESULTS, ports=[1])
    await facade.query(RESULTS, ports=[1])
    assert facade.calls() == 2  # no cache: never a stale answer
