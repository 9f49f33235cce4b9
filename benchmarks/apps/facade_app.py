"""The facade as the benchmarks run it: ``create_app`` over the config file in ``BENCH_CONFIG``,
so uvicorn's own options (``--loop uvloop --http httptools``) are the same as the baselines'."""

from __future__ import annotations

import os

from starlette.applications import Starlette

from ultiroam_graphql import create_app
from ultiroam_graphql.config import load_settings


def app() -> Starlette:
    return create_app(load_settings(os.environ["BENCH_CONFIG"]))
