"""Stream a body, then send its MD5 digest as an HTTP trailer (RFC 1864)."""

import base64
import hashlib

from starlette.types import Receive, Scope, Send

CHUNKS = [b"Hello, ", b"trailers", b"!\n"]


# --8<-- [start:app]
async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    trailers = "http.response.trailers" in scope.get("extensions", {})
    headers = [(b"trailer", b"content-md5")] if trailers else []
    await send({"type": "http.response.start", "status": 200,
                "headers": headers, "trailers": trailers})
    md5 = hashlib.md5()
    for chunk in CHUNKS:
        md5.update(chunk)
        await send({"type": "http.response.body", "body": chunk,
                    "more_body": True})
    await send({"type": "http.response.body", "body": b""})
    if trailers:
        digest = base64.b64encode(md5.digest())
        headers = [(b"content-md5", digest)]
        await send({"type": "http.response.trailers", "headers": headers})
# --8<-- [end:app]
