// Runs graphql-http's GraphQL-over-HTTP server audits against a URL and prints every result.
// Usage: node audit.mjs http://127.0.0.1:8000/graphql
// Prints one JSON array: [{id, name, status: "ok" | "notice" | "warn" | "error", reason}].
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}

const results = await auditServer({ url });
const report = results.map(({ id, name, status, reason }) => ({
  id,
  name,
  status,
  reason: reason ?? null,
}));
console.log(JSON.stringify(report, null, 2));
