"""Slides "#3085, prototyped": uvicorn raising OSError on HTTP sends.

The prototype (demos/oserror_protocols.py) runs on the pinned uvicorn as
``--http`` classes. Stock uvicorn is the control: the same tests on it
show the old behaviour, so each can fail.
"""

import asyncio
import time
from types import ModuleType

import pytest
from starlette.types import Receive, Scope, Send

from demos import fastapi_streaming, raise_oserror, streaming_response
from scripts.net.clients import http1
from scripts.net.servers import ServerSpec
from tests.conftest import Report, Returns, Serve, WatchPrints, slide
from tests.demos.conftest import (
    CLIENTS,
    DELAY,
    ON_PROTOTYPES,
    PROTOCOLS,
    PROTOTYPES,
    STREAM,
    UVICORN_HTTP_SERVERS,
    AfterDisconnect,
    Errors,
    http1_open,
    leave_mid_stream,
    many_clients,
    settle,
    sockets_on,
    tasks_running,
)

LITERAL = (
    ServerSpec("uvicorn-h11-literal", "uvicorn",
               {"http": f"{PROTOCOLS}:LiteralH11Protocol"}),
    ServerSpec("uvicorn-httptools-literal", "uvicorn",
               {"http": f"{PROTOCOLS}:LiteralHttpToolsProtocol"}),
)
pytestmark = pytest.mark.usefixtures("short_paces")


async def spec_version(scope: Scope, receive: Receive, send: Send) -> None:
    body = scope["asgi"]["spec_version"].encode()
    await send({"type": "http.response.start", "status": 200})
    await send({"type": "http.response.body", "body": body})


@pytest.mark.parametrize("spec", PROTOTYPES + UVICORN_HTTP_SERVERS, ids=str)
def test_the_scope_says_2_5_as_3085_does(
    serve: Serve, spec: ServerSpec
) -> None:
    """2.5 adds the WebSocket close reason, which uvicorn already sends."""
    expected = b"2.5" if spec in PROTOTYPES else b"2.3"
    assert http1(serve(spec_version, spec).port).body == expected


@ON_PROTOTYPES
def test_raise_oserror_stops_at_once(
    serve: Serve, prints: WatchPrints, figure: Report, spec: ServerSpec
) -> None:
    recorder = prints(raise_oserror)
    app = Returns(raise_oserror.app)
    after = leave_mid_stream(serve(app, spec).port, recorder, app)
    figure("raise_oserror", spec.id, str(after))
    where = slide("raise_oserror")
    assert after.stopped_after is not None, where
    # The next send raises: one chunk more at most, unless the machine
    # stalled the app past DELAY, and then by that much.
    assert after.chunks <= 1 + int(after.stopped_after / DELAY), where
    assert after.total_chunks < len(STREAM), where


def leave_and_settle(
    serve: Serve, prints: WatchPrints, module: ModuleType, spec: ServerSpec
) -> AfterDisconnect:
    """Leave ``module``'s stream mid-way; return once the server has logged."""
    recorder = prints(module)
    app = Returns(module.app)
    server = serve(app, spec)
    after = leave_mid_stream(server.port, recorder, app)
    server.call(asyncio.sleep(0))  # uvicorn logs in the turn the app ends
    return after


@ON_PROTOTYPES
def test_an_app_that_never_catches_stops_and_nothing_is_logged(
    serve: Serve,
    prints: WatchPrints,
    server_errors: Errors,
    spec: ServerSpec,
) -> None:
    after = leave_and_settle(serve, prints, streaming_response, spec)
    assert after.total_chunks < len(STREAM), slide("streaming_response")
    assert server_errors() == []


def tasks_while_streaming(serve: Serve, spec: ServerSpec) -> int:
    """The tasks one FastAPI stream adds to the server's loop."""
    server = serve(fastapi_streaming.app, spec)
    before = server.call(tasks_running())
    sock, _ = http1_open(server.port)
    with sock:
        sock.recv(65536)  # the head, and the first chunk or more
        return server.call(tasks_running()) - before


@pytest.mark.parametrize("spec", PROTOTYPES + UVICORN_HTTP_SERVERS, ids=str)
def test_fastapi_streams_with_no_listener_task_from_spec_2_4(
    serve: Serve, spec: ServerSpec
) -> None:
    """Starlette runs a task listening for http.disconnect below 2.4 only."""
    added = tasks_while_streaming(serve, spec)
    assert added == (1 if spec in PROTOTYPES else 2), slide("fastapi_streaming")


@pytest.mark.parametrize("spec", PROTOTYPES + UVICORN_HTTP_SERVERS, ids=str)
def test_fastapi_stops_after_its_client_left(
    serve: Serve,
    prints: WatchPrints,
    server_errors: Errors,
    figure: Report,
    spec: ServerSpec,
) -> None:
    """The same code stops on both: by OSError at 2.5 (Starlette's path for
    2.4 and later), by the listener below."""
    after = leave_and_settle(serve, prints, fastapi_streaming, spec)
    figure(
        "fastapi_streaming",
        spec.id,
        f"{after.chunks} chunks after disconnect, "
        f"{after.total_chunks} of {len(STREAM)} in all",
    )
    assert after.total_chunks < len(STREAM), slide("fastapi_streaming")
    assert server_errors() == []


@pytest.mark.parametrize("spec", LITERAL, ids=str)
def test_catching_only_client_disconnected_logs_starlettes_exception(
    serve: Serve, prints: WatchPrints, server_errors: Errors, spec: ServerSpec
) -> None:
    """The #2271 trap: Starlette re-raises the OSError as ClientDisconnect."""
    after = leave_and_settle(serve, prints, fastapi_streaming, spec)
    assert after.total_chunks < len(STREAM)
    assert server_errors() == ["Exception in ASGI application\n"]


@ON_PROTOTYPES
def test_no_task_or_socket_outlives_its_client(
    serve: Serve, prints: WatchPrints, figure: Report, spec: ServerSpec
) -> None:
    prints(streaming_response)
    server = serve(streaming_response.app, spec)
    tasks, sockets = server.call(tasks_running()), sockets_on(server.port)
    started = time.monotonic()
    many_clients(server.port)
    after = settle(server, tasks, sockets)
    figure(
        "streaming_response",
        spec.id,
        f"{CLIENTS} clients left in {time.monotonic() - started:.2f} s: tasks "
        f"{tasks} -> {after[0]}, sockets on its port {sockets} -> {after[1]}",
    )
    assert after == (tasks, sockets), slide("streaming_response")
