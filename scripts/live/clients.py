"""The scripted clients (h11, h2, websockets): show the exchange, measure it."""

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
from scripts.common import ROOT
from scripts.live.server import HOST, Server
from scripts.live.timeline import header_lines, status_text

IO_TIMEOUT = 5.0  # seconds for any one network wait
CHUNKS_BEFORE_LEAVING = 2  # body chunks read before hanging up mid-stream
# After the client left: watched until the app returns, for at most 15 of
# its delays, and never more than the stage bears without a new row.
WATCH_DELAYS, WATCH_LIMIT = 15, 2.6
SHOWN_HEADERS = {"host", "upgrade", "connection"}  # of the handshake
DISCONNECTED = "Client disconnected"  # what an app prints when it notices
# How an accepted WebSocket is used; returns what happened, in brief.
OnOpen = Callable[[Server, ws.ClientConnection], Awaitable[str]]


class ClientError(Exception):
    """The scripted client could not complete its exchange."""


CLIENT_ERRORS = (  # reported rather than raised; TimeoutError is an OSError
    ClientError, OSError, h11.ProtocolError, exceptions.H2Error,
    ws.WebSocketException,
)


class Outcome(NamedTuple):  # what the client measured, for the summary
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
        connect = asyncio.open_connection(HOST, self.server.port)
        self.reader, self.writer = await asyncio.wait_for(connect, IO_TIMEOUT)
        return self

    async def __aexit__(self, *_: object) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()

    async def read(self) -> bytes:
        return await asyncio.wait_for(self.reader.read(65536), IO_TIMEOUT)


class Http1(Wire):
    """A GET on an h11 client connection, shown as it goes."""

    async def get(self) -> h11.Response:
        self.h11 = h11.Connection(h11.CLIENT)
        headers = [("host", self.host)]
        request = h11.Request(method="GET", target=self.path, headers=headers)
        for event in (request, h11.EndOfMessage()):
            self.writer.write(self.h11.send(event) or b"")
        await self.writer.drain()
        shown = header_lines(headers) if self.timeline.verbose else []
        self.timeline.sent(f"GET {self.path} HTTP/1.1", shown)
        if not isinstance(response := await self.next_event(), h11.Response):
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
        """The next body chunk, shown; None at the end."""
        if not isinstance(event := await self.next_event(), h11.Data):
            return None
        self.timeline.received(f"body {bytes(event.data)!r}")
        return bytes(event.data)


async def get_once(server: Server) -> Outcome:
    async with Http1(server) as http:
        response, body = await http.get(), b""
        while (chunk := await http.chunk()) is not None:
            body += chunk
        server.timeline.note("end of response")
    return Outcome([
        f"GET {server.demo.path} answered {response.status_code} "
        f"{response.reason.decode()} with body {body!r}."
    ])


def went_on(sends: int) -> str:
    """What ``sends`` more chunks, once the client left, say of the app."""
    if sends == 0:
        return "stopped at once"
    return "stopped at its next send" if sends == 1 else "streamed on"


def watch_time(server: Server) -> float:
    """How long to watch the app once the client left, at most."""
    return min(WATCH_DELAYS * server.pace(), WATCH_LIMIT)


async def leave_mid_stream(server: Server) -> Outcome:
    """Read a few chunks, hang up, and watch what the app does next, until
    it returns (the runner observes it) or for ``watch_time()``. No pause
    here: the app streams on meanwhile."""
    timeline, watch = server.timeline, watch_time(server)
    async with Http1(server) as http:
        await http.get()
        for _ in range(CHUNKS_BEFORE_LEAVING):
            if await http.chunk() is None:
                raise ClientError("the body ended early")
        # The app prints before it sends: let those lines arrive first.
        await server.wait_for("Sending", 0, IO_TIMEOUT, CHUNKS_BEFORE_LEAVING)
    left = timeline.now()
    said = f"Hangs up mid-stream; watching the server up to {watch:.1f} s"
    timeline.note(Text(said, "title"))
    returned = await server.returned(left, watch)
    after = len(server.lines_since(left, "Sending"))
    more = plural(after, "more 'Sending' line")
    if returned is None:
        more += f" in {watch:.1f} s"
    findings = [f"Client gone: {went_on(after)}, {more}."]
    if returned is not None:
        at = returned - left
        findings.append(f"The app returned {at:.1f} s after the client left.")
    if noticed := server.lines_since(left, DISCONNECTED):
        at = noticed[0].at - left
        findings.append(f"It printed '{DISCONNECTED}' {at:.3f} s after.")
    elif DISCONNECTED in (ROOT / f"demos/{server.demo.name}.py").read_text():
        findings.append(f"It never printed '{DISCONNECTED}'.")
    return Outcome(findings)


