"""The scripted clients: HTTP/1.1 (h11), HTTP/2 (h2) and WebSocket
(websockets). Each shows what it sends and gets as it goes, and returns what
it measured; asyncio lets the server's lines join the timeline meanwhile."""

import asyncio
import base64
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple, Self
from urllib.parse import quote

import h11
import websockets as ws
from h2 import config, connection, events, exceptions
from rich.text import Text

from demos.catalog import Demo
from scripts.live.server import HOST, Server
from scripts.live.timeline import header_lines, status_text, style

IO_TIMEOUT = 5.0  # seconds for any one network wait
CHUNKS_BEFORE_LEAVING = 3  # body chunks read before hanging up mid-stream
WATCH_DELAYS = 15  # delays watched after the client left: 3 s at 0.2 s
SHOWN_HEADERS = {"host", "upgrade", "connection"}  # of the handshake
# How an accepted WebSocket is used; returns what happened, in brief.
OnOpen = Callable[[Server, ws.ClientConnection], Awaitable[str]]


class ClientError(Exception):
    """The scripted client could not complete its exchange."""


# Failures of a scripted client, reported rather than raised.
CLIENT_ERRORS = (
    ClientError, OSError, h11.ProtocolError, exceptions.H2Error,
    ws.WebSocketException,  # and TimeoutError, an OSError
)


class Outcome(NamedTuple):
    """What the scripted client measured, for the closing summary."""

    findings: list[str]
    ok: bool = True


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class Wire:
    """A TCP connection to the demo's server, for the block."""

    def __init__(self, server: Server) -> None:
        self.server, self.timeline = server, server.timeline
        self.host, self.path = f"{HOST}:{server.port}", server.demo.path

    async def __aenter__(self) -> Self:
        async with asyncio.timeout(IO_TIMEOUT):
            connecting = asyncio.open_connection(HOST, self.server.port)
            self.reader, self.writer = await connecting
        return self

    async def __aexit__(self, *_: object) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()

    async def read(self) -> bytes:
        async with asyncio.timeout(IO_TIMEOUT):
            return await self.reader.read(65536)


class Http1(Wire):
    """A GET on an h11 client connection, shown as it goes."""

    async def get(self) -> h11.Response:
        """Send ``GET path``, then read the response head; show both."""
        self.h11 = h11.Connection(h11.CLIENT)
        headers = [("host", self.host)]
        request = h11.Request(method="GET", target=self.path, headers=headers)
        for event in (request, h11.EndOfMessage()):
            self.writer.write(self.h11.send(event) or b"")
        await self.writer.drain()
        self.timeline.sent(f"GET {self.path} HTTP/1.1", header_lines(headers))
        response = await self.next_event()
        if not isinstance(response, h11.Response):
            raise ClientError(f"expected a response, got {response!r}")
        status = status_text(response.status_code, response.reason.decode())
        self.timeline.received(
            Text.assemble(f"HTTP/{response.http_version.decode()} ", status),
            header_lines(response.headers),
        )
        return response

    async def next_event(self) -> h11.Event:
        while (event := self.h11.next_event()) is h11.NEED_DATA:
            self.h11.receive_data(await self.read())
        if not isinstance(event, h11.Event):
            raise ClientError(f"unexpected h11 state {event!r}")
        return event

    async def chunk(self) -> bytes | None:
        """The next body chunk, shown; None at the end (trailers shown)."""
        event = await self.next_event()
        if isinstance(event, h11.Data):
            self.timeline.received(f"body {bytes(event.data)!r}")
            return bytes(event.data)
        if isinstance(event, h11.EndOfMessage) and event.headers:
            self.timeline.received("trailers", header_lines(event.headers))
        return None


async def get_once(server: Server) -> Outcome:
    """A plain GET: status, headers, body."""
    async with Http1(server) as http:
        response, body = await http.get(), b""
        while (chunk := await http.chunk()) is not None:
            body += chunk
        server.timeline.note("end of response")
    return Outcome([
        f"GET {server.demo.path} answered {response.status_code} "
        f"{response.reason.decode()} with body {body!r}."
    ])


