"""GraphiQL served from the package itself: no CDN, so it works on closed networks."""

from __future__ import annotations

import os

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from .page import graphiql_response, render_page
from .vendor import STATIC_DIR

STATIC_PATH = "/graphql/static"
"""Where the app mounts :class:`GraphiQLStatic`: the page refers to it as ``graphql/static/``."""

LONG_CACHE = "public, max-age=31536000, immutable"

__all__ = [
    "LONG_CACHE",
    "STATIC_DIR",
    "STATIC_PATH",
    "GraphiQLStatic",
    "graphiql_response",
    "render_page",
]


class GraphiQLStatic(StaticFiles):
    """The page's assets. URLs the page writes carry ``?v=<hash>``: those are cached a year."""

    def __init__(self) -> None:
        super().__init__(directory=STATIC_DIR)

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        query = scope.get("query_string", b"").split(b"&")
        versioned = any(part.startswith(b"v=") for part in query)
        response.headers["Cache-Control"] = LONG_CACHE if versioned else "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response
