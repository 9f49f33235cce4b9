"""The facade as the benchmarks run it: ``create_app`` over the config file in ``BENCH_CONFIG``,
with the collector set as ``serve`` sets it (``tune_collector``), so uvicorn's own options
(``--loop uvloop --http httptools``) are the same as the baselines'. Logging is left as uvicorn
sets it (operation lines off, like the baselines' access log): ``serve --log-level warning``.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette

from ultiroam_graphql import create_app
from ultiroam_graphql.cli import tune_collector
from ultiroam_graphql.config import load_settings


def app() -> Starlette:
    facade = create_app(load_settings(os.environ["BENCH_CONFIG"]))
    tune_collector()
    return facade
