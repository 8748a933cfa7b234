"""The runner's HTTP clients: the exchanges of scripts/net/exchanges.py (h11,
h2), each part of the reply shown on the timeline as it comes; what they
measured, for the summary (``Outcome``). The WebSocket clients are in
handshakes.py."""

import asyncio
import base64
import contextlib
import hashlib
from typing import NamedTuple

from rich.text import Text

from demos.catalog import DISCONNECTED, SENDING
from scripts.live.observe import plural
from scripts.live.server import HOST, DemoServer
from scripts.live.timeline import header_lines, status_text
from scripts.net import exchanges
from scripts.net.exchanges import Exchange, Head, Http1, Http2

IO_TIMEOUT = 5.0  # seconds for any one network wait
CHUNKS_BEFORE_LEAVING = 2  # body chunks read before hanging up mid-stream
# After the client left: watched until the app returns, for at most 15 of
# its delays, and never more than the stage bears without a new row.
WATCH_DELAYS, WATCH_LIMIT = 15, 2.6
# How each protocol's steps are said: after the request line, a body
# chunk, the end of the reply.
SAID = {"HTTP/1.1": ("", "body", "end of response"),
        "HTTP/2": (" (prior knowledge)", "DATA", "end of stream")}


class ClientError(Exception):
    """The scripted client could not complete its exchange."""


class Outcome(NamedTuple):  # what the client measured, for the summary
    findings: list[str]
    ok: bool = True


class Fetched(NamedTuple):  # what a GET got, up to where it stopped
    head: Head
    body: bytes
    chunks: int
    trailers: exchanges.Headers


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
                elif isinstance(part, exchanges.Body) and part.data:
                    timeline.received(f"{chunk} {part.data!r}")
                    got = got._replace(body=got.body + part.data,
                                       chunks=got.chunks + 1)
                elif isinstance(part, exchanges.Trailers):
                    timeline.received(Text("trailers", style="title"),
                                      header_lines(part.headers))
                    got = got._replace(trailers=got.trailers + part.headers)
                elif isinstance(part, exchanges.End):
                    if part.ending != exchanges.COMPLETE:
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
