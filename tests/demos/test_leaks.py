"""100 clients leave disconnect_receive mid-stream: nothing is left behind."""

from __future__ import annotations

import asyncio
import time

import psutil
import pytest
from starlette.types import Receive, Scope, Send

from demos import disconnect_receive, streaming_response
from scripts.net.clients import TIMEOUT
from scripts.net.servers import UVICORN_HTTP_SERVERS, RunningServer, ServerSpec
from tests.conftest import Report, Serve, WatchPrints, slide

CLIENTS = 100
CONCURRENCY = 20


async def tasks_running() -> int:
    """How many tasks the server's event loop has (this one included)."""
    return len(asyncio.all_tasks())


def sockets_on(port: int) -> int:
    """This process's TCP sockets on ``port``: the server's, not the worker's.

    Counting every descriptor of the process would also count whatever
    else the test worker opens meanwhile.
    """
    return sum(
        1
        for connection in psutil.Process().net_connections(kind="tcp")
        if connection.laddr and connection.laddr.port == port
    )


async def leave_mid_stream(port: int, limit: asyncio.Semaphore) -> None:
    async with limit:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port), TIMEOUT
        )
        writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        assert head.startswith(b"HTTP/1.1 200")
        await asyncio.wait_for(reader.read(1), TIMEOUT)  # the first chunk
        writer.close()
        await asyncio.wait_for(writer.wait_closed(), TIMEOUT)


async def many_clients(port: int) -> None:
    limit = asyncio.Semaphore(CONCURRENCY)
    async with asyncio.TaskGroup() as group:
        for _ in range(CLIENTS):
            group.create_task(leave_mid_stream(port, limit))


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


@pytest.mark.parametrize("spec", UVICORN_HTTP_SERVERS, ids=str)
def test_no_task_or_descriptor_outlives_its_client(
    serve: Serve,
    prints: WatchPrints,
    figure: Report,
    monkeypatch: pytest.MonkeyPatch,
    spec: ServerSpec,
) -> None:
    monkeypatch.setattr(streaming_response, "DELAY", 0.05)
    recorder = prints(disconnect_receive, streaming_response)
    server = serve(disconnect_receive.app, spec)
    tasks, sockets = server.call(tasks_running()), sockets_on(server.port)

    asyncio.run(many_clients(server.port))

    where = slide("disconnect_receive")
    assert recorder.wait_for("Client disconnected", CLIENTS, TIMEOUT), where
    after = settle(server, tasks, sockets)
    figure(
        "disconnect_receive",
        spec.id,
        f"{CLIENTS} clients left: tasks {tasks} -> {after[0]}, "
        f"sockets on its port {sockets} -> {after[1]}",
    )
    assert after == (tasks, sockets), where
    assert len(recorder.since(0, "Sending")) < CLIENTS * 3, where


def test_the_check_catches_a_leak(serve: Serve, prints: WatchPrints) -> None:
    """An app that forgets a task per request must fail the same check."""
    forgotten: set[asyncio.Task[None]] = set()

    async def leaky(scope: Scope, receive: Receive, send: Send) -> None:
        forgotten.add(asyncio.create_task(asyncio.sleep(60)))
        await disconnect_receive.app(scope, receive, send)

    prints(disconnect_receive, streaming_response)
    server = serve(leaky, UVICORN_HTTP_SERVERS[0])
    tasks, sockets = server.call(tasks_running()), sockets_on(server.port)
    asyncio.run(many_clients(server.port))
    assert settle(server, tasks, sockets, timeout=0.5)[0] == tasks + CLIENTS
    for task in forgotten:
        server.loop.call_soon_threadsafe(task.cancel)
