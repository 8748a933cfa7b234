"""The runner's clients: HTTP/1.1 and HTTP/2 on scripts/net/exchanges.py,
WebSocket on websockets'; each step shown as it comes, summed up."""

import asyncio
import base64
import contextlib
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import quote

import websockets as ws
from rich.text import Text

from demos.catalog import DISCONNECTED, SENDING, Demo
from scripts.common import plural
from scripts.live.server import HOST, DemoServer
from scripts.live.timeline import Timeline, header_lines
from scripts.net import exchanges
from scripts.net.exchanges import Exchange, Head, Http1, Http2

IO_TIMEOUT = 5.0  # seconds for any one network wait
CHUNKS_BEFORE_LEAVING = 2  # body chunks read before hanging up mid-stream
# After the client left: watched up to 15 of the app's delays, or 2.6 s.
WATCH_DELAYS, WATCH_LIMIT = 15, 2.6
# How each protocol says: the request line's aside, a chunk, the end.
SAID = {"HTTP/1.1": ("", "body", "end of response"),
        "HTTP/2": (" (prior knowledge)", "DATA", "end of stream")}
# What the app did once the client left, by its sends after: more, streamed on.
WENT_ON = ("stopped at once", "stopped at its next send")
# ws_with_token's handshakes but the last, with the right token.
WRONG = {"no token": "", "wrong token": "?token=guess"}


class ClientError(Exception):
    """The scripted client could not complete its exchange."""


class Outcome(NamedTuple):  # what the client measured, for the summary
    findings: list[str]
    ok: bool = True


Client = Callable[[DemoServer], Awaitable[Outcome]]
OnOpen = Callable[[DemoServer, ws.ClientConnection], Awaitable[str]]


@dataclass
class Fetched:  # what a GET got, up to where it stopped
    head: Head | None = None
    body: bytes = b""
    chunks: int = 0
    trailers: exchanges.Headers = field(default_factory=list)


def client(demo: Demo) -> tuple[Client, int, str]:
    """``demo``'s client; the pages of its run (``--step``): the server up,
    the client's (a page per handshake, never mid-stream), the summary; and
    the secret it sends, shown as ***. SystemExit if the demo refuses its
    settings (ws_with_token's DEMO_TOKEN)."""
    if demo.name == "ws_with_token":
        from demos.ws_with_token import TOKEN  # or DEMO_TOKEN, checked

        return token_attempts, 3 + len(WRONG), TOKEN
    if demo.transport == "http":
        return (leave_mid_stream if demo.pace else get_once), 3, ""
    http2 = demo.transport == "http2"
    return (get_with_trailers if http2 else one_handshake), 3, ""


async def fetch(
    server: DemoServer, kind: type[Exchange],
    headers: exchanges.Headers | None = None, chunks: int | None = None,
) -> Fetched:
    """GET the demo's path on a new connection, each part of the reply shown
    as it comes; hang up after ``chunks`` body chunks (None: the end)."""
    exchange = kind(f"{HOST}:{server.port}", server.demo.path, headers)
    timeline, (aside, chunk, end) = server.timeline, SAID[exchange.protocol]
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(HOST, server.port), IO_TIMEOUT)
    got = Fetched()
    try:
        writer.write(exchange.start())
        said = f"GET {exchange.target} {exchange.protocol}{aside}"
        host = [("host", exchange.authority)] * timeline.verbose
        timeline.client("→", said, header_lines([*host, *exchange.headers]))
        while True:
            data = await asyncio.wait_for(reader.read(65536), IO_TIMEOUT)
            parts, answer = exchange.receive(data)
            writer.write(answer)
            for part in parts:
                if isinstance(part, Head):
                    got.head = part
                    timeline.answer(part.version, part.status, part.reason,
                                    part.headers)
                elif isinstance(part, exchanges.Body) and part.data:
                    timeline.client("←", f"{chunk} {part.data!r}")
                    got.body, got.chunks = got.body + part.data, got.chunks + 1
                    if got.chunks == chunks:
                        return got
                elif isinstance(part, exchanges.Trailers):
                    timeline.client("←", Text("trailers", "title"),
                                    header_lines(part.headers))
                    got.trailers += part.headers
                elif isinstance(part, exchanges.End):
                    if part.ending != exchanges.COMPLETE:
                        raise ClientError(f"the server's reply: {part.ending}")
                    timeline.client("•", end)
                    if isinstance(exchange, Http2):
                        writer.write(exchange.close())
                    return got
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def get_once(server: DemoServer) -> Outcome:
    got = await fetch(server, Http1)
    assert got.head is not None  # else it would have raised
    return Outcome([f"GET {server.demo.path} answered {got.head.status} "
                    f"{got.head.reason} with body {got.body!r}."])


