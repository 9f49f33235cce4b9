"""The ``ultiroam-graphql`` command: the only module that prints or exits."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

from .config import CONFIG_ENV, ConfigError, holds_secrets, load_settings, readable_by_others
from .logs import LOG_FORMATS, LOG_LEVELS, LogFormat, configure_logging


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except ConfigError as exc:
        print(f"ultiroam-graphql: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ultiroam-graphql",
        description="A typed GraphQL API in front of Ultiroam / Dinstar-family SMS gateways.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the GraphQL server")
    source = serve.add_mutually_exclusive_group()
    source.add_argument("--config", metavar="FILE", help=f"TOML config (default: ${CONFIG_ENV})")
    source.add_argument(
        "--demo", action="store_true", help="serve an embedded simulated gateway; no config"
    )
    serve.add_argument("--host", help="address to listen on (default: [server] host, 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (default: [server] port, 8000)")
    _log_options(serve)
    serve.set_defaults(run=_serve)

    simulate = commands.add_parser("simulate", help="run a simulated gateway (same REST API)")
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, default=8080)
    simulate.add_argument("--ports", type=int, default=32, help="port count, 1..32")
    simulate.add_argument("--timezone", default="UTC", help="IANA zone of the device's clock")
    simulate.add_argument("--username", default="admin")
    simulate.add_argument("--password", default="admin")
    simulate.add_argument("--auth", choices=["digest", "basic"], default="digest")
    simulate.add_argument("--seed", type=int, default=0, help="seed of the simulated data")
    simulate.add_argument(
        "--traffic-interval",
        type=float,
        default=3.0,
        help="seconds between new simulated messages; 0 turns live traffic off",
    )
    simulate.add_argument(
        "--push-url", help="POST events here as the device would (e.g. the facade's webhook)"
    )
    simulate.add_argument(
        "--push-interval", type=float, default=1.0, help="seconds between pushes (default: 1)"
    )
    _log_options(simulate)
    simulate.set_defaults(run=_simulate)

    schema = commands.add_parser("schema", help="print the GraphQL schema (SDL)")
    schema.set_defaults(run=_schema)
    return parser


def _log_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--log-level", default="info", choices=LOG_LEVELS)
    command.add_argument(
        "--log-format",
        default="text",
        choices=LOG_FORMATS,
        help="text for people (default), json for log collectors: one object a line",
    )


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    if args.demo:
        from .demo import demo_app

        app = demo_app()
    else:
        settings = load_settings(args.config)
        _warn_if_secrets_are_exposed(args.config)
        app = create_app(settings)
    server = app.state.settings.server
    host = args.host or server.host
    port = args.port if args.port is not None else server.port
    _configure_logging(args.log_level, args.log_format)
    tune_collector()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level=args.log_level,
        log_config=None,
        lifespan="on",
        # Frames are small JSON; compression would cost ~44 KB of memory per connection.
        ws_per_message_deflate=False,
    )
    return 0


YOUNG_COLLECTION_THRESHOLD = 50_000
"""Allocations between two collections of the youngest generation (Python's default: 700)."""


def tune_collector() -> None:
    """The garbage collector set for a server: what ``serve`` runs with.

    Everything built so far lives as long as the process, so it is frozen out of every later
    collection (otherwise each full one walks the schema and the libraries' objects). And a
    result list builds thousands of objects that all live until its answer is written: at the
    default threshold they are traversed by dozens of collections per request, about a third of
    its CPU at 3,000 results; a higher one lets far fewer collections run. Our objects form few
    cycles, so little garbage waits the longer.
    """
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, oldest)


def _simulate(args: argparse.Namespace) -> int:
    import zoneinfo

    import uvicorn

    from .simulator import SimulatedGateway, create_simulator_app

    try:
        device = SimulatedGateway(ports=args.ports, timezone=args.timezone, seed=args.seed)
        app = create_simulator_app(
            device,
            username=args.username,
            password=args.password,
            auth=args.auth,
            traffic_interval=args.traffic_interval or None,
            push_url=args.push_url,
            push_interval=args.push_interval,
        )
    except (ValueError, zoneinfo.ZoneInfoNotFoundError) as exc:
        print(f"ultiroam-graphql simulate: {exc}", file=sys.stderr)
        return 2
    _configure_logging(args.log_level, args.log_format)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        log_config=None,
        lifespan="on",
    )
    return 0


def _warn_if_secrets_are_exposed(path: str | None) -> None:
    import os
    import tomllib

    path = path or os.environ.get(CONFIG_ENV)
    if not path or not readable_by_others(path):
        return
    with open(path, "rb") as file:
        if holds_secrets(tomllib.load(file)):
            print(
                f"ultiroam-graphql: warning: {path} holds passwords or tokens and other users "
                f"can read it (chmod 600 {path}, or use password_env / api_tokens_env)",
                file=sys.stderr,
            )


def _schema(args: argparse.Namespace) -> int:
    from .schema import print_schema

    sys.stdout.write(print_schema())
    return 0


def _configure_logging(level: str, log_format: LogFormat = "text") -> None:
    """Our records and uvicorn's (run with ``log_config=None``) through one formatter."""
    configure_logging(level, log_format)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
