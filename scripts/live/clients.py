"""The scripted HTTP clients: HTTP/1.1 (h11) and HTTP/2 (h2), and what all
clients share. Each shows on the timeline what it sends and gets as it goes,
and returns what it measured. They are asyncio clients, as the server's
lines are read meanwhile: the blocking clients of ``scripts.net`` could not
show a stream while it lasts."""

import asyncio
import base64
import contextlib
import hashlib
from typing import NamedTuple, Self

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h11
from rich.text import Text
from websockets.exceptions import WebSocketException

from scripts.live.server import HOST, Server
from scripts.live.timeline import header_lines, status_text, style

IO_TIMEOUT = 5.0  # seconds for any one network wait
CHUNKS_BEFORE_LEAVING = 3  # body chunks read before hanging up mid-stream
WATCH_DELAYS = 15  # delays watched after the client left: 3 s at 0.2 s


class ClientError(Exception):
    """The scripted client could not complete its exchange."""


# Failures of a scripted client, reported rather than raised.
CLIENT_ERRORS = (
    ClientError,
    OSError,  # includes TimeoutError
    h11.ProtocolError,
    h2.exceptions.H2Error,
    WebSocketException,
)


class Outcome(NamedTuple):
    """What the scripted client measured, for the closing summary."""

    findings: list[str]
    ok: bool = True


def plural(count: int, noun: str) -> str:
    """``1 message``, ``2 messages``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class Wire:
    """A TCP connection to the demo's server, for the block."""

    def __init__(self, server: Server) -> None:
        self.server, self.timeline = server, server.timeline
        self.host, self.path = f"{HOST}:{server.port}", server.demo.path

    async def __aenter__(self) -> Self:
        async with asyncio.timeout(IO_TIMEOUT):
            self.reader, self.writer = await asyncio.open_connection(
                HOST, self.server.port
            )
        return self

    async def __aexit__(self, *_: object) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()

    async def read(self) -> bytes:
        """What the server sent next."""
        async with asyncio.timeout(IO_TIMEOUT):
            return await self.reader.read(65536)


# -- HTTP/1.1 (h11) ---------------------------------------------------------


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
        """The next event from the server, reading as needed."""
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
    timeline, nth = server.timeline, CHUNKS_BEFORE_LEAVING - 1
    async with Http1(server) as http:
        await http.get()
        for _ in range(CHUNKS_BEFORE_LEAVING):
            if await http.chunk() is None:
                raise ClientError("the body ended early")
        # The app prints before it sends: let those lines arrive first.
        await server.wait_for(
            lambda: server.lines_since(0, "Sending")[nth:] or None, IO_TIMEOUT
        )
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


# -- HTTP/2 (h2) ------------------------------------------------------------


class Http2(Wire):
    """A GET with ``te: trailers`` on stream 1 of an h2 connection."""

    async def get(self) -> None:
        """Send the request, then take in the response until it ends."""
        self.body, self.trailers, self.ended = b"", dict[str, str](), False
        config = h2.config.H2Configuration(header_encoding="utf-8")
        self.h2 = h2c = h2.connection.H2Connection(config)
        h2c.initiate_connection()
        shown = [(":authority", self.host), ("te", "trailers")]
        request = [(":method", "GET"), (":scheme", "http")]
        request += [(":path", self.path), *shown]
        h2c.send_headers(1, request, end_stream=True)
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

    def take(self, event: h2.events.Event) -> None:
        """Take in one event from the server, and show it."""
        if isinstance(event, h2.events.ResponseReceived):
            fields = [(str(n), str(v)) for n, v in event.headers or ()]
            status = next(v for n, v in fields if n == ":status")
            self.timeline.received(
                Text.assemble("HTTP/2 ", status_text(int(status), "")),
                header_lines((n, v) for n, v in fields if n[0] != ":"),
            )
        elif isinstance(event, h2.events.DataReceived) and event.data:
            self.body += event.data
            self.h2.acknowledge_received_data(
                event.flow_controlled_length or 0, 1
            )
            self.timeline.received(f"DATA {event.data!r}")
        elif isinstance(event, h2.events.TrailersReceived):
            pairs = [(str(n), str(v)) for n, v in event.headers or ()]
            self.trailers.update(pairs)
            self.timeline.received(
                Text("trailers", style="bold"), header_lines(pairs)
            )
        elif isinstance(event, h2.events.StreamEnded):
            self.ended = True
        elif isinstance(event, h2.events.StreamReset):
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
