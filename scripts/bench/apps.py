"""The apps the disconnect benchmark serves besides the demos: the WebSocket
twins of the slides' three HTTP patterns, printing and paced as
streaming_response (the demos' contract, demos/catalog.py), and many small
streams from Starlette and FastAPI, at the spec version of their server."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from demos import streaming_response
from demos.catalog import DISCONNECTED, SENDING

TEXT = "Hello, world!"
CHUNKS, CHUNK = 10, b"x" * 31 + b"\n"  # a throughput response's chunks


def accepted(pattern: Callable[[Receive, Send], Awaitable[None]]) -> ASGIApp:
    """A WebSocket app that accepts, then runs ``pattern``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        await pattern(receive, send)

    return app


async def stream(send: Send) -> None:
    for char in TEXT:
        print(f"{SENDING} {char!r}")
        await send({"type": "websocket.send", "text": char})
        await asyncio.sleep(streaming_response.DELAY)
    await send({"type": "websocket.close", "code": 1000})


# Like streaming_response: send, never look at the client.
ws_send_only = accepted(lambda receive, send: stream(send))


@accepted
async def ws_listen(receive: Receive, send: Send) -> None:
    """Like disconnect_receive: stream in a task, stop on disconnect."""
    async with asyncio.TaskGroup() as group:
        streaming = group.create_task(stream(send))
        while (await receive())["type"] != "websocket.disconnect":
            pass
        if not streaming.done():
            print(DISCONNECTED)
            streaming.cancel()


@accepted
async def ws_raise_oserror(receive: Receive, send: Send) -> None:
    """Like raise_oserror: stop when ``send()`` raises OSError."""
    try:
        await stream(send)
    except OSError:
        print(DISCONNECTED)


async def chunks() -> AsyncIterator[bytes]:
    for _ in range(CHUNKS):
        yield CHUNK


async def streamed(request: Request) -> StreamingResponse:
    return StreamingResponse(chunks(), media_type="text/plain")


FRAMEWORKS: dict[str, ASGIApp] = {  # by the query string: /stream?NAME
    "starlette": Starlette(routes=[Route("/stream", streamed)]),
    "fastapi": FastAPI(routes=[APIRoute("/stream", streamed)]),  # a GET
}


async def throughput_app(scope: Scope, receive: Receive, send: Send) -> None:
    """``/stream?NAME``: one of FRAMEWORKS; ``/spec``: the spec_version."""
    if scope["path"] == "/spec":  # no lifespan: HTTP only
        spec = scope["asgi"].get("spec_version", "2.0")
        await PlainTextResponse(spec)(scope, receive, send)
    else:
        framework = FRAMEWORKS[scope["query_string"].decode()]
        await framework(scope, receive, send)
