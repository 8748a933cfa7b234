"""The apps the disconnect benchmark serves: the WebSocket twins of the slides'
three HTTP patterns, printing as the demos do, and many small streams from
Starlette and FastAPI, at the spec version of the server serving them."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

DELAY = 0.2  # seconds between messages, as in the HTTP demos
TEXT = "Hello, world!"


def accepted(pattern: Callable[[Receive, Send], Awaitable[None]]) -> ASGIApp:
    """A WebSocket app that accepts, then runs ``pattern``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.accept"})
            await pattern(receive, send)

    return app


async def stream(send: Send) -> None:
    for char in TEXT:
        print(f"Sending {char!r}")
        await send({"type": "websocket.send", "text": char})
        await asyncio.sleep(DELAY)
    await send({"type": "websocket.close", "code": 1000})


@accepted
async def ws_send_only(receive: Receive, send: Send) -> None:
    """Like streaming_response: send, never look at the client."""
    await stream(send)


@accepted
async def ws_listen(receive: Receive, send: Send) -> None:
    """Like disconnect_receive: stream in a task, stop on disconnect."""
    async with asyncio.TaskGroup() as group:
        streaming = group.create_task(stream(send))
        while (await receive())["type"] != "websocket.disconnect":
            pass
        if not streaming.done():
            print("Client disconnected")
            streaming.cancel()


@accepted
async def ws_raise_oserror(receive: Receive, send: Send) -> None:
    """Like raise_oserror: stop when ``send()`` raises OSError."""
    try:
        await stream(send)
    except OSError:
        print("Client disconnected")


CHUNKS = 10  # chunks per response
CHUNK = b"x" * 31 + b"\n"


async def chunks() -> AsyncIterator[bytes]:
    for _ in range(CHUNKS):
        yield CHUNK


async def starlette_stream(request: Request) -> StreamingResponse:
    return StreamingResponse(chunks(), media_type="text/plain")


starlette_app = Starlette(routes=[Route("/stream", starlette_stream)])
fastapi_app = FastAPI()


@fastapi_app.get("/stream")
async def fastapi_stream() -> StreamingResponse:
    return StreamingResponse(chunks(), media_type="text/plain")


# The frameworks, by the query string that picks one: ?NAME.
FRAMEWORKS = {"starlette": starlette_app, "fastapi": fastapi_app}
_BY_QUERY = {name.encode(): app for name, app in FRAMEWORKS.items()}
_MISSING = PlainTextResponse("no such framework", status_code=404)


async def throughput_app(scope: Scope, receive: Receive, send: Send) -> None:
    """``/stream?NAME``: one of FRAMEWORKS; ``/spec``: the spec_version."""
    if scope["type"] == "http":
        app = _BY_QUERY.get(scope.get("query_string", b""), _MISSING)
        if scope["path"] == "/spec":
            app = PlainTextResponse(scope["asgi"].get("spec_version", "2.0"))
        await app(scope, receive, send)
