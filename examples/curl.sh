#!/usr/bin/env bash
# GraphQL over HTTP with nothing but curl: one query sent with POST, one with GET.
#
#     examples/curl.sh                                  # make demo, on http://127.0.0.1:8000
#     examples/curl.sh https://sms.example.org/graphql
#     ULTIROAM_GRAPHQL_TOKEN=secret examples/curl.sh    # a server with [server] api_tokens
#
# With ULTIROAM_GRAPHQL_TOKEN set, each request carries "Authorization: Bearer <token>". A server
# with api_tokens answers a request without it with HTTP 401 and extensions.code UNAUTHENTICATED;
# curl prints that answer and the script stops with curl's status 22.
set -eo pipefail

url=${1:-http://127.0.0.1:8000/graphql}
auth=()
if [[ -n $ULTIROAM_GRAPHQL_TOKEN ]]; then
  auth=(--header "Authorization: Bearer $ULTIROAM_GRAPHQL_TOKEN")
fi

# POST: the query and its variables in a JSON body, as every GraphQL client sends them.
# Mutations must use POST.
echo "POST $url"
curl --silent --show-error --fail-with-body "${auth[@]}" \
  --header 'Content-Type: application/json' \
  --data '{
    "query": "query Results($statuses: [SmsStatus!]) { smsResults(filter: {statuses: $statuses}) { gateway { id } port { index } number time status } }",
    "variables": {"statuses": ["FAILED"]}
  }' \
  "$url"
echo

# GET: the query in the URL, encoded by curl. For queries only; handy for caches and quick looks.
echo "GET $url"
curl --silent --show-error --fail-with-body "${auth[@]}" --get \
  --data-urlencode 'query={ gateways { id sn portCount } }' \
  "$url"
echo
