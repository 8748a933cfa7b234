"""Chromium (Playwright, the system's binary) in front of the demos.

A demo's app runs on real uvicorn behind ``Front``, which serves a page of
its own on the same origin (Chromium's Local Network Access checks keep
pages of other origins off ws://127.0.0.1) and records what went through:
the headers of every HTTP request the app received, and every message it
sent. ``Tab`` is one page, with what its console printed and the Network
events DevTools (CDP) reported, in this worker's Chromium
(tests/chromium.py).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import Browser, CDPSession, ConsoleMessage, Page
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scripts.net.clients import TIMEOUT
from scripts.net.servers import RunningServer
from tests.chromium import browser, chromium

__all__ = ["browser", "chromium"]  # fixtures shared with tests/deck

WAIT_MS = TIMEOUT * 1000  # Playwright counts in milliseconds
PAGE_PATH = "/page"
PAGE = (
    b"<!doctype html><meta charset=utf-8>"
    b"<link rel=icon href='data:,'>"  # no /favicon.ico request to the demo
    b"<title>ASGI demos in Chromium</title>"
)
# The Network events that carry a request, a response or WebSocket traffic.
NETWORK_EVENTS = tuple(
    f"Network.{name}"
    for name in (
        "requestWillBeSent", "requestWillBeSentExtraInfo",
        "responseReceived", "responseReceivedExtraInfo",
        "dataReceived", "loadingFinished", "loadingFailed",
        "webSocketCreated", "webSocketWillSendHandshakeRequest",
        "webSocketHandshakeResponseReceived", "webSocketFrameSent",
        "webSocketFrameReceived", "webSocketFrameError", "webSocketClosed",
    )
)


@dataclass
class Sent:
    """One message the app sent, and what became of it."""

    message: Message
    # uvicorn's HTTP cycle had already seen the client go (None: not HTTP)
    after_disconnect: bool | None
    raised: bool = False


@dataclass
class Front:
    """``app`` behind a page on the same origin; what went through."""

    app: ASGIApp
    requests: list[list[tuple[str, str]]] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if scope["type"] == "http" and scope["path"] == PAGE_PATH:
            headers = [(b"content-type", b"text/html; charset=utf-8")]
            await send({"type": "http.response.start", "status": 200,
                        "headers": headers})
            await send({"type": "http.response.body", "body": PAGE})
            return
        if scope["type"] == "http":
            self.requests.append([
                (name.decode().lower(), value.decode("latin-1"))
                for name, value in scope["headers"]
            ])
        await self.app(scope, receive, self.recording(send))

    def recording(self, send: Send) -> Send:
        # uvicorn's send is a method of the request's cycle, whose flag
        # tells whether the client has left (then send returns at once).
        cycle = getattr(send, "__self__", None)

        async def recorded(message: Message) -> None:
            gone = getattr(cycle, "disconnected", None)
            sent = Sent(message, gone if isinstance(gone, bool) else None)
            self.sent.append(sent)
            try:
                await send(message)
            except BaseException:
                sent.raised = True
                raise

        return recorded

    def of_type(self, kind: str) -> list[Sent]:
        return [sent for sent in self.sent if sent.message["type"] == kind]


@dataclass
class Tab:
    """One page of a fresh browser context, and what it reported."""

    page: Page
    cdp: CDPSession
    console: list[str] = field(default_factory=list)
    network: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def open(self, server: RunningServer) -> None:
        """Show ``Front``'s page: the demo's origin is the page's."""
        self.page.goto(f"{server.url}{PAGE_PATH}")

    def run(self, script: str, arg: Any = None) -> Any:
        """Start the async function ``script`` in the page; its result.

        The page keeps it in ``window.result``: waiting for that has a
        timeout, where awaiting the script in ``evaluate`` would have none.
        """
        self.page.evaluate(
            f"""(arg) => {{
              window.result = undefined;
              ({script})(arg).then(
                (value) => {{ window.result = {{value}}; }},
                (error) => {{ window.result = {{error: String(error)}}; }});
            }}""",
            arg,
        )
        outcome = self.page.wait_for_function("() => window.result")
        result: dict[str, Any] = outcome.json_value()
        if "error" in result:
            raise AssertionError(f"the page's script failed: {result['error']}")
        return result.get("value")

    def wait(self, check: Callable[[], bool], what: str) -> None:
        """Wait until ``check()``: console lines and CDP events come apart
        from what the page's script returns."""
        deadline = time.monotonic() + TIMEOUT
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} in {TIMEOUT} s")
            self.page.wait_for_timeout(5)  # lets Playwright deliver events

    def wait_for(self, name: str) -> list[dict[str, Any]]:
        """The CDP events ``name``, once one has come."""
        self.wait(lambda: bool(self.events(name)), f"CDP {name}")
        return self.events(name)

    def events(self, name: str) -> list[dict[str, Any]]:
        return [params for heard, params in self.network if heard == name]

    def heard(self, name: str, params: dict[str, Any]) -> None:
        self.network.append((name, params))


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    """A page in a context of its own, closed with it after the test."""
    context = browser.new_context()
    try:
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        tab = Tab(page, context.new_cdp_session(page))

        def console(message: ConsoleMessage) -> None:
            tab.console.append(message.text)

        page.on("console", console)
        for name in NETWORK_EVENTS:
            tab.cdp.on(name, functools.partial(tab.heard, name))
        tab.cdp.send("Network.enable")
        yield tab
    finally:
        context.close()
