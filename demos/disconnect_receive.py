"""Run the stream in a task and stop it when http.disconnect arrives."""

import asyncio

from starlette.types import Receive, Scope, Send

from demos.streaming_response import app as streaming_app


# --8<-- [start:app]
async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    async with asyncio.TaskGroup() as group:
        stream = group.create_task(streaming_app(scope, receive, send))
        # http.disconnect arrives when the client leaves,
        # or once the response has been sent (every spec version).
        while (await receive())["type"] != "http.disconnect":
            pass
        if not stream.done():
            print("Client disconnected")
            stream.cancel()
# --8<-- [end:app]