async def leave_mid_stream(server: DemoServer) -> Outcome:
    """Read a few chunks, hang up, and watch the app until it returns, or
    for ``WATCH_DELAYS`` of its delays up to ``WATCH_LIMIT`` (no pause)."""
    timeline = server.timeline
    watch = min(WATCH_DELAYS * server.pace, WATCH_LIMIT)
    got = await fetch(server, Http1, chunks=CHUNKS_BEFORE_LEAVING)
    if got.chunks < CHUNKS_BEFORE_LEAVING:
        raise ClientError("the body ended early")
    # The app prints before it sends: let those lines arrive first.
    await server.until(lambda: len(server.lines_since(0, SENDING)) >= (
        CHUNKS_BEFORE_LEAVING), IO_TIMEOUT)
    left = timeline.now()
    said = f"Hangs up mid-stream; watching the server up to {watch:.1f} s"
    timeline.client("•", Text(said, "title"))
    returned = await server.until(
        lambda: [at - left for at in server.returns if at > left], watch)
    after = len(server.lines_since(left, SENDING))
    more = plural(after, f"more '{SENDING}' line")
    went_on = WENT_ON[after] if after < len(WENT_ON) else "streamed on"
    findings = [f"Client gone: {went_on}, {more}"
                + ("." if returned else f" in {watch:.1f} s.")]
    if returned:
        at = returned[0]
        findings.append(f"The app returned {at:.1f} s after the client left.")
    if noticed := server.lines_since(left, DISCONNECTED):
        at = noticed[0].at - left
        findings.append(f"It printed '{DISCONNECTED}' {at:.3f} s after.")
    elif DISCONNECTED in server.demo.prints:
        findings.append(f"It never printed '{DISCONNECTED}'.")
    return Outcome(findings)


async def get_with_trailers(server: DemoServer) -> Outcome:
    """GET over HTTP/2 with ``te: trailers``; check the Content-MD5."""
    got = await fetch(server, Http2, [("te", "trailers")])
    body, trailer = got.body, dict(got.trailers).get("content-md5")
    computed = base64.b64encode(hashlib.md5(body).digest()).decode()
    ok = trailer == computed
    verdict = "matches" if ok else "MISMATCH" if trailer else "is missing"
    server.timeline.client("•", Text.assemble("content-md5 ", (
        verdict, "ok" if ok else "bad")), [
        f"computed: base64(md5(body)) = {computed}"])
    return Outcome([
        f"Body {body!r}, {len(body)} bytes.",
        f"Trailer content-md5 {trailer or ''}: {verdict} the MD5 of the body "
        "computed by the client" + ("." if ok else f", {computed}."),
    ], ok)


