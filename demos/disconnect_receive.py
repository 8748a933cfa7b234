"""Run the stream in a task and stop it when ``http.disconnect`` arrives."""

import asyncio

from starlette.types import Receive, Scope, Send

from demos.streaming_response import app as streaming_app


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    async with asyncio.TaskGroup() as group:
        streaming = group.create_task(streaming_app(scope, receive, send))
        # Spec 2.3: http.disconnect arrives when the client leaves,
        # or once the response has been sent.
        while (await receive())["type"] != "http.disconnect":
            pass
        if not streaming.done():
            print("Client disconnected")
            streaming.cancel()
