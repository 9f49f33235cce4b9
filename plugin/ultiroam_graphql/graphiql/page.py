"""The GraphiQL page: vendored assets under relative URLs, so it works offline and under a prefix.

The page is served at ``<prefix>/graphql``; its assets at ``<prefix>/graphql/static/``, so the
relative URL ``graphql/static/<file>`` finds them whatever the prefix. Each asset URL carries a
hash of the file, which lets the assets be cached for a year and still change with a release.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta

from starlette.responses import HTMLResponse

from .vendor import STATIC_DIR, sha256_of

ASSETS_URL = "graphql/static/"
"""The assets, relative to the page at ``<prefix>/graphql``."""

STYLES = ("graphiql.min.css",)
SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphql-ws.min.js",
    "graphiql.min.js",
    "ultiroam-graphiql.js",
)

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # GraphiQL and CodeMirror set inline styles
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",  # same-origin HTTP and WebSocket: nothing leaves the server
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    )
)

DEFAULT_QUERY = """\
# GraphiQL for ultiroam-graphql. Ctrl-Enter runs the operation; Ctrl-Space completes.
# With API tokens, open Headers below and paste {"Authorization": "Bearer <token>"}.
{
  gateways {
    id
    portCount
  }
}
"""

TOKEN_HEADERS = '{\n  "Authorization": "Bearer <paste your token here>"\n}\n'

TEMPLATE = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ultiroam-graphql · GraphiQL</title>
<link rel="icon" href="data:,">
{styles}
<style>
body {{ margin: 0; height: 100vh; overflow: hidden; }}
#graphiql {{ height: 100vh; }}
</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script type="application/json" id="graphiql-config">{config}</script>
{scripts}
</body>
</html>
"""


@functools.cache
def asset_url(name: str) -> str:
    """The relative URL of one asset, versioned by its content."""
    digest = sha256_of((STATIC_DIR / name).read_bytes())[:16]
    return f"{ASSETS_URL}{name}?v={digest}"


@functools.cache
def _example(name: str) -> str:
    return (STATIC_DIR / name).read_text(encoding="utf-8")


def page_config(*, tokens_required: bool) -> dict[str, object]:
    """What the page's script reads: the example tabs, and whether to ask for a token."""
    since = datetime.now(UTC) - timedelta(hours=1)  # for the FailedSince example
    headers = TOKEN_HEADERS if tokens_required else ""
    return {
        "defaultQuery": DEFAULT_QUERY,
        "tokensRequired": tokens_required,
        "headers": headers,
        "tabs": [
            {
                "query": _example("examples.graphql"),
                "variables": json.dumps({"since": since.isoformat(timespec="seconds")}, indent=2),
                "headers": headers,
            },
            {"query": _example("subscriptions.graphql"), "headers": headers},
        ],
    }


def render_page(*, tokens_required: bool = False) -> str:
    """The page's HTML, with its configuration as inert JSON (no inline script runs)."""
    config = json.dumps(page_config(tokens_required=tokens_required))
    return TEMPLATE.format(
        styles="\n".join(f'<link rel="stylesheet" href="{asset_url(n)}">' for n in STYLES),
        # "<" escaped: the JSON cannot close its <script> element, whatever an example holds
        config=config.replace("<", "\\u003c"),
        scripts="\n".join(f'<script src="{asset_url(n)}"></script>' for n in SCRIPTS),
    )


def graphiql_response(*, tokens_required: bool = False) -> HTMLResponse:
    """The page, with a policy that lets the browser load nothing from elsewhere."""
    return HTMLResponse(
        render_page(tokens_required=tokens_required),
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-cache",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
        },
    )
