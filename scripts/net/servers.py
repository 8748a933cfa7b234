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


UVICORN = ServerSpec("uvicorn", "uvicorn")  # its defaults: httptools, ...
UVICORN_H11 = ServerSpec("uvicorn-h11", "uvicorn", {"http": "h11"})
UVICORN_HTTPTOOLS = ServerSpec("uvicorn-httptools", "uvicorn",
                               {"http": "httptools"})
UVICORN_ZTTP_H2 = ServerSpec("uvicorn-zttp-h2", "uvicorn",
                             {"http": "zttp", "http2": True}, http2=True)
UVICORN_WEBSOCKETS = ServerSpec("uvicorn-websockets", "uvicorn",
                                {"ws": "websockets"})
UVICORN_WEBSOCKETS_SANSIO = ServerSpec("uvicorn-websockets-sansio", "uvicorn",
                                       {"ws": "websockets-sansio"})
UVICORN_WSPROTO = ServerSpec("uvicorn-wsproto", "uvicorn", {"ws": "wsproto"})
HYPERCORN = ServerSpec("hypercorn", "hypercorn", http2=True)

HTTP1_SERVERS = (UVICORN_H11, UVICORN_HTTPTOOLS, UVICORN_ZTTP_H2, HYPERCORN)
HTTP2_SERVERS = (UVICORN_ZTTP_H2, HYPERCORN)
UVICORN_HTTP_SERVERS = (UVICORN_H11, UVICORN_HTTPTOOLS)
UVICORN_WS_SERVERS = (
    UVICORN_WEBSOCKETS, UVICORN_WEBSOCKETS_SANSIO, UVICORN_WSPROTO,
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


@contextlib.contextmanager
def run_server(app: ASGIApp, spec: ServerSpec) -> Iterator[RunningServer]:
    """Serve ``app`` with ``spec`` until the block ends, then stop it."""
    server, stop = start_server(app, spec)
    try:
        yield server
    finally:
        stop().join()


_serial = itertools.count(1)
Serve = Callable[[], Coroutine[Any, Any, None]]
# How to serve on a socket: the coroutine, how to stop it, whether it is up.
Parts = tuple[Serve, Callable[[], None], Callable[[], bool]]


def start_server(app: ASGIApp, spec: ServerSpec) -> Started:
    """Serve ``app`` with ``spec`` on its own thread and loop; the function
    returned tells it to stop.

    Stopping only signals: uvicorn takes 0.2 s to wind down, which the
    caller can wait for later, all servers at once (see ``Stopping``).
    """
    sock = listening_socket()
    loops: list[asyncio.AbstractEventLoop] = []
    parts = _uvicorn if spec.kind == "uvicorn" else _hypercorn
    serve, stop, ready = parts(app, spec, sock, loops)

    async def run() -> None:
        loops.append(asyncio.get_running_loop())
        await serve()

    def stopping() -> Stopping:
        stop()
        return Stopping(spec, thread)

    # Named uniquely, so that its log lines are known.
    name = f"{spec.id}-{next(_serial)}"
    thread = threading.Thread(target=lambda: asyncio.run(run()), name=name,
                              daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not (loops and ready()):
        problem = (
            "stopped while starting" if not thread.is_alive()
            else f"did not start in {START_TIMEOUT} s"
            if time.monotonic() > deadline else ""
        )
        if problem:
            stopping().join()
            sock.close()
            raise RuntimeError(f"{spec} {problem}")
        time.sleep(0.005)
    port = sock.getsockname()[1]
    return RunningServer(spec, port, loops[0], thread), stopping


def _uvicorn(
    app: ASGIApp, spec: ServerSpec, sock: socket.socket,
    loops: list[asyncio.AbstractEventLoop],
) -> Parts:
    config = uvicorn.Config(app, lifespan="off", log_config=None,
                            log_level="warning", timeout_graceful_shutdown=1,
                            **spec.options)
    server = uvicorn.Server(config)

    def stop() -> None:
        server.should_exit = True  # uvicorn closes the socket it was given

    return lambda: server.serve(sockets=[sock]), stop, lambda: server.started


def _hypercorn(
    app: ASGIApp, spec: ServerSpec, sock: socket.socket,
    loops: list[asyncio.AbstractEventLoop],
) -> Parts:
    config = HypercornConfig()
    # Hypercorn takes ownership of the descriptor it is given: give it a copy.
    config.bind = [f"fd://{os.dup(sock.fileno())}"]
    config.graceful_timeout = 0.2
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")
    stop_serving = asyncio.Event()

    async def serve() -> None:
        try:
            await hypercorn_serve(cast(Framework, app), config,
                                  shutdown_trigger=stop_serving.wait)
        finally:
            sock.close()

    def stop() -> None:
        if loops:
            loops[0].call_soon_threadsafe(stop_serving.set)

    def ready() -> bool:
        with contextlib.suppress(OSError):
            socket.create_connection(sock.getsockname(), 1).close()
            return True
        return False

    return serve, stop, ready