class ShowHandshake(logging.LoggerAdapter[logging.Logger]):
    """websockets' logger: the handshake as sent (headers: ``--verbose``)."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__(logging.getLogger(__name__))
        self.timeline = timeline

    def isEnabledFor(self, level: int) -> bool:
        return True

    def log(self, level: int, msg: object, *args: object, **_: Any) -> None:
        line, timeline = str(msg) % args, self.timeline
        if line.startswith("> GET "):
            said = timeline.mask(line.removeprefix("> "))
            timeline.client("→", f"{said} (WebSocket handshake)")
        elif line.startswith("> ") and ": " in line and timeline.verbose:
            timeline.row(None, "", "", Text(f"  {line[2:]}", "detail"))


async def handshake(
    server: DemoServer, target: str, on_open: OnOpen
) -> list[str]:
    """A handshake for ``target``, shown as it goes: its answer, in brief,
    then, if accepted, what ``on_open`` says of the connection."""
    try:
        websocket = await ws.connect(
            f"ws://{HOST}:{server.port}{target}", proxy=None,
            compression=None,  # fewer headers to read
            logger=ShowHandshake(server.timeline), open_timeout=IO_TIMEOUT,
            close_timeout=IO_TIMEOUT,
        )
        response = websocket.response
    except ws.InvalidStatus as exc:
        websocket, response = None, exc.response
    assert response is not None
    code, reason = response.status_code, response.reason_phrase
    verdict = f" (handshake {'refused' if websocket is None else 'accepted'})"
    said, details = f"HTTP {code} {reason}", list[str]()
    if websocket is None:
        body = bytes(response.body)
        said, details = f"{said}, body {body!r}", [f"body: {body!r}"]
    server.timeline.answer("1.1", code, reason, response.headers.raw_items(),
                           verdict, details)
    if websocket is None:
        return [said]
    async with websocket:
        return [said, await on_open(server, websocket)]


async def listen(server: DemoServer, client: ws.ClientConnection) -> str:
    """Receive messages until the server closes (TimeoutError if it stays
    quiet): how many, and the close."""
    messages = 0
    while True:
        try:
            message = await asyncio.wait_for(client.recv(), IO_TIMEOUT)
        except ws.ConnectionClosed as exc:
            closed = exc.rcvd or "without a close frame"
            server.timeline.client("←", f"close {closed}")
            return f"{plural(messages, 'message')}, close {exc.rcvd}"
        messages += 1
        server.timeline.client("←", f"message {message!r}")


async def leave_after_first(
    server: DemoServer, client: ws.ClientConnection
) -> str:
    """Take one message, close, and time how long the app takes to notice."""
    timeline, limit = server.timeline, 2 * server.pace + 1
    message = await asyncio.wait_for(client.recv(), IO_TIMEOUT)
    timeline.client("←", f"message {message!r}")  # no pause: it ticks on
    left = timeline.now()
    timeline.client("→", Text("close 1000 (the client leaves)", "title"))
    await client.close()
    timeline.client("←", f"close {client.protocol.close_rcvd}")
    waiting = f"Waiting for tick 2 ({server.pace:g} s): the app notices then"
    timeline.client("•", Text(waiting, "detail"))
    if not (noticed := await server.until(
            lambda: server.lines_since(left, DISCONNECTED), limit)):
        raise ClientError(f"the app did not notice within {limit:g} s")
    delay = noticed[0].at - left
    timeline.client("•", Text(f"The app noticed {delay:.1f} s later", "title"))
    printed = f"The app printed {noticed[0].text!r}"
    return f"{printed} {delay:.1f} s after the client left."


async def token_attempts(server: DemoServer) -> Outcome:
    """No token, a wrong token, the right token: three handshakes."""
    right = f"?token={quote(server.timeline.secret)}"
    attempts, findings = {**WRONG, "right token": right}, []
    for number, (label, given) in enumerate(attempts.items(), 1):
        if number > 1:
            await server.timeline.pause()
        attempt = f"Attempt {number} of {len(attempts)}: {label}"
        server.timeline.client("•", Text(attempt, "title"))
        said = await handshake(server, server.demo.path + given, listen)
        findings.append(f"{label.capitalize()}: {', '.join(said)}.")
    return Outcome(findings)


async def one_handshake(server: DemoServer) -> Outcome:
    """Listen; on a paced demo, leave after the first tick instead."""
    on_open = leave_after_first if server.demo.pace else listen
    said, *then = await handshake(server, server.demo.path, on_open)
    return Outcome([f"The handshake got {said}.", *then])
