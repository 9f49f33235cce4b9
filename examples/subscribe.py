"""Follow delivery updates live: a GraphQL subscription over WebSocket with gql.

    .venv/bin/python examples/subscribe.py                       # every result, from make demo
    .venv/bin/python examples/subscribe.py --statuses DELIVERED FAILED --count 10
    .venv/bin/python examples/subscribe.py ws://host:8000/graphql --token API_TOKEN

Uses gql's WebSocket transport (graphql-transport-ws); the token, when the server has
``api_tokens``, goes in the ``connection_init`` payload as browsers do.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportError
from gql.transport.websockets import WebsocketsTransport

SUBSCRIPTION = """
subscription Results($filter: SmsResultFilter, $gateways: [ID!]) {
  smsResults(filter: $filter, gatewayIds: $gateways) {
    gateway { id }
    port { index }
    number
    userId
    status
    time
    cursor
  }
}
"""


async def results(
    url: str,
    *,
    statuses: Sequence[str] | None = None,
    gateways: Sequence[str] | None = None,
    token: str | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Each pushed sending result that matches, as the server sends it."""
    transport = WebsocketsTransport(
        url=url,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"Authorization": f"Bearer {token}"} if token else {},
    )
    variables: dict[str, Any] = {"gateways": list(gateways) if gateways else None}
    variables["filter"] = {"statuses": list(statuses)} if statuses else None
    request = GraphQLRequest(SUBSCRIPTION, variable_values=variables)
    async with Client(transport=transport) as session:
        async for data in session.subscribe(request):
            yield data["smsResults"]


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="ws://127.0.0.1:8000/graphql")
    parser.add_argument("--statuses", nargs="*", help="e.g. DELIVERED FAILED")
    parser.add_argument("--gateways", nargs="*", help="gateway ids (default: all)")
    parser.add_argument("--token", help="API token, when the server requires one")
    parser.add_argument("--count", type=int, help="stop after this many events")
    args = parser.parse_args(argv)
    seen = 0
    try:
        async for result in results(
            args.url, statuses=args.statuses, gateways=args.gateways, token=args.token
        ):
            print(
                f"{result['time']}  {result['gateway']['id']}/{result['port']['index']:<2}  "
                f"{result['number']:<16} {result['status']:<10} userId={result['userId']}  "
                f"cursor={result['cursor']}",
                flush=True,
            )
            seen += 1
            if args.count and seen >= args.count:
                break
    except (OSError, TransportError) as exc:
        print(
            f"subscribe.py: {args.url}: {exc} (is the server running? make demo)", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:
        sys.exit(130)
