"""Slides "Client Disconnection": what an app does after its client leaves.

Each test records the present truth of a real server: how many chunks the
app still produces once the client has gone, and how fast it stops. The
demos' delays are shortened through their module constants.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Protocol

import h11
import pytest
from fastapi import FastAPI, WebSocket
from starlette.testclient import TestClient
from websockets.sync.client import connect

from demos import (
    disconnect_receive,
    raise_oserror,
    streaming_response,
    ws_disconnect,
)
from scripts.net.clients import TIMEOUT, http1_open
from scripts.net.servers import (
    HTTP1_SERVERS,
    HYPERCORN,
    UVICORN_WS_SERVERS,
    ServerSpec,
)
from tests.conftest import (
    Prints,
    Report,
    Returns,
    Serve,
    WatchPrints,
    slide,
)

DELAY = 0.01
INTERVAL = 0.25
STREAM = "Hello, world!"
READ_BEFORE_LEAVING = 3


@dataclass
class AfterDisconnect:
    """What the app did once the client had closed its connection.

    Every count is taken against the moment the client's socket was
    closed, never the moment it decided to leave.
    """

    chunks: int  # produced after the close
    total_chunks: int
    stopped_after: float | None  # from close() to "Client disconnected", s
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
        """The chunks the app had to produce after the client's last read.

        When the last read began, the app had produced at most what that
        read returned plus the one chunk it may have logged and not yet
        written; what it produced before the socket closed is counted.
        """
        return len(STREAM) - self.received - 1 - self.in_flight


@pytest.fixture(autouse=True)
def short_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming_response, "DELAY", DELAY)
    monkeypatch.setattr(raise_oserror, "DELAY", DELAY)
    monkeypatch.setattr(ws_disconnect, "INTERVAL", INTERVAL)


@dataclass
class Left:
    """How the client left: what it read, and when (monotonic seconds)."""

    received: int  # bytes of the body, one per chunk
    read_at: float  # before the last read began
    closing_at: float  # before the socket was closed
    closed_at: float  # once it was closed


def read_a_few_chunks(
    port: int, before_reading: Callable[[], object] = lambda: None
) -> Left:
    """Read at least a few bytes of the body, then close the socket.

    The socket is read here, rather than by a client that reads it all, so
    that the last read is timed from before it starts.
    """
    sock, conn = http1_open(port)
    before_reading()
    received = 0
    while received < READ_BEFORE_LEAVING:
        read_at = time.monotonic()
        conn.receive_data(sock.recv(65536))
        while (event := conn.next_event()) is not h11.NEED_DATA:
            assert not isinstance(event, h11.ConnectionClosed)
            received += len(getattr(event, "data", b""))
    closing_at = time.monotonic()
    sock.close()
    return Left(received, read_at, closing_at, time.monotonic())


def leave_mid_stream(
    port: int, prints: Prints, app: Returns, late: int = 0
) -> AfterDisconnect:
    """Read a few bytes of the stream, close the socket, watch the app."""
    # A late client waits for that many chunks: they come in one read.
    left = read_a_few_chunks(
        port, lambda: prints.wait_for("Sending", late, TIMEOUT)
    )
    # Either the app notices, or the stream runs to its end: it returns.
    assert app.wait(TIMEOUT), "the app never returned"
    done = prints.first("Client disconnected")
    after_close = len(prints.since(left.closed_at, "Sending"))
    return AfterDisconnect(
        chunks=after_close,
        total_chunks=len(prints.since(0, "Sending")),
        stopped_after=None if done is None else done.at - left.closing_at,
        received=left.received,
        in_flight=len(prints.since(left.read_at, "Sending")) - after_close,
    )


@pytest.mark.parametrize(
    "module",
    [streaming_response, disconnect_receive, raise_oserror],
    ids=lambda module: module.__name__.split(".")[-1],
)
def test_streams_the_whole_body_in_process(
    prints: WatchPrints, module: ModuleType
) -> None:
    recorder = prints(module, streaming_response)
    response = TestClient(module.app).get("/")
    assert response.text == STREAM
    sent = [line.text for line in recorder.since(0, "Sending")]
    assert sent == [f"Sending {char!r}" for char in STREAM]
    assert recorder.first("Client disconnected") is None


def test_ws_disconnect_ticks_in_process() -> None:
    with TestClient(ws_disconnect.app).websocket_connect("/ws") as websocket:
        assert websocket.receive_text() == "tick 1"
        assert websocket.receive_text() == "tick 2"


HTTP_SERVERS = pytest.mark.parametrize("spec", HTTP1_SERVERS, ids=str)


class Leave(Protocol):
    def __call__(
        self, spec: ServerSpec, module: ModuleType, *printing: ModuleType
    ) -> AfterDisconnect: ...


@pytest.fixture
def left(serve: Serve, prints: WatchPrints, figure: Report) -> Leave:
    """Serve ``module``'s app on ``spec``, leave its stream midway, and
    record what the app did as the figure of ``module``'s demo on ``spec``."""

    def leave(
        spec: ServerSpec, module: ModuleType, *printing: ModuleType
    ) -> AfterDisconnect:
        recorder = prints(module, *printing)
        app = Returns(module.app)
        after = leave_mid_stream(serve(app, spec).port, recorder, app)
        figure(module.__name__.rpartition(".")[2], spec.id, str(after))
        return after

    return leave


