"""The scripted WebSocket clients (websockets): handshakes, messages, and
leaving; the handshake request is shown from websockets' own log."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from rich.text import Text
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.http11 import Response

from scripts.live.clients import IO_TIMEOUT, Outcome, plural
from scripts.live.server import HOST, Server
from scripts.live.timeline import Timeline, header_lines, status_text

WRONG_GUESS = "guess"
SHOWN_HEADERS = {"host", "upgrade", "connection"}  # of the handshake
# How an accepted connection is used; returns what happened, in brief.
OnOpen = Callable[[Server, ClientConnection], Awaitable[str]]


class ShowHandshake(logging.LoggerAdapter[logging.Logger]):
    """websockets' logger: the handshake request it logs is shown."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__(logging.getLogger(__name__))
        self.timeline = timeline

    def isEnabledFor(self, level: int) -> bool:
        """Yes: websockets logs the request it sends at DEBUG level."""
        return True

    def log(self, level: int, msg: object, *args: object, **_: Any) -> None:
        """Show the request line and some headers; drop the rest."""
        if msg == "> GET %s HTTP/1.1":
            self.timeline.sent(f"GET {args[0]} HTTP/1.1 (WebSocket handshake)")
        elif msg == "> %s: %s" and str(args[0]).lower() in SHOWN_HEADERS:
            self.timeline.detail(f"{args[0]}: {args[1]}")


async def ws_attempt(server: Server, target: str, on_open: OnOpen) -> list[str]:
    """Try one handshake for ``target``; return how it went, in brief."""
    try:
        websocket = await connect(
            f"ws://{HOST}:{server.port}{target}",
            proxy=None,
            compression=None,  # fewer headers to read
            logger=ShowHandshake(server.timeline),
            open_timeout=IO_TIMEOUT,
            close_timeout=IO_TIMEOUT,
        )
    except InvalidStatus as exc:
        return [show_handshake(server.timeline, exc.response, "refused")]
    try:
        assert websocket.response is not None
        status = show_handshake(server.timeline, websocket.response, "accepted")
        return [status, await on_open(server, websocket)]
    finally:
        await websocket.close()


def show_handshake(timeline: Timeline, response: Response, verdict: str) -> str:
    """Show the handshake response; return its status and body, in brief."""
    code, reason, body = response.status_code, response.reason_phrase, b""
    details = header_lines(response.headers.raw_items())
    if verdict == "refused":
        body = bytes(response.body)
        details.append(f"body: {body!r}")
    status = Text.assemble(
        "HTTP/1.1 ", status_text(code, reason), f" (handshake {verdict})"
    )
    timeline.received(status, details)
    brief = f"HTTP {code} {reason}"
    return f"{brief}, body {body!r}" if verdict == "refused" else brief


async def listen(server: Server, websocket: ClientConnection) -> str:
    """Receive messages until the server closes (or stays quiet)."""
    messages = 0
    while True:
        try:
            async with asyncio.timeout(IO_TIMEOUT):
                message = await websocket.recv()
        except ConnectionClosed as exc:
            closed = exc.rcvd or "without a close frame"
            server.timeline.received(f"close {closed}")
            return f"{plural(messages, 'message')}, then close {exc.rcvd}"
        except TimeoutError:
            server.timeline.note(f"Nothing for {IO_TIMEOUT:.0f} s: closing")
            return f"{plural(messages, 'message')}, then silence"
        messages += 1
        server.timeline.received(f"message {message!r}")


async def leave_after_first(server: Server, websocket: ClientConnection) -> str:
    """Take one message, close, and time how long the app takes to notice."""
    timeline = server.timeline
    async with asyncio.timeout(IO_TIMEOUT):
        message = await websocket.recv()
    timeline.received(f"message {message!r}")
    left = timeline.now()
    timeline.sent(Text("close 1000 (the client leaves)", style="bold"))
    await websocket.close()
    timeline.received(f"close {websocket.protocol.close_rcvd}")
    limit = 2 * server.pace() + 1
    with timeline.console.status(
        f"Waiting for the app to notice (at most {limit:g} s)…"
    ):
        noticed = await server.wait_for(
            lambda: server.lines_since(left, "Client disconnected") or None,
            limit,
        )
    if noticed is None:
        timeline.note(f"The app did not notice within {limit:g} s")
        return f"The app did not notice within {limit:g} s."
    delay = noticed[0].at - left
    timeline.note(Text(f"The app noticed {delay:.1f} s later", style="bold"))
    return (
        f"The app printed {noticed[0].text!r} {delay:.1f} s after the "
        "client left."
    )


def demo_token() -> str:
    """The token ``ws_with_token`` accepts (``DEMO_TOKEN`` overrides it)."""
    from demos.ws_with_token import TOKEN

    return TOKEN


async def handshake_once(server: Server) -> Outcome:
    """One handshake; listen if it is accepted."""
    result = await ws_attempt(server, server.demo.path, listen)
    return Outcome([f"The handshake got {', '.join(result)}."])


async def token_attempts(server: Server) -> Outcome:
    """No token, a wrong token, the right token: three handshakes."""
    path, findings = server.demo.path, []
    attempts = [
        ("no token", path),
        ("wrong token", f"{path}?token={quote(WRONG_GUESS)}"),
        ("right token", f"{path}?token={quote(demo_token())}"),
    ]
    for number, (label, target) in enumerate(attempts, 1):
        server.timeline.note(
            Text(f"Attempt {number} of {len(attempts)}: {label}", style="bold")
        )
        result = await ws_attempt(server, target, listen)
        findings.append(f"{label.capitalize()}: {', '.join(result)}.")
    return Outcome(findings)


async def ticks_then_leave(server: Server) -> Outcome:
    """Connect, take the first tick, leave, wait for the app to notice."""
    server.pace()  # read it now: leave right after the first tick
    path = server.demo.path
    status, *after = await ws_attempt(server, path, leave_after_first)
    return Outcome([f"The handshake got {status}.", *after])