async def leave_mid_stream(server: Server) -> Outcome:
    """Read a few chunks, hang up, and watch what the app does next."""
    timeline = server.timeline
    async with Http1(server) as http:
        await http.get()
        for _ in range(CHUNKS_BEFORE_LEAVING):
            if await http.chunk() is None:
                raise ClientError("the body ended early")
        # The app prints before it sends: let those lines arrive first.
        await server.wait_for("Sending", 0, IO_TIMEOUT, CHUNKS_BEFORE_LEAVING)
    left = timeline.now()
    timeline.note(Text("Hangs up mid-stream (closes the socket)", style="bold"))
    watch = WATCH_DELAYS * server.pace()
    with timeline.console.status(f"Watching the server for {watch:.1f} s…"):
        await asyncio.sleep(watch)
    after = server.lines_since(left, "Sending")
    more = plural(len(after), "more 'Sending' line")
    noticed = server.lines_since(left, "Client disconnected")
    return Outcome([
        f"After the client left, the app printed {more} in {watch:.1f} s.",
        f"It printed 'Client disconnected' {noticed[0].at - left:.3f} s after."
        if noticed else "It never printed 'Client disconnected'.",
    ])


class Http2(Wire):
    """A GET with ``te: trailers`` on stream 1 of an h2 connection."""

    async def get(self) -> None:
        """Send the request, then take in the response until it ends."""
        self.body, self.trailers, self.ended = b"", dict[str, str](), False
        settings = config.H2Configuration(header_encoding="utf-8")
        self.h2 = h2c = connection.H2Connection(settings)
        h2c.initiate_connection()
        shown = [(":authority", self.host), ("te", "trailers")]
        request = [(":method", "GET"), (":scheme", "http")]
        h2c.send_headers(1, [*request, (":path", self.path), *shown], True)
        self.writer.write(h2c.data_to_send())
        self.timeline.sent(
            f"GET {self.path} HTTP/2 (prior knowledge)", header_lines(shown)
        )
        while not self.ended:
            if not (data := await self.read()):
                raise ClientError("the server closed the connection")
            for event in h2c.receive_data(data):
                self.take(event)
            self.writer.write(h2c.data_to_send())
        self.timeline.note("end of stream")
        h2c.close_connection()
        self.writer.write(h2c.data_to_send())

    def take(self, event: events.Event) -> None:
        """Take in one event from the server, and show it."""
        if isinstance(event, events.ResponseReceived):
            fields = [(str(n), str(v)) for n, v in event.headers or ()]
            status = next(v for n, v in fields if n == ":status")
            self.timeline.received(
                Text.assemble("HTTP/2 ", status_text(int(status), "")),
                header_lines((n, v) for n, v in fields if n[0] != ":"),
            )
        elif isinstance(event, events.DataReceived) and event.data:
            self.body += event.data
            size = event.flow_controlled_length or 0
            self.h2.acknowledge_received_data(size, 1)
            self.timeline.received(f"DATA {event.data!r}")
        elif isinstance(event, events.TrailersReceived):
            pairs = [(str(n), str(v)) for n, v in event.headers or ()]
            self.trailers.update(pairs)
            trailers = Text("trailers", style="bold")
            self.timeline.received(trailers, header_lines(pairs))
        elif isinstance(event, events.StreamEnded):
            self.ended = True
        elif isinstance(event, events.StreamReset):
            raise ClientError(f"stream reset: {event.error_code!r}")


async def get_with_trailers(server: Server) -> Outcome:
    """GET over HTTP/2 with ``te: trailers``; check the Content-MD5."""
    async with Http2(server) as http:
        await http.get()
    body, timeline = http.body, server.timeline
    computed = base64.b64encode(hashlib.md5(body).digest()).decode()
    if (trailer := http.trailers.get("content-md5")) is None:
        timeline.note(Text("No content-md5 trailer arrived", style="bold red"))
        return Outcome([f"Body {body!r}, but no content-md5 trailer."], False)
    ok = trailer == computed
    verdict = "matches" if ok else "MISMATCH"
    timeline.note(
        Text.assemble("content-md5 ", (verdict, f"bold {style(ok)}")),
        [f"computed: base64(md5(body)) = {computed}"],
    )
    return Outcome([
        f"Body {body!r}, {len(body)} bytes.",
        f"Trailer content-md5 {trailer}: {verdict} the MD5 of the body "
        "computed by the client" + ("." if ok else f", {computed}."),
    ], ok)


