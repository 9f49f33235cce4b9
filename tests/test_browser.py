"""GraphiQL in Debian's Chromium against real server processes.

The page must load nothing from outside the server, run queries over HTTP and subscriptions over
WebSocket, and, with API tokens, take the token from its headers editor. Screenshots go to
.artifacts/. Without Chromium or Playwright the tests skip; under REQUIRE_SERVICES=1 they fail.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
from tests.support import PUSH_EXAMPLES, free_port, wait_until_listening
from websockets.sync.client import connect
from websockets.typing import Subprotocol

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, WebSocket

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # the tests may run as root
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # a closed network: any name but localhost fails to resolve
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]
ROOT = Path(__file__).parents[1]
ARTIFACTS = ROOT / ".artifacts"
API_TOKEN = "browser-test-api-token-5d1f"
PUSH_TOKEN = "browser-test-push-token"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
NOT_NETWORK = {"data", "blob", "about"}

QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror"
RESULT_EDITOR = ".result-window .CodeMirror"

# Every value the result pane shows is recorded: a later event cannot hide the one awaited.
RECORD_RESULTS = """selector => {
  const editor = document.querySelector(selector).CodeMirror;
  window.shownResults = [];
  editor.on("change", () => window.shownResults.push(editor.getValue()));
}"""
PARSED_TEXT = """selector => {
  const ast = document.querySelector(selector).CodeMirror.documentAST;
  return ast && ast.loc ? ast.loc.source.body : null;
}"""


def require_chromium() -> None:
    """Skip without a browser to drive; under REQUIRE_SERVICES=1 (CI), fail instead."""
    if importlib.util.find_spec("playwright") is None:
        problem = "the playwright Python package is not installed"
    elif not CHROMIUM.is_file():
        problem = f"{CHROMIUM} is missing (`make test` installs Debian's chromium when it can)"
    else:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"REQUIRE_SERVICES=1 but {problem}")
    pytest.skip(problem)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module; Playwright gives it a fresh profile directory."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Starts server processes for the module; their output goes to files."""
    logs = tmp_path_factory.mktemp("browser-servers")
    started: list[subprocess.Popen[bytes]] = []

    def start(*command: str, port: int) -> str:
        log = logs / f"{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, *command], cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
            )
        started.append(process)
        wait_until_listening(port, process, log)
        return f"http://127.0.0.1:{port}"

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def demo(processes: Any) -> str:
    """``ultiroam-graphql serve --demo``: the facade over its embedded simulated gateway."""
    port = free_port()
    return processes("-m", "ultiroam_graphql", "serve", "--demo", "--port", str(port), port=port)


