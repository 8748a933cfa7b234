"""Stream "Hello, world!" one byte at a time, logging every chunk."""

import asyncio

from starlette.types import Receive, Scope, Send

# --8<-- [start:app]
DELAY = 0.2  # seconds between chunks


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    # nothing here can tell that the client has left
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
# --8<-- [end:app]
