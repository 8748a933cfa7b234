"""Slides "Client Disconnection": what an app does after its client leaves.

Each test records the present truth of a real server: how many chunks the
app still produces once the client has gone, and how fast it stops. The
demos run at a test's pace (``short_paces``: ``Demo.paced``).
"""

import asyncio
import itertools
import time
from collections.abc import Callable
from types import ModuleType
from typing import Protocol

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
from demos.catalog import DISCONNECTED, SENDING, TICK
from scripts.net.clients import TIMEOUT
from scripts.net.ports import HOST
from scripts.net.servers import ServerSpec
from tests.conftest import Prints, Report, Returns, Serve, WatchPrints, slide
from tests.demos.conftest import (
    DELAY,
    HTTP1_SERVERS,
    HYPERCORN,
    READ_BEFORE_LEAVING,
    STREAM,
    TICKS,
    UVICORN_WS_SERVERS,
    AfterDisconnect,
    leave_mid_stream,
)

pytestmark = pytest.mark.usefixtures("short_paces")


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
    sent = [line.text for line in recorder.since(0, SENDING)]
    assert sent == [f"{SENDING} {char!r}" for char in STREAM]
    assert recorder.first(DISCONNECTED) is None


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
    prints.wait_for(DISCONNECTED, 1, watch)
    watched_until = time.monotonic()
    done = prints.first(DISCONNECTED)
    ticks = prints.since(closed_at, TICK)
    after = AfterDisconnect(
        chunks=len(ticks),
        total_chunks=len(prints.since(0, TICK)),
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
    after, _ = leave_websocket(server.port, recorder, watch=3 * TICKS)
    figure("ws_disconnect", spec.id, str(after))
    where = slide("ws_disconnect")
    assert after.stopped_after is not None, (
        f"{where} says {spec} raises on send after the client left, "
        "but the app kept sending"
    )
    # The next send is the one that raises: no tick went out after the
    # close, and the app stopped no sooner than one interval after its tick.
    assert after.chunks == 0, where
    ticked = recorder.since(0, TICK)[-1].at
    stopped = recorder.since(0, DISCONNECTED)
    assert stopped[0].at - ticked >= TICKS, where
    assert stopped[0].text == f"{DISCONNECTED} (code 1006)", where


def test_ws_disconnect_never_stops_on_hypercorn(
    serve: Serve, prints: WatchPrints, figure: Report
) -> None:
    """hypercorn drops sends after the close: the app ticks on forever."""
    recorder = prints(ws_disconnect)
    server = serve(ws_disconnect.app, HYPERCORN)
    after, ticks = leave_websocket(server.port, recorder, watch=4 * TICKS)
    figure("ws_disconnect", HYPERCORN.id, f"{after} (watched 4 intervals)")
    where = slide("ws_disconnect")
    assert after.stopped_after is None, (
        f"{where}: hypercorn now stops the app; update the slide's server list"
    )
    # It kept its pace to the end of the watch: no gap of two intervals.
    assert after.chunks >= 1, where
    gaps = [later - earlier for earlier, later in itertools.pairwise(ticks)]
    assert max(gaps) < 2 * TICKS, (where, gaps)


def ticks_without_catching() -> FastAPI:
    """ws_disconnect's loop without its ``except WebSocketDisconnect``."""
    app = FastAPI()

    @app.websocket("/ws")
    async def websocket_endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        for tick in itertools.count(1):
            await websocket.send_text(f"tick {tick}")
            await asyncio.sleep(TICKS)

    return app


@pytest.mark.parametrize("spec", UVICORN_WS_SERVERS, ids=str)
def test_an_uncaught_websocket_disconnect_is_logged_as_an_error(
    serve: Serve, server_errors: Callable[[], list[str]], spec: ServerSpec
) -> None:
    """The #2271 experience today, on WebSockets: the disconnect that ends
    a FastAPI endpoint which does not catch it is logged as an error."""
    app = Returns(ticks_without_catching())
    server = serve(app, spec)
    url = f"ws://{HOST}:{server.port}/ws"
    with connect(url, open_timeout=TIMEOUT) as client:
        assert client.recv(timeout=TIMEOUT) == "tick 1"
    assert app.wait(TIMEOUT), "the endpoint never ended"
    server.call(asyncio.sleep(0))  # uvicorn logs in the turn the app ends
    assert server_errors() == ["Exception in ASGI application\n"], slide(
        "ws_disconnect"
    )
