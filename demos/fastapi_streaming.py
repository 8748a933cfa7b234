"""A FastAPI endpoint streams, and logs each chunk: the talk's title demo.

On stock uvicorn (spec 2.3) Starlette stops it through a task listening
for http.disconnect; on a server that raises OSError (spec 2.4) it
stops through that, with no such task. The code is the same.
"""

import asyncio
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.responses import StreamingResponse

DELAY = 0.2  # seconds between chunks

app = FastAPI()


# --8<-- [start:app]
async def chunks() -> AsyncIterator[bytes]:
    for char in "Hello, world!":
        print(f"Sending {char!r}")
        yield char.encode()
        await asyncio.sleep(DELAY)


@app.get("/")
async def stream() -> StreamingResponse:
    return StreamingResponse(chunks(), media_type="text/plain")
# --8<-- [end:app]
