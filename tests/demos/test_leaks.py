"""100 clients leave disconnect_receive mid-stream: nothing is left behind."""

import asyncio
from collections.abc import Iterator

import pytest
from starlette.types import Receive, Scope, Send

from demos import disconnect_receive, streaming_response
from demos.catalog import BY_NAME, DISCONNECTED, SENDING
from scripts.net.clients import TIMEOUT
from scripts.net.servers import ServerSpec
from tests.conftest import Report, Serve, WatchPrints, slide
from tests.demos.conftest import (
    CLIENTS,
    UVICORN_HTTP_SERVERS,
    many_clients,
    settle,
    sockets_on,
    tasks_running,
)

# A pace the clients outrun: each leaves after its first chunk.
pytestmark = pytest.mark.usefixtures("leaky_pace")


@pytest.fixture
def leaky_pace() -> Iterator[None]:
    with BY_NAME["disconnect_receive"].paced(0.05):
        yield


@pytest.mark.parametrize("spec", UVICORN_HTTP_SERVERS, ids=str)
def test_no_task_or_descriptor_outlives_its_client(
    serve: Serve, prints: WatchPrints, figure: Report, spec: ServerSpec
) -> None:
    recorder = prints(disconnect_receive, streaming_response)
    server = serve(disconnect_receive.app, spec)
    tasks, sockets = server.call(tasks_running()), sockets_on(server.port)

    many_clients(server.port)

    where = slide("disconnect_receive")
    assert recorder.wait_for(DISCONNECTED, CLIENTS, TIMEOUT), where
    after = settle(server, tasks, sockets)
    figure(
        "disconnect_receive",
        spec.id,
        f"{CLIENTS} clients left: tasks {tasks} -> {after[0]}, "
        f"sockets on its port {sockets} -> {after[1]}",
    )
    assert after == (tasks, sockets), where
    assert len(recorder.since(0, SENDING)) < CLIENTS * 3, where


def test_the_check_catches_a_leak(serve: Serve, prints: WatchPrints) -> None:
    """An app that forgets a task per request must fail the same check."""
    forgotten: set[asyncio.Task[None]] = set()

    async def leaky(scope: Scope, receive: Receive, send: Send) -> None:
        forgotten.add(asyncio.create_task(asyncio.sleep(60)))
        await disconnect_receive.app(scope, receive, send)

    prints(disconnect_receive, streaming_response)
    server = serve(leaky, UVICORN_HTTP_SERVERS[0])
    tasks, sockets = server.call(tasks_running()), sockets_on(server.port)
    many_clients(server.port)
    assert settle(server, tasks, sockets, timeout=0.5)[0] == tasks + CLIENTS
    for task in forgotten:
        server.loop.call_soon_threadsafe(task.cancel)
