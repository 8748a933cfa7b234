"""Slides "Client Disconnection": what an app does after its client leaves.

Each test records the present truth of a real server: how many chunks the
app still produces once the client has gone, and how fast it stops. The
demos' delays are shortened through their module constants.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import ModuleType

import pytest
from starlette.testclient import TestClient
from websockets.sync.client import connect

from demos import (
    disconnect_receive,
    raise_oserror,
    streaming_response,
    ws_disconnect,
)
from tests.conftest import Prints, Report, Serve, WatchPrints, slide
from tests.servers import (
    HTTP1_SERVERS,
    HYPERCORN,
    UVICORN_WS_SERVERS,
    ServerSpec,
)
from tests.wire import TIMEOUT, http1_open

DELAY = 0.02
INTERVAL = 0.5
STREAM = "Hello, world!"
READ_BEFORE_LEAVING = 3


@dataclass
class AfterDisconnect:
    """What the app did once the client had closed its connection."""

    chunks: int
    total_chunks: int
    stopped_after: float | None  # seconds from close to "Client disconnected"
    unit: str = "chunks"

    def __str__(self) -> str:
        stopped = (
            "never stopped"
            if self.stopped_after is None
            else f"stopped after {self.stopped_after * 1000:.1f} ms"
        )
        return f"{self.chunks} {self.unit} after disconnect, {stopped}"


@pytest.fixture(autouse=True)
def short_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streaming_response, "DELAY", DELAY)
    monkeypatch.setattr(raise_oserror, "DELAY", DELAY)
    monkeypatch.setattr(ws_disconnect, "INTERVAL", INTERVAL)


def leave_mid_stream(port: int, prints: Prints) -> AfterDisconnect:
    """Read a few bytes of the stream, close the socket, watch the app."""
    stream = http1_open(port)
    received = b""
    with stream.sock:
        for event in stream.events():
            received += getattr(event, "data", b"")
            if len(received) >= READ_BEFORE_LEAVING:
                break
        closed_at = time.monotonic()
    # Either the app notices, or the stream runs to its end.
    deadline = time.monotonic() + len(STREAM) * DELAY + 1
    while not prints.wait_for("Client disconnected", 1, 0.01):
        if prints.wait_for("Sending", len(STREAM), 0) or (
            time.monotonic() > deadline
        ):
            break
    time.sleep(3 * DELAY)  # anything still produced shows up by now
    done = prints.first("Client disconnected")
    return AfterDisconnect(
        chunks=len(prints.since(closed_at, "Sending")),
        total_chunks=len(prints.since(0, "Sending")),
        stopped_after=None if done is None else done.at - closed_at,
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


@HTTP_SERVERS
def test_streaming_response_keeps_producing(
    serve: Serve,
    prints: WatchPrints,
    figure: Report,
    spec: ServerSpec,
) -> None:
    """Sends to a closed connection are silently dropped (spec 2.3)."""
    recorder = prints(streaming_response)
    server = serve(streaming_response.app, spec)
    after = leave_mid_stream(server.port, recorder)
    figure("streaming_response", spec.id, str(after))
    assert after.total_chunks == len(STREAM), (
        f"{slide('streaming_response')} says {spec} lets the app stream to "
        f"the end after the client left; it produced {after.total_chunks} "
        f"of {len(STREAM)} chunks"
    )
    assert after.chunks >= len(STREAM) - READ_BEFORE_LEAVING - 1


@HTTP_SERVERS
def test_raise_oserror_is_not_raised_on_http(
    serve: Serve,
    prints: WatchPrints,
    figure: Report,
    spec: ServerSpec,
) -> None:
    """No HTTP server raises OSError from send() yet: the app never stops."""
    recorder = prints(raise_oserror)
    server = serve(raise_oserror.app, spec)
    after = leave_mid_stream(server.port, recorder)
    figure("raise_oserror", spec.id, str(after))
    assert after.stopped_after is None, (
        f"{slide('raise_oserror')} says {spec} does not raise OSError on "
        "HTTP sends, but the app caught one: the slide "
        "'Uvicorn raises OSError on... WebSockets!' is out of date"
    )
    assert after.total_chunks == len(STREAM), slide("raise_oserror")


@HTTP_SERVERS
def test_disconnect_receive_stops_at_once(
    serve: Serve,
    prints: WatchPrints,
    figure: Report,
    spec: ServerSpec,
) -> None:
    recorder = prints(disconnect_receive, streaming_response)
    server = serve(disconnect_receive.app, spec)
    after = leave_mid_stream(server.port, recorder)
    figure("disconnect_receive", spec.id, str(after))
    where = slide("disconnect_receive")
    assert after.stopped_after is not None, (
        f"{where} says {spec} delivers http.disconnect when the client "
        "leaves, but the app never heard of it"
    )
    assert after.stopped_after < 0.5, where
    assert after.chunks <= 1, where
    assert after.total_chunks < len(STREAM), where


def leave_websocket(
    port: int, prints: Prints, watch: float
) -> AfterDisconnect:
    """Take the first tick, close the WebSocket, watch the app."""
    with connect(f"ws://127.0.0.1:{port}/ws", open_timeout=TIMEOUT) as client:
        assert client.recv(timeout=TIMEOUT) == "tick 1"
    closed_at = time.monotonic()  # the closing handshake is over
    prints.wait_for("Client disconnected", 1, watch)
    done = prints.first("Client disconnected")
    return AfterDisconnect(
        chunks=len(prints.since(closed_at, "Sent tick")),
        total_chunks=len(prints.since(0, "Sent tick")),
        stopped_after=None if done is None else done.at - closed_at,
        unit="ticks",
    )


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
    after = leave_websocket(server.port, recorder, watch=3 * INTERVAL)
    figure("ws_disconnect", spec.id, str(after))
    where = slide("ws_disconnect")
    assert after.stopped_after is not None, (
        f"{where} says {spec} raises on send after the client left, "
        "but the app kept sending"
    )
    assert after.stopped_after <= INTERVAL + 0.25, where
    assert after.chunks == 0, where
    assert recorder.since(0, "Client disconnected")[0].text == (
        "Client disconnected (code 1006)"
    ), where


def test_ws_disconnect_never_stops_on_hypercorn(
    serve: Serve, prints: WatchPrints, figure: Report
) -> None:
    """hypercorn drops sends after the close: the app ticks on forever."""
    recorder = prints(ws_disconnect)
    server = serve(ws_disconnect.app, HYPERCORN)
    after = leave_websocket(server.port, recorder, watch=4 * INTERVAL)
    figure("ws_disconnect", HYPERCORN.id, f"{after} (watched 4 intervals)")
    assert after.stopped_after is None, (
        f"{slide('ws_disconnect')}: hypercorn now stops the app; "
        "update the slide's server list"
    )
    assert after.chunks >= 3