@HTTP_SERVERS
def test_streaming_response_keeps_producing(
    left: Leave, spec: ServerSpec
) -> None:
    """Sends to a closed connection are silently dropped (spec 2.3)."""
    after = left(spec, streaming_response)
    assert after.total_chunks == len(STREAM), (
        f"{slide('streaming_response')} says {spec} lets the app stream to "
        f"the end after the client left; it produced {after.total_chunks} "
        f"of {len(STREAM)} chunks"
    )
    assert after.chunks >= after.unread, slide("streaming_response")


def test_the_bound_counts_what_the_client_read(
    serve: Serve, prints: WatchPrints
) -> None:
    """A client that reads late gets several chunks in one read.

    The app then produces fewer chunks after the close than the bound
    "all but the first few" allows: the bound must follow what was read.
    """
    recorder = prints(streaming_response)
    app = Returns(streaming_response.app)
    port = serve(app, HTTP1_SERVERS[0]).port
    after = leave_mid_stream(port, recorder, app, late=READ_BEFORE_LEAVING + 4)
    assert after.received > READ_BEFORE_LEAVING + 1
    assert after.chunks < len(STREAM) - READ_BEFORE_LEAVING - 1
    assert after.chunks >= after.unread


@HTTP_SERVERS
def test_raise_oserror_is_not_raised_on_http(
    left: Leave, spec: ServerSpec
) -> None:
    """No HTTP server raises OSError from send() yet: the app never stops."""
    after = left(spec, raise_oserror)
    assert after.stopped_after is None, (
        f"{slide('raise_oserror')} says {spec} does not raise OSError on "
        "HTTP sends, but the app caught one: the slide "
        "'Uvicorn raises OSError on... WebSockets!' is out of date"
    )
    assert after.total_chunks == len(STREAM), slide("raise_oserror")
    assert after.chunks >= after.unread, slide("raise_oserror")


@HTTP_SERVERS
def test_disconnect_receive_stops_at_once(
    left: Leave, spec: ServerSpec
) -> None:
    after = left(spec, disconnect_receive, streaming_response)
    where = slide("disconnect_receive")
    assert after.stopped_after is not None, (
        f"{where} says {spec} delivers http.disconnect when the client "
        "leaves, but the app never heard of it"
    )
    # It stops at its first turn after the close: before its next chunk,
    # unless the machine stalled it past DELAY, and then by that much.
    assert after.chunks <= 1 + int(after.stopped_after / DELAY), where
    assert after.total_chunks < len(STREAM), where