class ShowHandshake(logging.LoggerAdapter[logging.Logger]):
    """websockets' logger: shows the handshake request it logs (DEBUG)."""

    def __init__(self, server: Server) -> None:
        super().__init__(logging.getLogger(__name__))
        self.timeline = server.timeline

    def isEnabledFor(self, level: int) -> bool:
        return True

    def log(self, level: int, msg: object, *args: object, **_: Any) -> None:
        if msg == "> GET %s HTTP/1.1":
            self.timeline.sent(f"GET {args[0]} HTTP/1.1 (WebSocket handshake)")
        elif msg == "> %s: %s" and str(args[0]).lower() in SHOWN_HEADERS:
            line = Text(f"  {args[0]}: {args[1]}", style="dim")
            self.timeline.row(None, "", "", line)


def query(demo: Demo) -> str:
    """The query string ``demo`` needs to accept a handshake."""
    if demo.name != "ws_with_token":
        return ""
    from demos.ws_with_token import TOKEN  # DEMO_TOKEN overrides it

    return f"?token={quote(TOKEN)}"


async def ws_attempt(server: Server, target: str, on_open: OnOpen) -> list[str]:
    """One handshake for ``target``, then ``on_open`` if it is accepted;
    how it went, in brief."""
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


def handshake(server: Server, response: ws.Response, refused: bool) -> str:
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


async def listen(server: Server, client: ws.ClientConnection) -> str:
    """Receive messages until the server closes (or stays quiet)."""
    messages = 0
    while True:
        try:
            async with asyncio.timeout(IO_TIMEOUT):
                message = await client.recv()
        except ws.ConnectionClosed as exc:
            closed = exc.rcvd or "without a close frame"
            server.timeline.received(f"close {closed}")
            return f"{plural(messages, 'message')}, then close {exc.rcvd}"
        except TimeoutError:
            server.timeline.note(f"Nothing for {IO_TIMEOUT:.0f} s: closing")
            return f"{plural(messages, 'message')}, then silence"
        messages += 1
        server.timeline.received(f"message {message!r}")


async def leave_after_first(server: Server, client: ws.ClientConnection) -> str:
    """Take one message, close, and time how long the app takes to notice."""
    timeline, limit = server.timeline, 2 * server.pace() + 1
    async with asyncio.timeout(IO_TIMEOUT):
        message = await client.recv()
    timeline.received(f"message {message!r}")
    left = timeline.now()
    timeline.sent(Text("close 1000 (the client leaves)", style="bold"))
    await client.close()
    timeline.received(f"close {client.protocol.close_rcvd}")
    waiting = f"Waiting for the app to notice (at most {limit:g} s)…"
    with timeline.console.status(waiting):
        noticed = await server.wait_for("Client disconnected", left, limit)
    if not noticed:
        timeline.note(f"The app did not notice within {limit:g} s")
        return f"The app did not notice within {limit:g} s."
    delay = noticed[0].at - left
    timeline.note(Text(f"The app noticed {delay:.1f} s later", style="bold"))
    return (
        f"The app printed {noticed[0].text!r} {delay:.1f} s after the "
        "client left."
    )


async def handshake_once(server: Server) -> Outcome:
    """One handshake; listen if it is accepted."""
    result = await ws_attempt(server, server.demo.path, listen)
    return Outcome([f"The handshake got {', '.join(result)}."])


async def token_attempts(server: Server) -> Outcome:
    """No token, a wrong token, the right token: three handshakes."""
    wrong, right = "?token=guess", query(server.demo)
    attempts = {"no token": "", "wrong token": wrong, "right token": right}
    findings = []
    for number, (label, token) in enumerate(attempts.items(), 1):
        server.timeline.note(
            Text(f"Attempt {number} of {len(attempts)}: {label}", style="bold")
        )
        result = await ws_attempt(server, server.demo.path + token, listen)
        findings.append(f"{label.capitalize()}: {', '.join(result)}.")
    return Outcome(findings)


async def ticks_then_leave(server: Server) -> Outcome:
    """Connect, take the first tick, leave, wait for the app to notice."""
    server.pace()  # read it now: leave right after the first tick
    path = server.demo.path
    status, *after = await ws_attempt(server, path, leave_after_first)
    return Outcome([f"The handshake got {status}.", *after])
