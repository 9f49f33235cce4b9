// A Node.js client of ultiroam-graphql: a query over fetch, then a subscription with graphql-ws.
//
//     cd examples/js && npm ci
//     node subscribe.mjs                                   # make demo, on http://127.0.0.1:8000
//     node subscribe.mjs http://host:8000/graphql --statuses DELIVERED,FAILED --count 10
//     ULTIROAM_GRAPHQL_TOKEN=secret node subscribe.mjs     # a server with [server] api_tokens
//
// Each event is printed as one line of JSON. Ctrl-C stops it.

import { parseArgs } from "node:util";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const { values: options, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    statuses: { type: "string", default: "" },
    count: { type: "string" },
    token: { type: "string", default: process.env.ULTIROAM_GRAPHQL_TOKEN },
  },
});
const url = positionals[0] ?? "http://127.0.0.1:8000/graphql";
const statuses = options.statuses.split(",").filter(Boolean);
const count = options.count ? Number(options.count) : Infinity;
const authorization = options.token ? { Authorization: `Bearer ${options.token}` } : {};

const OVERVIEW = `{ gateways { id sn portCount } }`;
const FOLLOW = `subscription Follow($statuses: [SmsStatus!]) {
  smsResults(filter: { statuses: $statuses }) {
    gateway { id }
    port { index }
    number
    userId
    status
    time
    cursor
  }
}`;

/** One GraphQL POST; its data, or an Error naming each error's extensions.code. */
async function query(document, variables = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json", ...authorization },
    body: JSON.stringify({ query: document, variables }),
  });
  const answer = await response.json();
  if (answer.errors?.length) {
    const codes = answer.errors.map((e) => `${e.extensions?.code ?? "NO_CODE"}: ${e.message}`);
    throw new Error(`HTTP ${response.status}: ${codes.join("; ")}`);
  }
  return answer.data;
}

async function main() {
  const { gateways } = await query(OVERVIEW);
  for (const gateway of gateways) {
    const sn = gateway.sn ?? "not learned yet"; // from the gateway's replies and pushes
    console.log(`gateway ${gateway.id}: ${gateway.portCount} ports, sn ${sn}`);
  }

  const client = createClient({
    url: url.replace(/^http/, "ws"),
    webSocketImpl: WebSocket, // Node 20 has no WebSocket of its own
    connectionParams: authorization, // the token travels in connection_init
    retryAttempts: 5, // reconnects after a network hiccup; resume with `after` to miss nothing
  });
  const events = client.iterate({
    query: FOLLOW,
    variables: { statuses: statuses.length ? statuses : null },
  });
  process.once("SIGINT", () => events.return());
  console.log(`following sending results on ${url.replace(/^http/, "ws")} (Ctrl-C to stop)`);
  let seen = 0;
  try {
    for await (const event of events) {
      if (event.errors) {
        throw new Error(event.errors.map((e) => e.extensions?.code ?? e.message).join("; "));
      }
      console.log(JSON.stringify(event.data.smsResults));
      if (++seen >= count) break;
    }
  } finally {
    await client.dispose();
  }
}

main().catch((error) => {
  // graphql-ws rejects with a CloseEvent-like object when the server refuses the connection.
  const reason =
    error instanceof Error
      ? `${error.message}${error.cause?.code ? ` (${error.cause.code})` : ""}`
      : `connection closed: ${error.code} ${error.reason}`;
  console.error(`subscribe.mjs: ${url}: ${reason}`);
  process.exitCode = 1;
});
