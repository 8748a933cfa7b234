"""A StreamingResponse that sends trailers computed while it streams."""

from collections.abc import AsyncIterable, Callable, Mapping

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send


class TrailersResponse(StreamingResponse):
    """Stream ``content``, then send one trailer per ``trailers`` entry.

    Each value is called once the body is sent, so it can report on it.
    Trailers are announced and sent only if the server supports them.
    """

    def __init__(
        self,
        content: AsyncIterable[bytes],
        trailers: Mapping[str, Callable[[], str]],
        media_type: str | None = None,
    ) -> None:
        super().__init__(content, media_type=media_type)
        self.trailers = trailers
        self.send_trailers = False

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        extensions = scope.get("extensions", {})
        self.send_trailers = "http.response.trailers" in extensions
        if self.send_trailers:
            self.headers["trailer"] = ", ".join(self.trailers)
        await super().__call__(scope, receive, send)

    async def stream_response(self, send: Send) -> None:
        await send({
            "type": "http.response.start",
            "status": self.status_code,
            "headers": self.raw_headers,
            "trailers": self.send_trailers,
        })
        # --8<-- [start:send]
        async for chunk in self.body_iterator:
            if isinstance(chunk, str):
                chunk = chunk.encode(self.charset)
            await send({
                "type": "http.response.body",
                "body": chunk,
                "more_body": True,
            })
        await send({"type": "http.response.body", "body": b""})
        if self.send_trailers:
            headers = [
                (name.encode(), value().encode())
                for name, value in self.trailers.items()
            ]
            await send({"type": "http.response.trailers", "headers": headers})
        # --8<-- [end:send]
