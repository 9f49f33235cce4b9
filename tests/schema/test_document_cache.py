"""A document sent again is neither parsed nor validated again; the limits still apply."""

from __future__ import annotations

from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache
from tests.support import Facade

from ultiroam_graphql.schema.root import DOCUMENT_CACHE_SIZE

QUERY = "query One($id: ID!) { gateway(id: $id) { id portCount } __typename }"
"""With a variable: never planned whole (``operations``), so it runs the pipeline each time."""


async def test_the_second_request_of_a_document_hits_both_caches(facade: Facade) -> None:
    facade.add_device("office")
    await facade.query(QUERY, id="office")
    parse_hits = _get_parse_cache(DOCUMENT_CACHE_SIZE).cache_info().hits
    validate_hits = _get_validate_cache(DOCUMENT_CACHE_SIZE).cache_info().hits
    for _ in range(3):
        answer = await facade.query(QUERY, id="office")
        assert answer == {
            "data": {"gateway": {"id": "office", "portCount": 32}, "__typename": "Query"}
        }
    assert _get_parse_cache(DOCUMENT_CACHE_SIZE).cache_info().hits == parse_hits + 3
    assert _get_validate_cache(DOCUMENT_CACHE_SIZE).cache_info().hits == validate_hits + 3


async def test_a_cached_document_past_the_depth_limit_is_refused_every_time(
    facade: Facade,
) -> None:
    facade.add_device("office")
    await facade.start(max_query_depth=2)
    deep = "{ gateways { ports { smsResults { port { index } } } } }"
    for _ in range(2):
        answer = await facade.query(deep)
        assert answer["data"] is None
        assert "exceeds maximum operation depth" in answer["errors"][0]["message"]
