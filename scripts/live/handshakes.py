"""The runner's WebSocket clients, on websockets' own: a handshake shown as
it goes (the request as websockets logs it), its answer, then what the
client does on the open connection."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import websockets as ws
from rich.text import Text

from demos.catalog import DISCONNECTED, Demo
from scripts.live.clients import IO_TIMEOUT, Outcome
from scripts.live.observe import plural
from scripts.live.server import HOST, DemoServer
from scripts.live.timeline import header_lines, status_text

SHOWN_HEADERS = {"host", "upgrade", "connection"}  # of the handshake


class ShowHandshake(logging.LoggerAdapter[logging.Logger]):
    """websockets' logger: shows the handshake request it logs (DEBUG)."""

    def __init__(self, server: DemoServer) -> None:
        super().__init__(logging.getLogger(__name__))
        self.timeline = server.timeline

    def isEnabledFor(self, level: int) -> bool:
        return True

    def log(self, level: int, msg: object, *args: object, **_: Any) -> None:
        timeline = self.timeline
        if msg == "> GET %s HTTP/1.1":
            path = timeline.mask(str(args[0]))
            timeline.sent(f"GET {path} HTTP/1.1 (WebSocket handshake)")
        elif msg == "> %s: %s" and str(args[0]).lower() in SHOWN_HEADERS:
            line = Text(f"  {args[0]}: {args[1]}", style="detail")
            if timeline.verbose:
                timeline.row(None, "", "", line)


def token(demo: Demo) -> str:
    """The token ``demo`` needs to accept a handshake, or ""; SystemExit
    (from the demo) when DEMO_TOKEN is set but empty."""
    if demo.name != "ws_with_token":
        return ""
    from demos.ws_with_token import TOKEN  # DEMO_TOKEN overrides it

    return TOKEN


# How an accepted WebSocket is used; returns what happened, in brief.
OnOpen = Callable[[DemoServer, ws.ClientConnection], Awaitable[str]]


async def ws_attempt(
    server: DemoServer, target: str, on_open: OnOpen
) -> list[str]:
    """A handshake, then ``on_open`` if accepted; how it went, in brief."""
    try:
        async with ws.connect(
            f"ws://{HOST}:{server.port}{target}", proxy=None,
            compression=None,  # fewer headers to read
            logger=ShowHandshake(server), open_timeout=IO_TIMEOUT,
            close_timeout=IO_TIMEOUT,
        ) as websocket:
            assert websocket.response is not None
            status = handshake(server, websocket.response, refused=False)
            return [status, await on_open(server, websocket)]
    except ws.InvalidStatus as exc:
        return [handshake(server, exc.response, refused=True)]


def handshake(server: DemoServer, response: ws.Response, refused: bool) -> str:
    """Show the handshake response; return its status and body, in brief."""
    code, reason, body = response.status_code, response.reason_phrase, b""
    details = header_lines(response.headers.raw_items())
    if refused:
        body = bytes(response.body)
        details.append(f"body: {body!r}")
    verdict = f" (handshake {'refused' if refused else 'accepted'})"
    status = Text.assemble("HTTP/1.1 ", status_text(code, reason), verdict)
    server.timeline.received(status, details)
    return f"HTTP {code} {reason}" + (f", body {body!r}" if refused else "")


async def listen(server: DemoServer, client: ws.ClientConnection) -> str:
    """Receive messages until the server closes (or stays quiet)."""
    messages = 0
    while True:
        try:
            message = await asyncio.wait_for(client.recv(), IO_TIMEOUT)
        except ws.ConnectionClosed as exc:
            closed = exc.rcvd or "without a close frame"
            server.timeline.received(f"close {closed}")
            return f"{plural(messages, 'message')}, close {exc.rcvd}"
        except TimeoutError:
            server.timeline.note(f"Nothing for {IO_TIMEOUT:.0f} s: closing")
            return f"{plural(messages, 'message')}, then silence"
        messages += 1
        server.timeline.received(f"message {message!r}")


async def leave_after_first(
    server: DemoServer, client: ws.ClientConnection
) -> str:
    """Take one message, close, and time how long the app takes to notice."""
    timeline, limit = server.timeline, 2 * server.pace() + 1
    async with asyncio.timeout(IO_TIMEOUT):
        message = await client.recv()
    timeline.received(f"message {message!r}")  # no pause: it ticks on
    left = timeline.now()
    timeline.sent(Text("close 1000 (the client leaves)", style="title"))
    await client.close()
    timeline.received(f"close {client.protocol.close_rcvd}")
    waiting = f"Waiting for tick 2 ({server.pace():g} s): the app notices then"
    timeline.note(Text(waiting, "detail"))
    noticed = await server.wait_for(DISCONNECTED, left, limit)
    if not noticed:
        timeline.note(f"The app did not notice within {limit:g} s")
        return f"The app did not notice within {limit:g} s."
    delay = noticed[0].at - left
    timeline.note(Text(f"The app noticed {delay:.1f} s later", style="title"))
    printed = f"The app printed {noticed[0].text!r}"
    return f"{printed} {delay:.1f} s after the client left."


async def token_attempts(server: DemoServer) -> Outcome:
    """No token, a wrong token, the right token: three handshakes."""
    wrong, right = "?token=guess", f"?token={quote(server.timeline.secret)}"
    attempts = {"no token": "", "wrong token": wrong, "right token": right}
    findings = []
    for number, (label, given) in enumerate(attempts.items(), 1):
        if number > 1:
            await server.timeline.pause()
        attempt = f"Attempt {number} of {len(attempts)}: {label}"
        server.timeline.note(Text(attempt, style="title"))
        result = await ws_attempt(server, server.demo.path + given, listen)
        findings.append(f"{label.capitalize()}: {', '.join(result)}.")
    return Outcome(findings)


async def one_handshake(server: DemoServer) -> Outcome:
    """Listen; on a paced demo, leave after the first tick instead."""
    on_open = leave_after_first if server.demo.pace else listen
    status, *after = await ws_attempt(server, server.demo.path, on_open)
    return Outcome([f"The handshake got {status}.", *after])
