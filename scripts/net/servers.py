"""Real ASGI servers, each on its own event loop in a background thread:
start-up in milliseconds, and the server's loop in reach of a test."""

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, cast

import uvicorn
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig
from hypercorn.typing import Framework
from starlette.types import ASGIApp

from scripts.net.ports import HOST

T = TypeVar("T")
START_TIMEOUT = STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class ServerSpec:
    """How to run one server: its name and its implementation options."""

    id: str
    kind: Literal["uvicorn", "hypercorn"] = "uvicorn"
    options: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.id


@dataclass
class RunningServer:
    """A server listening on 127.0.0.1, with a handle on its event loop;
    once told to stop, ``join()`` waits until it has shut down."""

    spec: ServerSpec
    port: int
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 5.0) -> T:
        """Run ``coro`` on the server's own loop and return its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def join(self) -> None:
        """Wait for the shutdown; a server that does not stop is an error."""
        self.thread.join(STOP_TIMEOUT)
        if self.thread.is_alive():
            raise RuntimeError(f"{self.spec} did not stop in {STOP_TIMEOUT} s")


Stopping = RunningServer  # what its stop function returns: join() waits
Started = tuple[RunningServer, Callable[[], Stopping]]


def start_server(app: ASGIApp, spec: ServerSpec) -> Started:
    """Serve ``app`` on its own thread and loop, on a socket that listens
    already; the function returned only tells it to stop (uvicorn takes
    0.2 s: see ``Stopping``)."""
    sock = socket.create_server((HOST, 0), backlog=128)  # SO_REUSEADDR
    port, loops = sock.getsockname()[1], list[asyncio.AbstractEventLoop]()
    stop_serving = asyncio.Event()  # hypercorn's shutdown trigger
    server = None if spec.kind == "hypercorn" else uvicorn.Server(
        uvicorn.Config(app, lifespan="off", log_config=None,
                       log_level="warning", timeout_graceful_shutdown=1,
                       **spec.options))

    async def run() -> None:
        loops.append(asyncio.get_running_loop())
        if server is not None:
            await server.serve(sockets=[sock])  # which closes ``sock``
            return
        config = HypercornConfig.from_mapping(  # it owns the descriptor
            bind=[f"fd://{sock.detach()}"], graceful_timeout=0.2,
            accesslog=None, errorlog=logging.getLogger("hypercorn.error"))
        await hypercorn_serve(cast(Framework, app), config,
                              shutdown_trigger=stop_serving.wait)

    thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
    thread.name = f"{spec.id} {thread.name}"  # its log lines are known
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not (loops and (server is None or server.started)):
        if not thread.is_alive() or time.monotonic() > deadline:
            problem = (f"did not start in {START_TIMEOUT} s"
                       if thread.is_alive() else "stopped while starting")
            if server is not None:
                server.should_exit = True
            thread.join(STOP_TIMEOUT)
            sock.close()
            raise RuntimeError(f"{spec} {problem}")
        time.sleep(0.005)
    running = RunningServer(spec, port, loops[0], thread)

    def stop() -> RunningServer:
        if server is not None:
            server.should_exit = True
        else:
            running.loop.call_soon_threadsafe(stop_serving.set)
        return running

    return running, stop
