"""Helpers of the demos' tests: the demos at a test's pace (``Demo.paced``),
a client that leaves a stream midway and what the app did after, the
servers the demos run on (the prototype of uvicorn #3085 among them), and
what a server holds (its tasks, its sockets) as clients come and go."""

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import psutil
import pytest

from demos.catalog import DEMOS, DISCONNECTED, INTERVAL, SENDING
from scripts.net.clients import TIMEOUT, http1_leave
from scripts.net.exchanges import CLOSED, Body, End, Http1
from scripts.net.ports import HOST
from scripts.net.servers import RunningServer, ServerSpec
from tests.conftest import Prints, Returns

DELAY = 0.01  # seconds between the chunks of a stream, in these tests
TICKS = 0.25  # seconds between ws_disconnect's ticks, in these tests
STREAM = "Hello, world!"  # what every streaming demo sends, a byte a chunk
READ_BEFORE_LEAVING = 3  # bytes
PROTOCOLS = "demos.oserror_protocols"
PROTOTYPES = (
    ServerSpec("uvicorn-h11-oserror", "uvicorn",
               {"http": f"{PROTOCOLS}:H11Protocol"}),
    ServerSpec("uvicorn-httptools-oserror", "uvicorn",
               {"http": f"{PROTOCOLS}:HttpToolsProtocol"}),
)
ON_PROTOTYPES = pytest.mark.parametrize("spec", PROTOTYPES, ids=str)
Errors = Callable[[], list[str]]  # the server_errors fixture
CLIENTS, CONCURRENCY = 100, 20  # clients that leave, and at once


def _uvicorn(name: str, **options: Any) -> ServerSpec:
    return ServerSpec(f"uvicorn-{name}", options=options)


# The servers the demos are tested on.
UVICORN = ServerSpec("uvicorn")  # its defaults: httptools, ...
UVICORN_H11 = _uvicorn("h11", http="h11")
UVICORN_HTTPTOOLS = _uvicorn("httptools", http="httptools")
UVICORN_ZTTP_H2 = _uvicorn("zttp-h2", http="zttp", http2=True)
HYPERCORN = ServerSpec("hypercorn", "hypercorn")
UVICORN_WS_SERVERS = tuple(_uvicorn(ws, ws=ws) for ws in (
    "websockets", "websockets-sansio", "wsproto"))
UVICORN_WEBSOCKETS_SANSIO = UVICORN_WS_SERVERS[1]
HTTP1_SERVERS = (UVICORN_H11, UVICORN_HTTPTOOLS, UVICORN_ZTTP_H2, HYPERCORN)
HTTP2_SERVERS = (UVICORN_ZTTP_H2, HYPERCORN)
UVICORN_HTTP_SERVERS = (UVICORN_H11, UVICORN_HTTPTOOLS)
WS_SERVERS = (*UVICORN_WS_SERVERS, HYPERCORN)


def http1_open(port: int) -> tuple[socket.socket, Http1]:
    """GET / sent on a new connection; the caller reads the reply."""
    sock = socket.create_connection((HOST, port), timeout=TIMEOUT)
    exchange = Http1(f"{HOST}:{port}")
    sock.sendall(exchange.start())
    return sock, exchange


@pytest.fixture
def short_paces() -> Iterator[None]:
    """Every paced demo at this module's pace: DELAY, or TICKS."""
    with contextlib.ExitStack() as stack:
        for demo in DEMOS:
            if demo.pace:
                ticks = demo.pace.constant == INTERVAL
                stack.enter_context(demo.paced(TICKS if ticks else DELAY))
        yield


@dataclass
class AfterDisconnect:
    """What the app did once the client had closed its connection; every
    count is taken against the moment the client's socket was closed,
    never the moment it decided to leave."""

    chunks: int  # produced after the close
    total_chunks: int
    stopped_after: float | None  # from close() to DISCONNECTED, s
    received: int = 0  # chunks the client read before it left
    in_flight: int = 0  # produced between the client's last read and close
    unit: str = "chunks"

    def __str__(self) -> str:
        stopped = (
            "never stopped"
            if self.stopped_after is None
            else f"stopped after {self.stopped_after * 1000:.1f} ms"
        )
        return f"{self.chunks} {self.unit} after disconnect, {stopped}"

    @property
    def unread(self) -> int:
        """The chunks the app had to produce after the client's last read:
        when it began, the app had produced at most what that read returned
        plus the one chunk it may have logged and not yet written; what it
        produced before the socket closed is counted."""
        return len(STREAM) - self.received - 1 - self.in_flight


def leave_mid_stream(
    port: int, prints: Prints, app: Returns, late: int = 0
) -> AfterDisconnect:
    """Read a few bytes of the stream (a late client waits for ``late``
    chunks first: they come in one read), close the socket, and watch the
    app until it returns. The socket is read here, so that the last read
    is timed from before it starts."""
    sock, exchange = http1_open(port)
    prints.wait_for(SENDING, late, TIMEOUT)
    received = 0
    with sock:
        while received < READ_BEFORE_LEAVING:
            read_at = time.monotonic()
            parts, _ = exchange.receive(sock.recv(65536))
            assert End(CLOSED) not in parts, "the server closed first"
            received += sum(len(p.data) for p in parts if isinstance(p, Body))
        closing_at = time.monotonic()
    closed_at = time.monotonic()
    # Either the app notices, or the stream runs to its end: it returns.
    assert app.wait(TIMEOUT), "the app never returned"
    done = prints.first(DISCONNECTED)
    after_close = len(prints.since(closed_at, SENDING))
    return AfterDisconnect(
        chunks=after_close,
        total_chunks=len(prints.since(0, SENDING)),
        stopped_after=None if done is None else done.at - closing_at,
        received=received,
        in_flight=len(prints.since(read_at, SENDING)) - after_close,
    )


async def tasks_running() -> int:
    """How many tasks the server's event loop has (this one included)."""
    return len(asyncio.all_tasks())


def sockets_on(port: int) -> int:
    """This process's TCP sockets on ``port``: the server's (counting every
    descriptor would count whatever else the test worker opens)."""
    return sum(
        1
        for connection in psutil.Process().net_connections(kind="tcp")
        if connection.laddr and connection.laddr.port == port
    )


def many_clients(port: int) -> None:
    """CLIENTS leave the stream at ``port`` after its first chunk, CONCURRENCY
    at once."""
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        left = list(pool.map(lambda _: http1_leave(port, "/"), range(CLIENTS)))
    assert None not in left, "a client got no chunk to leave after"


def settle(
    server: RunningServer, tasks: int, sockets: int, timeout: float = 5
) -> tuple[int, int]:
    """Wait for tasks and sockets to fall back to a baseline."""
    deadline = time.monotonic() + timeout
    while True:
        now = server.call(tasks_running()), sockets_on(server.port)
        settled = now[0] <= tasks and now[1] <= sockets
        if settled or time.monotonic() > deadline:
            return now
        time.sleep(0.02)
