"""Stream until send() raises OSError: the spec 2.4 way to notice."""

import asyncio

from starlette.types import Receive, Scope, Send

# --8<-- [start:app]
DELAY = 0.2  # seconds between chunks


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    try:
        await send({"type": "http.response.start", "status": 200})
        for char in "Hello, world!":
            print(f"Sending {char!r}")
            await send({
                "type": "http.response.body",
                "body": char.encode(),
                "more_body": True,
            })
            await asyncio.sleep(DELAY)
        await send({"type": "http.response.body", "body": b""})
    except OSError:
        print("Client disconnected")
# --8<-- [end:app]
