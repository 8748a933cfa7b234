"""Slides "#3085, prototyped": its edges. Only what the disconnect caused
is swallowed (a chain walked to its end, even one that loops), and a bug in
an app's handler is logged; uvicorn still sees what an app returned; a send
is checked against its own request (pipelining), and the send waiting for
the buffer to drain raises. Stock uvicorn is the control where it can be.
"""

import asyncio
import itertools
import logging
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import cast

import pytest
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.utils import ClientDisconnected

from demos.oserror_protocols import caused_by_disconnect
from scripts.net.clients import TIMEOUT, http1, http1_leave
from scripts.net.ports import HOST
from scripts.net.servers import RunningServer, ServerSpec
from tests.conftest import Returns, Serve
from tests.demos.conftest import (
    DELAY,
    ON_PROTOTYPES,
    PROTOTYPES,
    UVICORN_HTTP_SERVERS,
    UVICORN_HTTPTOOLS,
    Errors,
    http1_open,
)

pytestmark = pytest.mark.usefixtures("short_paces")


def chained(*chain: BaseException, cause: bool = False) -> BaseException:
    """``chain[0]``, raised while handling ``chain[1]``, and so on."""
    for exc, earlier in itertools.pairwise(chain):
        if cause:
            exc.__cause__ = earlier
        else:
            exc.__context__ = earlier
    return chain[0]


def in_a_cycle() -> BaseException:
    first, second = ClientDisconnect(), ClientDisconnect()
    return chained(first, second, first)


@pytest.mark.parametrize(("exc", "swallowed"), [
    pytest.param(ClientDisconnected(), True, id="ClientDisconnected"),
    # Starlette 1.10: `except OSError: raise ClientDisconnect()`
    pytest.param(chained(ClientDisconnect(), ClientDisconnected()), True,
                 id="starlettes-raised-while-handling-it"),
    pytest.param(
        chained(ClientDisconnect(), ClientDisconnected(), cause=True), True,
        id="starlettes-raised-from-it",
    ),
    pytest.param(
        chained(ClientDisconnect(), ClientDisconnect(), ClientDisconnected()),
        True, id="starlettes-twice",
    ),
    pytest.param(ClientDisconnect(), False,
                 id="starlettes-for-http-disconnect-not-for-a-send"),
    pytest.param(chained(KeyError("session"), ClientDisconnected()), False,
                 id="a-bug-while-handling-it"),
    pytest.param(
        chained(ClientDisconnect(), KeyError("x"), ClientDisconnected()),
        False, id="starlettes-for-a-bug-while-handling-it",
    ),
    pytest.param(chained(*[RuntimeError()] * 2, cause=True), False,
                 id="caused-by-itself"),
    pytest.param(in_a_cycle(), False, id="starlettes-in-a-cycle"),
    pytest.param(None, False, id="None"),
])
def test_only_what_the_disconnect_caused_is_swallowed(
    exc: BaseException | None, swallowed: bool
) -> None:
    assert caused_by_disconnect(exc) is swallowed


def response(body: bytes = b"") -> tuple[Message, Message]:
    return ({"type": "http.response.start", "status": 200},
            {"type": "http.response.body", "body": body})


@dataclass
class CausedByItself:
    """An app whose exception at /cycle has itself as its cause."""

    error: type[Exception]

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if scope["path"] == "/cycle":
            exc = self.error()
            raise exc from exc
        for message in response(b"next"):
            await send(message)


@pytest.mark.parametrize("error", [RuntimeError, ClientDisconnect])
@pytest.mark.parametrize("spec", PROTOTYPES + UVICORN_HTTP_SERVERS, ids=str)
def test_an_exception_caused_by_itself_is_a_500_then_the_next_is_served(
    serve: Serve,
    server_errors: Errors,
    spec: ServerSpec,
    error: type[Exception],
) -> None:
    """A walk down a chain that loops must end: it froze the server."""
    server = serve(CausedByItself(error), spec)
    assert http1(server.port, "/cycle").status == 500
    assert http1(server.port, "/").body == b"next"
    assert server_errors() == ["Exception in ASGI application\n"]


async def returns_123(scope: Scope, receive: Receive, send: Send) -> int:
    for message in response(b"done"):
        await send(message)
    return 123


@pytest.mark.parametrize("spec", PROTOTYPES + UVICORN_HTTP_SERVERS, ids=str)
def test_uvicorn_still_sees_what_the_app_returned(
    serve: Serve, server_errors: Errors, spec: ServerSpec
) -> None:
    server = serve(cast(ASGIApp, returns_123), spec)
    assert http1(server.port).body == b"done"
    server.call(asyncio.sleep(0))  # uvicorn logs in the turn the app ends
    assert server_errors() == [
        "ASGI callable should return None, but returned '123'."
    ]


