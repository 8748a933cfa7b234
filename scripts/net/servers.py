"""Real ASGI servers, each run on its own event loop in a background thread.

Running in-process keeps start-up at a few milliseconds, lets a test shorten
a demo's delays through its module constant, and lets the leak check look
inside the server's event loop. The servers still speak to real clients
over real sockets on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

import uvicorn
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig
from hypercorn.typing import Framework
from starlette.types import ASGIApp

T = TypeVar("T")

START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class ServerSpec:
    """How to run one server: its name and its implementation options."""

    id: str
    kind: Literal["uvicorn", "hypercorn"]
    options: dict[str, Any] = field(default_factory=dict)
    http2: bool = False

    def __str__(self) -> str:
        return self.id


UVICORN_H11 = ServerSpec("uvicorn-h11", "uvicorn", {"http": "h11"})
UVICORN_HTTPTOOLS = ServerSpec(
    "uvicorn-httptools", "uvicorn", {"http": "httptools"}
)
UVICORN_ZTTP_H2 = ServerSpec(
    "uvicorn-zttp-h2", "uvicorn", {"http": "zttp", "http2": True}, http2=True
)
UVICORN_WEBSOCKETS = ServerSpec(
    "uvicorn-websockets", "uvicorn", {"ws": "websockets"}
)
UVICORN_WEBSOCKETS_SANSIO = ServerSpec(
    "uvicorn-websockets-sansio", "uvicorn", {"ws": "websockets-sansio"}
)
UVICORN_WSPROTO = ServerSpec("uvicorn-wsproto", "uvicorn", {"ws": "wsproto"})
HYPERCORN = ServerSpec("hypercorn", "hypercorn", http2=True)

HTTP1_SERVERS = (UVICORN_H11, UVICORN_HTTPTOOLS, UVICORN_ZTTP_H2, HYPERCORN)
HTTP2_SERVERS = (UVICORN_ZTTP_H2, HYPERCORN)
UVICORN_HTTP_SERVERS = (UVICORN_H11, UVICORN_HTTPTOOLS)
UVICORN_WS_SERVERS = (
    UVICORN_WEBSOCKETS,
    UVICORN_WEBSOCKETS_SANSIO,
    UVICORN_WSPROTO,
)
WS_SERVERS = (*UVICORN_WS_SERVERS, HYPERCORN)


@dataclass
class RunningServer:
    """A server listening on 127.0.0.1, with a handle on its event loop."""

    spec: ServerSpec
    port: int
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 5.0) -> T:
        """Run ``coro`` on the server's own loop and return its result."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout)


@dataclass
class Stopping:
    """A server told to stop, whose thread ends once it has shut down."""

    spec: ServerSpec
    thread: threading.Thread

    def join(self) -> None:
        """Wait for the shutdown; a server that does not stop is an error."""
        self.thread.join(STOP_TIMEOUT)
        if self.thread.is_alive():
            raise RuntimeError(f"{self.spec} did not stop in {STOP_TIMEOUT} s")


Started = tuple[RunningServer, Callable[[], Stopping]]


def listening_socket() -> socket.socket:
    """A socket bound to a free port on 127.0.0.1, ready to accept."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


def start_server(app: ASGIApp, spec: ServerSpec) -> Started:
    """Serve ``app`` with ``spec``; the function returned tells it to stop.

    Stopping only signals: uvicorn takes 0.2 s to wind down, which the
    caller can wait for later, all servers at once (see ``Stopping``).
    """
    starter = _start_uvicorn if spec.kind == "uvicorn" else _start_hypercorn
    return starter(app, spec)


@contextlib.contextmanager
def run_server(app: ASGIApp, spec: ServerSpec) -> Iterator[RunningServer]:
    """Serve ``app`` with ``spec`` until the block ends, then stop it."""
    server, stop = start_server(app, spec)
    try:
        yield server
    finally:
        stop().join()


_serial = itertools.count(1)


def _thread(
    spec: ServerSpec, serve: Callable[[], Coroutine[Any, Any, None]]
) -> threading.Thread:
    """A thread running ``serve``, named uniquely so its log lines are known."""
    return threading.Thread(
        target=lambda: asyncio.run(serve()),
        name=f"{spec.id}-{next(_serial)}",
        daemon=True,
    )


def _start_uvicorn(app: ASGIApp, spec: ServerSpec) -> Started:
    sock = listening_socket()
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        log_level="warning",
        timeout_graceful_shutdown=1,
        **spec.options,
    )
    server = uvicorn.Server(config)
    loops: list[asyncio.AbstractEventLoop] = []

    async def serve() -> None:
        loops.append(asyncio.get_running_loop())
        await server.serve(sockets=[sock])

    def stop() -> Stopping:
        server.should_exit = True  # uvicorn closes the socket it was given
        return Stopping(spec, thread)

    thread = _thread(spec, serve)
    thread.start()
    try:
        _wait_until(lambda: server.started, thread, spec)
    except RuntimeError:
        stop().join()
        sock.close()
        raise
    return RunningServer(spec, sock.getsockname()[1], loops[0], thread), stop


def _start_hypercorn(app: ASGIApp, spec: ServerSpec) -> Started:
    sock = listening_socket()
    config = HypercornConfig()
    # Hypercorn takes ownership of the descriptor it is given: give it a copy.
    config.bind = [f"fd://{os.dup(sock.fileno())}"]
    config.graceful_timeout = 0.2
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")
    started = threading.Event()
    loops: list[asyncio.AbstractEventLoop] = []
    stop_serving: list[asyncio.Event] = []

    async def serve() -> None:
        loops.append(asyncio.get_running_loop())
        stop_serving.append(asyncio.Event())
        started.set()
        framework = cast(Framework, app)
        try:
            await hypercorn_serve(
                framework, config, shutdown_trigger=stop_serving[0].wait
            )
        finally:
            sock.close()

    def stop() -> Stopping:
        if loops:
            loops[0].call_soon_threadsafe(stop_serving[0].set)
        return Stopping(spec, thread)

    thread = _thread(spec, serve)
    thread.start()
    try:
        _wait_until(lambda: started.is_set() and _accepts(sock), thread, spec)
    except RuntimeError:
        stop().join()
        raise
    return RunningServer(spec, sock.getsockname()[1], loops[0], thread), stop


def _accepts(sock: socket.socket) -> bool:
    address = sock.getsockname()
    with contextlib.suppress(OSError), socket.create_connection(address, 1):
        return True
    return False


def _wait_until(
    ready: Callable[[], bool], thread: threading.Thread, spec: ServerSpec
) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if not thread.is_alive():
            raise RuntimeError(f"{spec} stopped while starting")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{spec} did not start in {START_TIMEOUT} s")
        time.sleep(0.005)
