"""The apps the disconnect benchmark serves (scripts/bench/disconnect.py).

1. The WebSocket equivalents of the three HTTP patterns of the slides
   (demos/streaming_response.py, demos/disconnect_receive.py and
   demos/raise_oserror.py): send only, listen for ``websocket.disconnect``,
   catch ``OSError``. Like the demos, they print one line per message sent
   and "Client disconnected" when they notice.
2. "Many small streams" for the throughput measurement: a Starlette
   ``StreamingResponse`` and a FastAPI streaming endpoint, each served as is
   (uvicorn says spec 2.3: Starlette runs a task that listens for
   ``http.disconnect``) and behind ``force_spec`` (spec 2.4: Starlette
   relies on ``send()`` raising OSError instead).
"""

import asyncio
from collections.abc import AsyncIterator, MutableMapping
from typing import Any

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

DELAY = 0.2  # seconds between messages, as in the HTTP demos
TEXT = "Hello, world!"


# -- 1. The three patterns on a WebSocket -----------------------------------


async def ws_send_only(scope: Scope, receive: Receive, send: Send) -> None:
    """Like streaming_response: send, never look at the client."""
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    for char in TEXT:
        print(f"Sending {char!r}")
        await send({"type": "websocket.send", "text": char})
        await asyncio.sleep(DELAY)
    await send({"type": "websocket.close", "code": 1000})


async def ws_listen(scope: Scope, receive: Receive, send: Send) -> None:
    """Like disconnect_receive: stream in a task, stop on disconnect."""
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})

    async def stream() -> None:
        for char in TEXT:
            print(f"Sending {char!r}")
            await send({"type": "websocket.send", "text": char})
            await asyncio.sleep(DELAY)
        await send({"type": "websocket.close", "code": 1000})

    async with asyncio.TaskGroup() as group:
        streaming = group.create_task(stream())
        while (await receive())["type"] != "websocket.disconnect":
            pass
        if not streaming.done():
            print("Client disconnected")
            streaming.cancel()


async def ws_raise_oserror(scope: Scope, receive: Receive, send: Send) -> None:
    """Like raise_oserror: stop when ``send()`` raises OSError."""
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    try:
        for char in TEXT:
            print(f"Sending {char!r}")
            await send({"type": "websocket.send", "text": char})
            await asyncio.sleep(DELAY)
        await send({"type": "websocket.close", "code": 1000})
    except OSError:
        print("Client disconnected")


# -- 2. Many small streams --------------------------------------------------

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


def force_spec(app: ASGIApp, version: str = "2.4") -> ASGIApp:
    """Serve ``app`` as if the server spoke ASGI spec ``version``."""

    async def forced(scope: Scope, receive: Receive, send: Send) -> None:
        scope = dict(scope)
        scope["asgi"] = {**scope.get("asgi", {}), "spec_version": version}
        await app(scope, receive, send)

    return forced


# The variants, by the query string that picks one: ?variant=NAME.
VARIANTS: dict[str, ASGIApp] = {
    "starlette-2.3": starlette_app,
    "starlette-2.4": force_spec(starlette_app),
    "fastapi-2.3": fastapi_app,
    "fastapi-2.4": force_spec(fastapi_app),
}
_BY_QUERY = {f"variant={name}".encode(): app for name, app in VARIANTS.items()}
_MISSING = PlainTextResponse("no such variant", status_code=404)


async def throughput_app(
    scope: MutableMapping[str, Any], receive: Receive, send: Send
) -> None:
    """``/stream?variant=NAME``: one of VARIANTS."""
    if scope["type"] != "http":
        return
    app = _BY_QUERY.get(scope.get("query_string", b""), _MISSING)
    await app(scope, receive, send)
