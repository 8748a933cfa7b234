"""100 clients leave disconnect_receive mid-stream: nothing is left behind."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from starlette.types import Receive, Scope, Send

from demos import disconnect_receive, streaming_response
from tests.conftest import Report, Serve, WatchPrints, slide
from tests.servers import UVICORN_HTTP_SERVERS, RunningServer, ServerSpec
from tests.wire import TIMEOUT

CLIENTS = 100
CONCURRENCY = 20


async def tasks_running() -> int:
    """How many tasks the server's event loop has (this one included)."""
    return len(asyncio.all_tasks())


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


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
    server: RunningServer, tasks: int, fds: int, timeout: float = 5
) -> tuple[int, int]:
    """Wait for tasks and descriptors to fall back to a baseline."""
    deadline = time.monotonic() + timeout
    while True:
        now = server.call(tasks_running()), open_fds()
        settled = now[0] <= tasks and now[1] <= fds
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
    tasks, fds = server.call(tasks_running()), open_fds()

    asyncio.run(many_clients(server.port))

    where = slide("disconnect_receive")
    assert recorder.wait_for("Client disconnected", CLIENTS, TIMEOUT), where
    after = settle(server, tasks, fds)
    figure(
        "disconnect_receive",
        spec.id,
        f"{CLIENTS} clients left: tasks {tasks} -> {after[0]}, "
        f"descriptors {fds} -> {after[1]}",
    )
    assert after == (tasks, fds), where
    assert len(recorder.since(0, "Sending")) < CLIENTS * 3, where


def test_the_check_catches_a_leak(serve: Serve, prints: WatchPrints) -> None:
    """An app that forgets a task per request must fail the same check."""
    forgotten: set[asyncio.Task[None]] = set()

    async def leaky(scope: Scope, receive: Receive, send: Send) -> None:
        forgotten.add(asyncio.create_task(asyncio.sleep(60)))
        await disconnect_receive.app(scope, receive, send)

    prints(disconnect_receive, streaming_response)
    server = serve(leaky, UVICORN_HTTP_SERVERS[0])
    tasks, fds = server.call(tasks_running()), open_fds()
    asyncio.run(many_clients(server.port))
    assert settle(server, tasks, fds, timeout=0.5)[0] == tasks + CLIENTS
    for task in forgotten:
        server.loop.call_soon_threadsafe(task.cancel)
