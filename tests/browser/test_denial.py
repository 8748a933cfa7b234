"""Slides "WebSocket Denial Response", in Chromium: a refused handshake.

The WHATWG WebSockets standard has the browser fail the connection on any
status but 101, and expose no reason: page JavaScript gets a bare ``error``
Event, then ``close`` 1006. Whatever the demo answers (a bare 403, a 401
with headers and a body), only the console and DevTools get a line of
text. Non-browser clients read the whole response: see
tests/demos/test_websocket_denial.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from demos import ws, ws_http_exception, ws_send_denial_response, ws_with_token
from scripts.net.ports import HOST
from tests.browser.conftest import Front, Tab
from tests.conftest import Serve, slide
from tests.demos.conftest import UVICORN

FORBIDDEN = "Error during WebSocket handshake: Unexpected response code: 403"
UNAUTHORIZED = "HTTP Authentication failed; no valid credentials available"
CONSOLE = {403: FORBIDDEN, 401: UNAUTHORIZED}  # what Chromium says of each


@dataclass(frozen=True)
class Refusal:
    """A demo that refuses the handshake, and the status it refuses with."""

    demo: ModuleType
    query: str
    status: int

    @property
    def name(self) -> str:
        return self.demo.__name__.rpartition(".")[2]

    def __str__(self) -> str:
        return f"{self.name}{self.query}"


REFUSALS = pytest.mark.parametrize("refusal", [
    Refusal(ws, "", 403),  # websocket.close() before accept
    Refusal(ws_send_denial_response, "", 401),
    Refusal(ws_http_exception, "", 401),
    Refusal(ws_with_token, "?token=wrong", 401),
    Refusal(ws_with_token, "", 403),  # no token: FastAPI's validation, 1008
], ids=str)

# Every event the socket fires, with every primitive property it has, its
# own or inherited: whatever a page's script could read.
CONNECT = """async (url) => {
  const socket = new WebSocket(url);
  const events = [];
  await new Promise((resolve) => {
    for (const type of ['open', 'message', 'error', 'close']) {
      socket.addEventListener(type, (event) => {
        const seen = {class: event.constructor.name};
        for (const key in event) {
          const value = event[key];
          if (value === null || !['object', 'function'].includes(typeof value))
            seen[key] = value;
        }
        events.push(seen);
        if (type === 'close') resolve();
      });
    }
  });
  return {events, protocol: socket.protocol, extensions: socket.extensions};
}"""


@dataclass
class Connected:
    """A WebSocket the page opened, once closed."""

    front: Front
    url: str
    seen: dict[str, Any]  # what the page's script saw: CONNECT's result


def connect(serve: Serve, tab: Tab, demo: ModuleType, query: str) -> Connected:
    """Serve ``demo``, open a WebSocket to it from the page, until close."""
    front = Front(demo.app)
    server = serve(front, UVICORN)
    tab.open(server)
    url = f"ws://{HOST}:{server.port}/ws{query}"
    seen = tab.run(CONNECT, url)
    tab.wait_for("Network.webSocketClosed")  # DevTools has seen it all
    return Connected(front, url, seen)


def shape(event: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        event.get(key) for key in ("type", "class", "code", "reason",
                                   "wasClean", "data")
    )


def sent_texts(front: Front) -> list[str]:
    """The values of the headers (but the length) and the body of the
    denial response the app sent: none if it only closed (the 403s here;
    every 401 here is a denial response)."""
    response = [sent.message for sent in front.sent
                if sent.message["type"].startswith("websocket.http.")]
    headers = [
        value.decode()
        for message in response
        for name, value in message.get("headers", [])
        if name.lower() != b"content-length"
    ]
    return headers + [m["body"].decode() for m in response if m.get("body")]


def hides_from_page_js(connected: Connected, refusal: Refusal) -> None:
    """No status, header or body reaches the page's script: a bare error
    Event, then close 1006."""
    seen, where = connected.seen, slide(refusal.name)
    assert [shape(event) for event in seen["events"]] == [
        ("error", "Event", None, None, None, None),
        ("close", "CloseEvent", 1006, "", False, None),
    ], (
        f"{where}: Chromium no longer fails a refused handshake "
        f"({refusal.status}) with error + close 1006: {seen}"
    )
    values = [v for event in seen["events"] for v in event.values()]
    assert refusal.status not in values, (where, seen)
    assert str(refusal.status) not in values, (where, seen)
    shown = json.dumps(seen)
    leaked = [text for text in sent_texts(connected.front) if text in shown]
    assert leaked == [], f"{where}: page JS can read {leaked}"
    assert (seen["protocol"], seen["extensions"]) == ("", ""), where


def tells_devtools_one_line(
    connected: Connected, tab: Tab, refusal: Refusal
) -> None:
    """The console's line is DevTools' only word: no handshake response
    event (there is one for a 101), no header or body in any event."""
    url, text = connected.url, CONSOLE[refusal.status]
    where = slide(refusal.name)
    tab.wait(lambda: bool(tab.console), "a console line")
    assert tab.console == [f"WebSocket connection to '{url}' failed: {text}"], (
        f"{where}: Chromium's console line for a {refusal.status} changed: "
        f"{tab.console}"
    )
    created = tab.events("Network.webSocketCreated")
    assert [event["url"] for event in created] == [url], where
    ours = [
        name for name, params in tab.network
        if params.get("requestId") == created[0]["requestId"]
    ]
    assert ours == [
        "Network.webSocketCreated",
        "Network.webSocketWillSendHandshakeRequest",
        "Network.webSocketFrameError",
        "Network.webSocketClosed",
    ], (where, ours)
    errors = tab.events("Network.webSocketFrameError")
    assert [event["errorMessage"] for event in errors] == [text], where
    devtools = json.dumps(tab.network)
    leaked = [t for t in sent_texts(connected.front) if t in devtools]
    assert leaked == [], f"{where}: DevTools show {leaked}"


@REFUSALS
def test_a_refusal_reaches_page_js_as_1006_and_devtools_as_one_line(
    serve: Serve, tab: Tab, refusal: Refusal
) -> None:
    """One handshake refused, seen by the page's script and by DevTools:
    whatever the app sent (a 401 has headers and a body to hide, a 403
    none), neither shows any of it."""
    connected = connect(serve, tab, refusal.demo, refusal.query)
    texts = sent_texts(connected.front)
    assert bool(texts) == (refusal.status == 401), slide(refusal.name)
    hides_from_page_js(connected, refusal)
    tells_devtools_one_line(connected, tab, refusal)


def test_right_token_opens_and_closes_cleanly(serve: Serve, tab: Tab) -> None:
    """The contrast: a 101, the message, a clean close; and DevTools does
    report a handshake response when there is one to report."""
    query = f"?token={ws_with_token.TOKEN}"
    seen = connect(serve, tab, ws_with_token, query).seen
    where = slide("ws_with_token")
    assert [shape(event) for event in seen["events"]] == [
        ("open", "Event", None, None, None, None),
        ("message", "MessageEvent", None, None, None,
         "Hello, authenticated client!"),
        ("close", "CloseEvent", 1000, "", True, None),
    ], (where, seen)
    assert tab.console == [], where
    responses = tab.events("Network.webSocketHandshakeResponseReceived")
    assert [event["response"]["status"] for event in responses] == [101], where