@pytest.fixture(scope="module")
def guarded(processes: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """examples/host_app.py: the facade under /sms, with an API token (no real gateway needed)."""
    directory = tmp_path_factory.mktemp("guarded")
    config = directory / "ultiroam.toml"
    config.write_text(
        f"""
[server]
api_tokens = ["{API_TOKEN}"]
state_dir = "{directory}"

[[gateways]]
id = "office"
url = "http://127.0.0.1:9"
username = "admin"
password = "admin"
push_token = "{PUSH_TOKEN}"
inbox_poll_interval = 0
"""
    )
    config.chmod(0o600)
    port = free_port()
    return processes("examples/host_app.py", str(config), "--port", str(port), port=port) + "/sms"


class Session:
    """One page in a fresh browser context, with everything it requested and complained about."""

    def __init__(self, browser: Browser, url: str, *, schema_refused: bool = False) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page: Page = self.context.new_page()
        self.urls: list[str] = []
        self.errors: list[str] = []
        self.sent: list[dict[str, Any]] = []
        self.page.on("request", lambda request: self.urls.append(request.url))
        self.page.on("websocket", self._websocket)
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.goto(url)
        self.page.wait_for_selector(QUERY_EDITOR)
        if schema_refused:  # GraphiQL shows why its schema request failed: not a result to count
            self.until(lambda: "UNAUTHENTICATED" in self.text(RESULT_EDITOR), "the refusal")
        self.page.evaluate(RECORD_RESULTS, RESULT_EDITOR)

    def _websocket(self, websocket: WebSocket) -> None:
        self.urls.append(websocket.url)
        websocket.on("framesent", lambda payload: self.sent.append(json.loads(payload)))

    def foreign(self) -> list[str]:
        """Requests that left localhost."""
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in NOT_NETWORK and urlsplit(url).hostname not in LOCAL_HOSTS
        ]

    def type_into(self, selector: str, text: str) -> None:
        """Replace an editor's text the way a person pasting it would."""
        self.page.click(selector)
        self.page.keyboard.press("Control+A")
        self.page.keyboard.insert_text(text)

    def refetch_schema(self) -> int:
        """Press GraphiQL's re-fetch button until its request carries the headers typed last
        (GraphiQL takes them in after a pause in typing); the status of its last answer."""
        status = 0
        for _ in range(20):
            with self.page.expect_response(
                lambda r: "IntrospectionQuery" in str(r.request.post_data)
            ) as answer:
                self.page.click("[aria-label='Re-fetch GraphQL schema']")
            status = answer.value.status
            if status == 200:
                break
            self.page.wait_for_timeout(200)
        return status

    def run(self, query: str) -> None:
        """Type ``query`` and press run, once GraphiQL has parsed what was typed."""
        self.type_into(QUERY_EDITOR, query)
        self.until(lambda: self.page.evaluate(PARSED_TEXT, QUERY_EDITOR) == query, "parsed")
        self.page.click(".graphiql-execute-button")

    def text(self, selector: str) -> str:
        """What one of the page's editors holds now."""
        text: str = self.page.evaluate(
            "selector => document.querySelector(selector).CodeMirror.getValue()", selector
        )
        return text

    def shown(self) -> list[Any]:
        """Every result the pane has shown since the page was ready, parsed."""
        texts = self.page.evaluate("window.shownResults || []")
        return [json.loads(text) for text in texts if text]

    def until(self, condition: Any, what: str) -> None:
        """Bounded wait; the page keeps processing events meanwhile."""
        for _ in range(300):
            if condition():
                return
            self.page.wait_for_timeout(100)
        raise AssertionError(f"timed out waiting for {what}; shown: {self.shown()}")

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def session(browser: Browser) -> Iterator[Any]:
    sessions: list[Session] = []

    def open_page(url: str, **options: Any) -> Session:
        sessions.append(Session(browser, url, **options))
        return sessions[-1]

    yield open_page
    for opened in sessions:
        opened.close()


def a_cursor(base: str, params: dict[str, str], push: Callable[[int], None]) -> str:
    """A cursor of the server's broker, for subscriptions in the page to resume after.

    A push that reaches the server before a new subscription is registered there would be
    missed, and nothing tells from outside when it is registered; a subscription resuming
    ``after`` a cursor gets such a push replayed instead. To get the first cursor, this side
    subscribes and pushes (one new message per attempt) until one arrives.
    """
    url = base.replace("http://", "ws://") + "/graphql"
    with connect(url, subprotocols=[Subprotocol("graphql-transport-ws")], proxy=None) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": params}))
        assert json.loads(ws.recv(timeout=10))["type"] == "connection_ack"
        query = "subscription { incomingSms { cursor } }"
        ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": {"query": query}}))
        for attempt in range(20):
            push(attempt)
            try:
                message = json.loads(ws.recv(timeout=2))
            except TimeoutError:
                continue
            cursor: str = message["payload"]["data"]["incomingSms"]["cursor"]
            return cursor
    raise AssertionError("no pushed SMS reached a subscriber")


def incoming_sms_after(cursor: str) -> str:
    return f"""subscription {{
  incomingSms(after: "{cursor}") {{
    number
    text
    port {{
      index
    }}
  }}
}}"""


def test_a_query_runs_offline(demo: str, session: Any) -> None:
    page = session(f"{demo}/graphql")
    page.run("{ gateways { id portCount } }")
    expected = {"data": {"gateways": [{"id": "demo", "portCount": 32}]}}
    page.until(lambda: expected in page.shown(), "the query's result")
    page.screenshot("graphiql-query.png")
    assert page.shown()[-1] == expected
    assert page.errors == []
    assert page.foreign() == []
    assets = sorted(urlsplit(url).path for url in page.urls if "/graphql/static/" in url)
    assert assets == [
        f"/graphql/static/{name}"
        for name in sorted(
            [
                "graphiql.min.css",
                "graphiql.min.js",
                "graphql-ws.min.js",
                "react-dom.production.min.js",
                "react.production.min.js",
                "ultiroam-graphiql.js",
            ]
        )
    ]