async def http2_get(wire: Wire) -> tuple[bytes, dict[str, str]]:
    """GET with ``te: trailers`` over HTTP/2: the body and the trailers."""
    settings = config.H2Configuration(header_encoding="utf-8")
    h2c, body = connection.H2Connection(settings), b""
    trailers: dict[str, str] = {}
    h2c.initiate_connection()
    shown = [("te", "trailers")]
    request = [(":method", "GET"), (":scheme", "http"), (":path", wire.path)]
    authority = [(":authority", wire.host)]
    h2c.send_headers(1, [*request, *authority, *shown], end_stream=True)
    wire.writer.write(h2c.data_to_send())
    get = f"GET {wire.path} HTTP/2 (prior knowledge)"
    wire.timeline.sent(get, header_lines(shown))
    ended = False
    while not ended:
        if not (data := await wire.read()):
            raise ClientError("the server closed the connection")
        for event in h2c.receive_data(data):
            headers = getattr(event, "headers", None) or ()
            fields = [(str(name), str(value)) for name, value in headers]
            if isinstance(event, events.ResponseReceived):
                status = status_text(int(dict(fields)[":status"]), "")
                wire.timeline.received(
                    Text.assemble("HTTP/2 ", status),
                    header_lines((n, v) for n, v in fields if n[0] != ":"),
                )
            elif isinstance(event, events.DataReceived) and event.data:
                body += event.data
                size = event.flow_controlled_length or 0
                h2c.acknowledge_received_data(size, 1)
                wire.timeline.received(f"DATA {event.data!r}")
            elif isinstance(event, events.TrailersReceived):
                trailers.update(fields)
                shown_as = Text("trailers", style="title")
                wire.timeline.received(shown_as, header_lines(fields))
            elif isinstance(event, events.StreamReset):
                raise ClientError(f"stream reset: {event.error_code!r}")
            ended = ended or isinstance(event, events.StreamEnded)
        wire.writer.write(h2c.data_to_send())
    wire.timeline.note("end of stream")
    h2c.close_connection()
    wire.writer.write(h2c.data_to_send())
    return body, trailers


async def get_with_trailers(server: Server) -> Outcome:
    """GET over HTTP/2 with ``te: trailers``; check the Content-MD5."""
    async with Wire(server) as wire:
        body, trailers = await http2_get(wire)
    timeline = server.timeline
    computed = base64.b64encode(hashlib.md5(body).digest()).decode()
    if (trailer := trailers.get("content-md5")) is None:
        timeline.note(Text("No content-md5 trailer arrived", style="bad"))
        return Outcome([f"Body {body!r}, but no content-md5 trailer."], False)
    ok = trailer == computed
    verdict = "matches" if ok else "MISMATCH"
    timeline.note(
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

    def __init__(self, server: Server) -> None:
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


async def ws_attempt(server: Server, target: str, on_open: OnOpen) -> list[str]:
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


async def leave_after_first(server: Server, client: ws.ClientConnection) -> str:
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


async def token_attempts(server: Server) -> Outcome:
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


async def one_handshake(server: Server) -> Outcome:
    """Listen; on a paced demo, leave after the first tick instead."""
    paced = server.demo.pace and server.pace()  # read now, not after a tick
    on_open = leave_after_first if paced else listen
    status, *after = await ws_attempt(server, server.demo.path, on_open)
    return Outcome([f"The handshake got {status}.", *after])


# The pauses a client makes (``--step``), by its key in SCRIPTS: only where
# the server has nothing to say (between handshakes), never mid-stream.
PAUSES = {"ws_with_token": 2}
# A demo's client: by its name, or else by its transport (paced: it leaves).
SCRIPTS: dict[str, Callable[[Server], Awaitable[Outcome]]] = {
    "ws_with_token": token_attempts,
    "http": get_once,
    "http paced": leave_mid_stream,
    "http2": get_with_trailers,
    "websocket": one_handshake,
    "websocket paced": one_handshake,
}
