// GraphiQL for ultiroam-graphql: queries and mutations over HTTP POST, subscriptions over
// graphql-transport-ws with the graphql-ws client. Everything it loads comes from this server.
/* global GraphiQL, React, ReactDOM, graphqlWs */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("graphiql-config").textContent);

  // The endpoint is this page's own URL, so the app may be mounted under any prefix.
  const httpUrl = new URL(window.location.pathname, window.location.href);
  const wsUrl = new URL(httpUrl);
  wsUrl.protocol = httpUrl.protocol === "https:" ? "wss:" : "ws:";

  const httpFetcher = GraphiQL.createFetcher({ url: httpUrl.href });

  // Browsers cannot set headers on a WebSocket: the headers editor's content goes into the
  // connection_init payload, where the server reads params["Authorization"].
  function connectionParams(headers) {
    const params = {};
    for (const [name, value] of Object.entries(headers || {})) {
      params[name.toLowerCase() === "authorization" ? "Authorization" : name] = value;
    }
    return params;
  }

  // One connection, shared by the subscriptions; a new one when the headers change.
  let client = null;
  let clientKey = null;
  function wsClient(headers) {
    const params = connectionParams(headers);
    const key = JSON.stringify(params);
    if (client === null || key !== clientKey) {
      if (client !== null) {
        client.dispose();
      }
      client = graphqlWs.createClient({
        url: wsUrl.href,
        connectionParams: params,
        // A refused token (4403) is final: retrying would only delay the error for seconds.
        shouldRetry: (event) => !(event && event.code === 4403),
      });
      clientKey = key;
    }
    return client;
  }

  function isSubscription(documentAST, operationName) {
    const operations = documentAST
      ? documentAST.definitions.filter((definition) => definition.kind === "OperationDefinition")
      : [];
    const chosen =
      operations.find((op) => op.name && op.name.value === operationName) ||
      (operations.length === 1 ? operations[0] : null);
    return chosen !== null && chosen.operation === "subscription";
  }

  // A failed subscription is shown as a GraphQL result, not as a script error with its stack.
  function failure(error) {
    if (Array.isArray(error)) {
      return { errors: error }; // the server's own GraphQL errors, with their extensions
    }
    if (error && error.code === 4403) {
      return {
        errors: [
          {
            message:
              "The server refused the WebSocket (4403 Forbidden): a valid API token is " +
              'required. Put {"Authorization": "Bearer <token>"} in the Headers pane.',
            extensions: { code: "UNAUTHENTICATED" },
          },
        ],
      };
    }
    if (error && typeof error.code === "number") {
      const reason = error.reason ? `: ${error.reason}` : "";
      return { errors: [{ message: `The WebSocket closed with code ${error.code}${reason}` }] };
    }
    const message = error instanceof Error ? error.message : "The WebSocket connection failed";
    return { errors: [{ message: message }] };
  }

  async function* subscribe(headers, payload) {
    try {
      yield* wsClient(headers).iterate(payload);
    } catch (error) {
      yield failure(error);
    }
  }

  function fetcher(params, options) {
    if (isSubscription(options && options.documentAST, params.operationName)) {
      return subscribe(options.headers, {
        query: params.query,
        variables: params.variables,
        operationName: params.operationName,
      });
    }
    return httpFetcher(params, options);
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: config.defaultQuery,
      defaultTabs: config.tabs,
      headers: config.headers, // what to paste where, when the server wants a token
      defaultHeaders: config.headers,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false, // a token pasted in stays out of the browser's storage
      defaultEditorToolsVisibility: config.tokensRequired ? "headers" : false,
    }),
  );
})();