def leave_websocket(
    port: int, prints: Prints, watch: float
) -> tuple[AfterDisconnect, list[float]]:
    """Take the first tick, close the WebSocket, watch the app.

    Returns what the app did, and the moments it ticked after the close,
    with the end of the watch last.
    """
    with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=TIMEOUT) as client:
        assert client.recv(timeout=TIMEOUT) == "tick 1"
    closed_at = time.monotonic()  # the closing handshake is over
    prints.wait_for("Client disconnected", 1, watch)
    watched_until = time.monotonic()
    done = prints.first("Client disconnected")
    ticks = prints.since(closed_at, "Sent tick")
    after = AfterDisconnect(
        chunks=len(ticks),
        total_chunks=len(prints.since(0, "Sent tick")),
        stopped_after=None if done is None else done.at - closed_at,
        unit="ticks",
    )
    return after, [tick.at for tick in ticks] + [watched_until]


@pytest.mark.parametrize("spec", UVICORN_WS_SERVERS, ids=str)
def test_ws_disconnect_stops_within_one_interval(
    serve: Serve,
    prints: WatchPrints,
    figure: Report,
    spec: ServerSpec,
) -> None:
    """uvicorn raises ClientDisconnected (an OSError) from the next send."""
    recorder = prints(ws_disconnect)
    server = serve(ws_disconnect.app, spec)
    after, _ = leave_websocket(server.port, recorder, watch=3 * INTERVAL)
    figure("ws_disconnect", spec.id, str(after))
    where = slide("ws_disconnect")
    assert after.stopped_after is not None, (
        f"{where} says {spec} raises on send after the client left, "
        "but the app kept sending"
    )
    # The next send is the one that raises: no tick went out after the
    # close, and the app stopped no sooner than one interval after its tick.
    assert after.chunks == 0, where
    ticked = recorder.since(0, "Sent tick")[-1].at
    stopped = recorder.since(0, "Client disconnected")
    assert stopped[0].at - ticked >= INTERVAL, where
    assert stopped[0].text == "Client disconnected (code 1006)", where


def test_ws_disconnect_never_stops_on_hypercorn(
    serve: Serve, prints: WatchPrints, figure: Report
) -> None:
    """hypercorn drops sends after the close: the app ticks on forever."""
    recorder = prints(ws_disconnect)
    server = serve(ws_disconnect.app, HYPERCORN)
    after, ticks = leave_websocket(server.port, recorder, watch=4 * INTERVAL)
    figure("ws_disconnect", HYPERCORN.id, f"{after} (watched 4 intervals)")
    where = slide("ws_disconnect")
    assert after.stopped_after is None, (
        f"{where}: hypercorn now stops the app; update the slide's server list"
    )
    # It kept its pace to the end of the watch: no gap of two intervals.
    assert after.chunks >= 1, where
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert max(gaps) < 2 * INTERVAL, (where, gaps)


def ticks_without_catching() -> FastAPI:
    """ws_disconnect's loop without its ``except WebSocketDisconnect``."""
    app = FastAPI()

    @app.websocket("/ws")
    async def websocket_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        for tick in itertools.count(1):
            await websocket.send_text(f"tick {tick}")
            await asyncio.sleep(INTERVAL)

    return app


@pytest.mark.parametrize("spec", UVICORN_WS_SERVERS, ids=str)
def test_an_uncaught_websocket_disconnect_is_logged_as_an_error(
    serve: Serve, server_errors: Callable[[], list[str]], spec: ServerSpec
) -> None:
    """The #2271 experience today, on WebSockets: the disconnect that ends
    a FastAPI endpoint which does not catch it is logged as an error."""
    app = Returns(ticks_without_catching())
    server = serve(app, spec)
    with connect(f"{server.ws_url}/ws", open_timeout=TIMEOUT) as client:
        assert client.recv(timeout=TIMEOUT) == "tick 1"
    assert app.wait(TIMEOUT), "the endpoint never ended"
    server.call(asyncio.sleep(0))  # uvicorn logs in the turn the app ends
    assert server_errors() == ["Exception in ASGI application\n"], slide(
        "ws_disconnect"
    )
