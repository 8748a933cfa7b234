"""The bare ASGI callable: a scope, a receive channel and a send channel."""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

# --8<-- [start:app]
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    await send({
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"text/plain")],
    })
    await send({"type": "http.response.body", "body": b"Hello, world!"})
# --8<-- [end:app]
