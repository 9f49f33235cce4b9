"""The garbage collector as the facade's ``serve`` sets it (``ultiroam_graphql.cli``'s
``tune_collector``), for the baselines: the same settings without importing the facade, which
would weigh on their memory figures. ``tests/test_benchmarks.py`` keeps the two equal."""

from __future__ import annotations

import gc

YOUNG_COLLECTION_THRESHOLD = 50_000


def tune_collector() -> None:
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, oldest)