async def buggy_cleanup(scope: Scope, receive: Receive, send: Send) -> None:
    """Streams; on a disconnect, its cleanup code has a bug (a KeyError)."""
    sessions: dict[str, str] = {}
    start, chunk = response(b"x")
    await send(start)
    try:
        for _ in range(int(TIMEOUT / DELAY)):
            await send({**chunk, "more_body": True})
            await asyncio.sleep(DELAY)
    except OSError:
        sessions.pop(scope["path"])  # the bug: never stored


@ON_PROTOTYPES
def test_a_bug_in_an_apps_disconnect_handler_is_logged_with_its_traceback(
    serve: Serve,
    server_errors: Errors,
    caplog: pytest.LogCaptureFixture,
    spec: ServerSpec,
) -> None:
    """Only what the disconnect caused is not logged; #3085 logs this."""
    app = Returns(buggy_cleanup)
    server = serve(app, spec)
    assert http1_leave(server.port, "/") is not None
    assert app.wait(TIMEOUT), "the app never returned"
    server.call(asyncio.sleep(0))
    assert server_errors() == ["Exception in ASGI application\n"]
    logged = "\n".join(logging.Formatter().format(record)
                       for record in caplog.records)
    assert "Traceback" in logged
    assert "KeyError: '/'" in logged
    assert "ClientDisconnected" in logged  # what it was handling


@dataclass
class AnswersLate:
    """Request 1 of two pipelined: it reads its request, then waits until
    the test releases it (once the client has gone) to answer."""

    started: threading.Event = field(default_factory=threading.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    raised: list[BaseException] = field(default_factory=list)

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if scope["path"] != "/first":
            return
        await receive()  # uvicorn reads on: it will see the client leave
        self.started.set()
        await self.release.wait()
        try:
            for message in response(b"first"):
                await send(message)
        except BaseException as exc:
            self.raised.append(exc)
            raise


PIPELINED = b"".join(
    f"GET /{path} HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode()
    for path in ("first", "second")
)


@pytest.mark.parametrize("spec", [PROTOTYPES[1], UVICORN_HTTPTOOLS], ids=str)
def test_a_send_is_checked_against_its_own_request_not_the_newest(
    serve: Serve, server_errors: Errors, spec: ServerSpec
) -> None:
    """httptools parses request 2 while request 1 runs; on a disconnect
    uvicorn marks request 2 only: request 1 answers into the void, as
    on stock uvicorn and #3085, rather than raise for request 2."""
    late = AnswersLate()
    app = Returns(late)
    server = serve(app, spec)
    with socket.create_connection((HOST, server.port), TIMEOUT) as sock:
        sock.sendall(PIPELINED)
        assert late.started.wait(TIMEOUT)
        sock.shutdown(socket.SHUT_WR)
        # The server closes in its connection_lost: it has run.
        assert sock.recv(65536) == b""
    server.loop.call_soon_threadsafe(late.release.set)
    assert app.wait(TIMEOUT), "request 1 never returned"
    server.call(asyncio.sleep(0))
    assert late.raised == []
    assert server_errors() == []


@dataclass
class Floods:
    """Sends big chunks to a client that reads none of them."""

    begun: int = 0
    ended: int = 0
    raised_at: int | None = None

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        start, chunk = response(bytes(256 * 1024))
        await send(start)
        try:
            for number in range(1, 200):
                self.begun = number
                await send({**chunk, "more_body": True})
                self.ended = number
        except OSError:
            self.raised_at = self.begun


def waiting_to_drain(server: RunningServer, app: Floods) -> int:
    """The number of the send that waits for the write buffer to drain:
    begun, not ended, and still so after the server's loop turned."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        before = (app.begun, app.ended)
        server.call(asyncio.sleep(0))
        server.call(asyncio.sleep(0))
        if (app.begun, app.ended) == before and app.begun == app.ended + 1:
            return app.begun
    raise AssertionError(f"no send waited to drain in {TIMEOUT} s")


@ON_PROTOTYPES
def test_the_send_waiting_to_drain_when_the_client_leaves_raises(
    serve: Serve, server_errors: Errors, spec: ServerSpec
) -> None:
    """#3085 raises in uvicorn's send, after the drain: the pending send."""
    floods = Floods()
    app = Returns(floods)
    server = serve(app, spec)
    sock, _ = http1_open(server.port)
    with sock:
        pending = waiting_to_drain(server, floods)
    # Closed with unread data: the kernel resets the connection.
    assert app.wait(TIMEOUT), "the app never returned"
    assert floods.raised_at == pending
    server.call(asyncio.sleep(0))
    assert server_errors() == []
