"""A Python application's client with gql: a query over HTTP, then a subscription over WebSocket.

    .venv/bin/python examples/gql_client.py                  # make demo, on :8000
    .venv/bin/python examples/gql_client.py http://host:8000/graphql --token API_TOKEN --count 5

Written the way gql's documentation shows it: a ``Client`` per transport, documents parsed once
with ``gql()`` and checked against the server's schema before they are sent
(``fetch_schema_from_transport``, which needs the server's ``introspection`` left on). The API
token, when the server has ``api_tokens``, goes in the HTTP header, and in the WebSocket's
``connection_init`` payload.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterator, Sequence
from typing import Any

from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportError, TransportQueryError
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

OVERVIEW = gql("""
query Overview {
  gateways { id sn portCount }
  smsResults(filter: { statuses: [FAILED] }) { gateway { id } port { index } number time }
}
""")

FOLLOW = gql("""
subscription Follow($statuses: [SmsStatus!]) {
  smsResults(filter: { statuses: $statuses }) {
    gateway { id }
    port { index }
    number
    status
    time
    cursor
  }
}
""")


def _authorization(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def overview(url: str, *, token: str | None = None) -> dict[str, Any]:
    """The gateways, and the failed messages that they still remember."""
    transport = HTTPXAsyncTransport(url=url, headers=_authorization(token), timeout=30)
    async with Client(transport=transport, fetch_schema_from_transport=True) as session:
        return await session.execute(OVERVIEW)


async def follow(
    url: str, *, token: str | None = None, statuses: Sequence[str] | None = None
) -> AsyncIterator[dict[str, Any]]:
    """Each sending result the gateways push, as it arrives."""
    transport = WebsocketsTransport(
        url=url.replace("http", "ws", 1),
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload=_authorization(token),
    )
    request = GraphQLRequest(
        FOLLOW, variable_values={"statuses": list(statuses) if statuses else None}
    )
    async with Client(transport=transport, fetch_schema_from_transport=True) as session:
        async for data in session.subscribe(request):
            yield data["smsResults"]


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:8000/graphql")
    parser.add_argument("--token", help="API token, when the server requires one")
    parser.add_argument("--statuses", nargs="*", help="follow only these, e.g. DELIVERED FAILED")
    parser.add_argument("--count", type=int, help="stop after this many events")
    args = parser.parse_args(argv)
    try:
        data = await overview(args.url, token=args.token)
        for gateway in data["gateways"]:
            sn = gateway["sn"] or "not learned yet"  # from the gateway's replies and pushes
            print(f"gateway {gateway['id']}: {gateway['portCount']} ports, sn {sn}")
        for failed in data["smsResults"]:
            where = f"{failed['gateway']['id']}/{failed['port']['index']}"
            print(f"failed  {failed['time']}  {where:<12} {failed['number']}")
        print("following sending results (Ctrl-C to stop)", flush=True)
        seen = 0
        async for result in follow(args.url, token=args.token, statuses=args.statuses):
            where = f"{result['gateway']['id']}/{result['port']['index']}"
            print(
                f"{result['status']:<9} {result['time']}  {where:<12} {result['number']}  "
                f"cursor={result['cursor']}",
                flush=True,
            )
            seen += 1
            if args.count and seen >= args.count:
                break
    except TransportQueryError as exc:  # the server answered with GraphQL errors
        for error in exc.errors or []:
            code = (error.get("extensions") or {}).get("code", "NO_CODE")
            print(f"gql_client.py: error {code}: {error.get('message')}", file=sys.stderr)
        return 1
    except (OSError, TransportError) as exc:  # unreachable, refused, HTTP errors
        print(
            f"gql_client.py: {args.url}: {exc} (is the server running? make demo)", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except KeyboardInterrupt:
        sys.exit(130)
