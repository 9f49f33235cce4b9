"""The whole round trip against `make demo`: send, follow, get a reply, read the inbox.

    .venv/bin/python examples/round_trip.py                 # the demo on 127.0.0.1:8000

1. `sendSms` to one number; the facade answers with the message's `userId`.
2. Subscriptions follow it: its sending results (`smsResults` by `userIds`) and its delivery
   report (`deliveryReports` by number), as the gateway pushes them.
3. The phone "replies": the demo's simulated device receives an SMS (its control endpoint), and
   it arrives on the `incomingSms` subscription, then is read back with a query.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any

import httpx
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportError
from gql.transport.websockets import WebsocketsTransport

NUMBER = "+33612345678"
SEND = """mutation($input: SendSmsInput!) {
  sendSms(input: $input) { messages { number userId taskId accepted error } }
}"""
RESULTS = """subscription($ids: [Int!]) {
  smsResults(filter: {userIds: $ids}) { userId status time }
}"""
REPORTS = """subscription($numbers: [String!]) {
  deliveryReports(numbers: $numbers) { number statusCode delivered time }
}"""
INBOX = "subscription { incomingSms { id number text receivedAt } }"
READ = """query($after: Int!) {
  gateway(id: "demo") { incomingSms(afterId: $after) { id number text } }
}"""


async def graphql(http: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    reply = (await http.post("/graphql", json={"query": query, "variables": variables})).json()
    if reply.get("errors"):
        raise RuntimeError(f"GraphQL errors: {reply['errors']}")
    return reply["data"]


async def follow(session: Any, query: str, label: str, done: Any, **variables: Any) -> None:
    """Print each event of one subscription until ``done(event)`` says it is enough."""
    request = GraphQLRequest(query, variable_values=variables)
    async for data in session.subscribe(request):
        (event,) = data.values()
        print(f"  {label:<15} {event}", flush=True)
        if done(event):
            return


async def round_trip(base: str, *, wait_seconds: float = 60.0) -> dict[str, Any]:
    """Run the round trip; what was seen, for a caller (or a test) to check."""
    seen: dict[str, Any] = {}
    ws_url = base.replace("http", "ws", 1) + "/graphql"
    transport = WebsocketsTransport(
        url=ws_url, subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL]
    )
    async with (
        httpx.AsyncClient(base_url=base, timeout=30) as http,
        Client(transport=transport) as session,
    ):
        inbox = asyncio.ensure_future(
            follow(session, INBOX, "incomingSms", lambda e: e["number"] == NUMBER)
        )
        data = await graphql(
            http,
            SEND,
            input={
                "gatewayId": "demo",
                "text": "Ready to go? #param#",
                "recipients": [{"number": NUMBER, "textParams": ["Reply YES"]}],
            },
        )
        (message,) = data["sendSms"]["messages"]
        seen["sent"] = message
        print(f"sent to {message['number']}: userId {message['userId']}", flush=True)
        final = {"DELIVERED", "FAILED"}
        watching = asyncio.gather(
            follow(
                session,
                RESULTS,
                "smsResults",
                lambda e: e["status"] in final,
                ids=[message["userId"]],
            ),
            follow(session, REPORTS, "deliveryReports", lambda e: True, numbers=[NUMBER]),
        )
        try:
            await asyncio.wait_for(watching, wait_seconds)
            seen["followed"] = True
        except TimeoutError:
            print("  (no final status or report yet; the network is slow today)", flush=True)
        before = await graphql(http, READ, after=0)
        last_id = max((m["id"] for m in before["gateway"]["incomingSms"]), default=0)
        reply = {"port": 1, "number": NUMBER, "text": "YES"}
        injected = await http.post(
            "/demo-gateway/control/incoming_sms",
            json=reply,
            auth=httpx.DigestAuth("admin", "admin"),
        )
        injected.raise_for_status()
        print(f"the phone replies: {reply['text']!r}", flush=True)
        await asyncio.wait_for(inbox, wait_seconds)
        inbox_now = await graphql(http, READ, after=last_id)
        seen["inbox"] = inbox_now["gateway"]["incomingSms"]
        print(f"inbox after {last_id}: {seen['inbox']}", flush=True)
    return seen


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    try:
        await round_trip(args.base.rstrip("/"), wait_seconds=args.timeout)
    except (OSError, TransportError, httpx.HTTPError) as exc:
        print(f"round_trip.py: {args.base}: {exc} (is `make demo` running?)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
