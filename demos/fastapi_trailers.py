"""A FastAPI endpoint that streams a body and trails its Content-MD5."""

import base64
import hashlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from demos.trailers_response import TrailersResponse

CHUNKS = [b"Hello, ", b"FastAPI ", b"trailers!\n"]

app = FastAPI()


# --8<-- [start:app]
@app.get("/")
async def download() -> TrailersResponse:
    md5 = hashlib.md5()

    async def body() -> AsyncIterator[bytes]:
        for chunk in CHUNKS:
            md5.update(chunk)
            yield chunk

    def content_md5() -> str:
        return base64.b64encode(md5.digest()).decode()

    trailers = {"content-md5": content_md5}
    return TrailersResponse(body(), trailers, media_type="text/plain")
# --8<-- [end:app]
