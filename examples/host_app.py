"""A host application that serves the facade under ``/sms`` beside routes of its own.

    python examples/host_app.py [CONFIG] [--port P]

CONFIG defaults to examples/config.toml; the port to $PORT, else 8001.

Starlette does not run a mounted app's lifespan, so the host enters the facade's lifespan in
its own: that is what closes the gateway connections at shutdown.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from ultiroam_graphql import Settings, create_app, load_settings

DEFAULT_CONFIG = Path(__file__).with_name("config.toml")


def create_host_app(settings: Settings) -> Starlette:
    """The host's own routes, with the facade's GraphQL at /sms/graphql (and WS subscriptions)."""
    facade = create_app(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Open the host's own resources here, around the facade's lifespan.
        async with facade.router.lifespan_context(facade):
            yield

    async def index(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "app": "host",
                "gateways": [g.id for g in settings.gateways],
                "graphql": "/sms/graphql",
            }
        )

    return Starlette(
        routes=[Route("/", index), Mount("/sms", app=facade)],
        lifespan=lifespan,
    )


# The FastAPI equivalent is the same Mount (FastAPI is Starlette underneath):
#
#     facade = create_app(settings)
#
#     @contextlib.asynccontextmanager
#     async def lifespan(app: FastAPI) -> AsyncIterator[None]:
#         async with facade.router.lifespan_context(facade):
#             yield
#
#     app = FastAPI(lifespan=lifespan)
#     app.mount("/sms", facade)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A host app mounting ultiroam-graphql at /sms.")
    parser.add_argument("config", nargs="?", default=str(DEFAULT_CONFIG))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8001")))
    args = parser.parse_args(argv)
    app = create_host_app(load_settings(args.config))
    uvicorn.run(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