def test_a_subscription_shows_a_pushed_event(demo: str, session: Any) -> None:
    def receive_sms(text: str) -> None:
        response = httpx.post(
            f"{demo}/demo-gateway/control/incoming_sms",
            json={"port": 7, "number": "+33611111111", "text": text},
            auth=httpx.DigestAuth("admin", "admin"),
        )
        assert response.status_code == 200, response.text

    cursor = a_cursor(demo, {}, lambda attempt: receive_sms(f"warm-up {attempt}"))
    page = session(f"{demo}/graphql")
    page.run(incoming_sms_after(cursor))
    page.until(lambda: [m["type"] for m in page.sent] == ["connection_init", "subscribe"], "WS")
    text = f"graphiql {uuid.uuid4().hex[:8]}"
    receive_sms(text)
    event = {
        "data": {"incomingSms": {"number": "+33611111111", "text": text, "port": {"index": 7}}}
    }
    page.until(lambda: event in page.shown(), "the pushed SMS")
    page.screenshot("graphiql-subscription.png")
    assert page.sent[0]["payload"] == {}  # no headers typed: an empty connection_init
    assert page.errors == []
    assert page.foreign() == []
    assert f"ws://127.0.0.1:{urlsplit(demo).port}/graphql" in page.urls


def push_sms(base: str, sms_id: int, *, text: str = "hi") -> dict[str, Any]:
    """The gateway's `sms` push, as a device sends it, to the guarded server's webhook."""
    sms = {**PUSH_EXAMPLES["sms"][0], "incoming_sms_id": sms_id, "text": text}
    response = httpx.post(
        f"{base}/push/office", params={"token": PUSH_TOKEN}, json={"sn": "x1", "sms": [sms]}
    )
    assert response.status_code == 200, response.text
    return sms


def test_under_a_prefix_with_a_token_pasted_in_the_headers_editor(
    guarded: str, session: Any
) -> None:
    page = session(f"{guarded}/graphql", schema_refused=True)  # the page itself needs no token
    assert (
        page.text(HEADERS_EDITOR) == '{\n  "Authorization": "Bearer <paste your token here>"\n}\n'
    )
    placeholder = {"Authorization": "Bearer <paste your token here>"}
    query = "{ gateways { id portCount } }"
    page.run(query)  # the headers editor still holds its placeholder
    page.until(lambda: len(page.shown()) == 1, "the refusal")
    (refused,) = page.shown()
    assert [e["extensions"]["code"] for e in refused["errors"]] == ["UNAUTHENTICATED"]
    page.run("subscription { incomingSms { text } }")
    page.until(lambda: len(page.shown()) == 2, "the WebSocket's refusal")
    (error,) = page.shown()[1]["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert error["message"].startswith("The server refused the WebSocket (4403 Forbidden)")

    authorization = {"Authorization": f"Bearer {API_TOKEN}"}
    page.type_into(HEADERS_EDITOR, json.dumps(authorization))
    assert page.refetch_schema() == 200  # the documentation and completion now work
    page.run(query)
    expected = {"data": {"gateways": [{"id": "office", "portCount": 32}]}}
    page.until(lambda: expected in page.shown(), "the query's result")

    cursor = a_cursor(guarded, authorization, lambda attempt: push_sms(guarded, 7000 + attempt))
    page.run(incoming_sms_after(cursor))
    page.until(lambda: [m["type"] for m in page.sent][-1:] == ["subscribe"], "the subscription")
    assert page.sent == [
        {"type": "connection_init", "payload": placeholder},
        {"type": "connection_init", "payload": authorization},
        {"type": "subscribe", "id": page.sent[2]["id"], "payload": page.sent[2]["payload"]},
    ]
    sms = push_sms(guarded, 8000, text="token ok")
    event = {
        "data": {"incomingSms": {"number": sms["number"], "text": "token ok", "port": {"index": 1}}}
    }
    page.until(lambda: event in page.shown(), "the pushed SMS")

    assert page.foreign() == []
    port = urlsplit(guarded).port
    assert f"ws://127.0.0.1:{port}/sms/graphql" in page.urls
    assert f"http://127.0.0.1:{port}/sms/graphql/static/graphiql.min.js" in {
        url.partition("?")[0] for url in page.urls
    }
    # the schema could not load before the token was pasted: the browser logs those 401s only
    assert page.errors
    assert all("401" in error for error in page.errors), page.errors
