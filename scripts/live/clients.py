"""The runner's scripted clients: the exchanges of scripts/net/exchanges.py
(h11, h2) and websockets' own client, each step shown on the timeline as
it happens; what they measured, for the summary."""

import asyncio
import base64
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple
from urllib.parse import quote

import h11
import websockets as ws
from h2.exceptions import H2Error
from rich.text import Text

from demos.catalog import DISCONNECTED, SENDING, Demo
from scripts.live.server import HOST, DemoServer
from scripts.live.timeline import header_lines, status_text
from scripts.net.exchanges import (
    COMPLETE,
    Body,
    End,
    Exchange,
    Head,
    Headers,
    Http1,
    Http2,
    Trailers,
)

IO_TIMEOUT = 5.0  # seconds for any one network wait
CHUNKS_BEFORE_LEAVING = 2  # body chunks read before hanging up mid-stream
# After the client left: watched until the app returns, for at most 15 of
# its delays, and never more than the stage bears without a new row.
WATCH_DELAYS, WATCH_LIMIT = 15, 2.6
SHOWN_HEADERS = {"host", "upgrade", "connection"}  # of the handshake
# How each protocol's steps are said: after the request line, a body
# chunk, the end of the reply.
SAID = {"HTTP/1.1": ("", "body", "end of response"),
        "HTTP/2": (" (prior knowledge)", "DATA", "end of stream")}


class ClientError(Exception):
    """The scripted client could not complete its exchange."""


CLIENT_ERRORS = (  # reported rather than raised; TimeoutError is an OSError
    ClientError, OSError, h11.ProtocolError, H2Error, ws.WebSocketException,
)


class Outcome(NamedTuple):  # what the client measured, for the summary
    findings: list[str]
    ok: bool = True


class Fetched(NamedTuple):  # what a GET got, up to where it stopped
    head: Head
    body: bytes
    chunks: int
    trailers: Headers


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


async def fetch(
    server: DemoServer, exchange: Exchange, chunks: int | None = None
) -> Fetched:
    """Run ``exchange`` on a new connection, each part of the reply shown
    as it comes; hang up after ``chunks`` body chunks (None: the end)."""
    timeline, (aside, chunk, end) = server.timeline, SAID[exchange.protocol]
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(HOST, server.port), IO_TIMEOUT)
    got = Fetched(Head("", 0, "", []), b"", 0, [])
    try:
        writer.write(exchange.start())
        host = [("host", exchange.authority)] * timeline.verbose
        timeline.sent(f"GET {exchange.target} {exchange.protocol}{aside}",
                      header_lines([*host, *exchange.headers]))
        while chunks is None or got.chunks < chunks:
            data = await asyncio.wait_for(reader.read(65536), IO_TIMEOUT)
            parts, answer = exchange.receive(data)
            writer.write(answer)
            for part in parts:
                if isinstance(part, Head):
                    timeline.received(Text.assemble(
                        f"HTTP/{part.version} ",
                        status_text(part.status, part.reason),
                    ), header_lines(part.headers))
                    got = got._replace(head=part)
                elif isinstance(part, Body) and part.data:
                    timeline.received(f"{chunk} {part.data!r}")
                    got = got._replace(body=got.body + part.data,
                                       chunks=got.chunks + 1)
                elif isinstance(part, Trailers):
                    timeline.received(Text("trailers", style="title"),
                                      header_lines(part.headers))
                    got = got._replace(trailers=got.trailers + part.headers)
                elif isinstance(part, End):
                    if part.ending != COMPLETE:
                        raise ClientError(f"the server's reply: {part.ending}")
                    timeline.note(end)
                    if isinstance(exchange, Http2):
                        writer.write(exchange.close())
                    return got
                if got.chunks == chunks:
                    break
        return got
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def http1(server: DemoServer) -> Http1:
    return Http1(f"{HOST}:{server.port}", server.demo.path)


async def get_once(server: DemoServer) -> Outcome:
    got = await fetch(server, http1(server))
    head = got.head
    return Outcome([f"GET {server.demo.path} answered {head.status} "
                    f"{head.reason} with body {got.body!r}."])


def went_on(sends: int) -> str:
    """What ``sends`` more chunks, once the client left, say of the app."""
    if sends == 0:
        return "stopped at once"
    return "stopped at its next send" if sends == 1 else "streamed on"


async def leave_mid_stream(server: DemoServer) -> Outcome:
    """Read a few chunks, hang up, and watch what the app does next, until
    it returns (the runner observes it) or for at most ``WATCH_DELAYS`` of
    its delays, ``WATCH_LIMIT``. No pause here: the app streams on."""
    timeline = server.timeline
    watch = min(WATCH_DELAYS * server.pace(), WATCH_LIMIT)
    got = await fetch(server, http1(server), CHUNKS_BEFORE_LEAVING)
    if got.chunks < CHUNKS_BEFORE_LEAVING:
        raise ClientError("the body ended early")
    # The app prints before it sends: let those lines arrive first.
    await server.wait_for(SENDING, 0, IO_TIMEOUT, CHUNKS_BEFORE_LEAVING)
    left = timeline.now()
    said = f"Hangs up mid-stream; watching the server up to {watch:.1f} s"
    timeline.note(Text(said, "title"))
    returned = await server.returned(left, watch)
    after = len(server.lines_since(left, SENDING))
    more = plural(after, f"more '{SENDING}' line")
    if returned is None:
        more += f" in {watch:.1f} s"
    findings = [f"Client gone: {went_on(after)}, {more}."]
    if returned is not None:
        at = returned - left
        findings.append(f"The app returned {at:.1f} s after the client left.")
    if noticed := server.lines_since(left, DISCONNECTED):
        at = noticed[0].at - left
        findings.append(f"It printed '{DISCONNECTED}' {at:.3f} s after.")
    elif DISCONNECTED in server.demo.prints:
        findings.append(f"It never printed '{DISCONNECTED}'.")
    return Outcome(findings)


async def get_with_trailers(server: DemoServer) -> Outcome:
    """GET over HTTP/2 with ``te: trailers``; check the Content-MD5."""
    exchange = Http2(f"{HOST}:{server.port}", server.demo.path,
                     [("te", "trailers")])
    got = await fetch(server, exchange)
    body, trailers = got.body, dict(got.trailers)
    computed = base64.b64encode(hashlib.md5(body).digest()).decode()
    if (trailer := trailers.get("content-md5")) is None:
        server.timeline.note(Text("No content-md5 trailer arrived", "bad"))
        return Outcome([f"Body {body!r}, but no content-md5 trailer."], False)
    ok = trailer == computed
    verdict = "matches" if ok else "MISMATCH"
    server.timeline.note(
        Text.assemble("content-md5 ", (verdict, "ok" if ok else "bad")),
        [f"computed: base64(md5(body)) = {computed}"],
    )
    return Outcome([
        f"Body {body!r}, {len(body)} bytes.",
        f"Trailer content-md5 {trailer}: {verdict} the MD5 of the body "
        "computed by the client" + ("." if ok else f", {computed}."),
    ], ok)


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


Script = Callable[[DemoServer], Awaitable[Outcome]]


def script(demo: Demo) -> tuple[Script, int]:
    """``demo``'s client, and the pauses it makes (``--step``): only where
    the server has nothing to say (between handshakes), never mid-stream."""
    if demo.name == "ws_with_token":
        return token_attempts, 2
    if demo.transport == "http":
        return (leave_mid_stream if demo.pace else get_once), 0
    return (get_with_trailers if demo.transport == "http2"
            else one_handshake), 0
