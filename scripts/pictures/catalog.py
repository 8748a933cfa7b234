"""The code slides' pictures, one ``Code`` a slide: drawn by code_images.py
(and the results under them by transcripts.py) when `make assets` runs."""

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from scripts.common import InputError

HERE = "scripts/pictures/catalog.py"


@dataclass(frozen=True)
class Code:
    """``region`` (``# --8<-- [start:NAME]`` to ``[end:NAME]``) of demo
    ``source`` as ``output``, called ``title``; ``highlight``: lines to band,
    by their text; ``section``: windows of one width; ``min_rows``: rows at
    least; ``result``: texts of rows of the demo's run, drawn under it."""

    output: str
    source: str
    region: str
    title: str
    highlight: tuple[str, ...] = ()
    section: str = ""
    min_rows: int = 0
    result: tuple[str, ...] = ()
    line: int = field(default=0, compare=False, repr=False)  # here

    def __post_init__(self) -> None:
        if not self.line:  # the line of ``Code(`` in the caller
            object.__setattr__(self, "line", sys._getframe(2).f_lineno)

    def fail(self, message: str) -> NoReturn:
        raise InputError(HERE, self.line, message)

    def read(self, root: Path, name: str) -> bytes:
        """The file ``name``, which this entry needs; else fail."""
        try:
            return (root / name).read_bytes()
        except OSError as exc:
            self.fail(f"cannot read {name}: {exc.strerror}")

    def one(self, what: str, where: str, first: int, found: list[int]) -> int:
        """The one index ``found``; else fail: ``what`` must match one
        ``where`` (index 0 is line ``first``)."""
        if len(found) != 1:
            said = ", ".join(str(n + first) for n in found) or "none"
            self.fail(f"{what} must match one {where}; it matches "
                      f"{'lines ' * bool(found)}{said}")
        return found[0]


A = "assets/asgi_innovations"  # the innovations' slides
CODE = (
    Code("assets/asgi.svg", "demos/asgi_app.py", "app",
         "The bare ASGI callable: a scope, a receive channel, a send channel",
         ("async def app(scope: Scope, receive: Receive, send: Send) "
          "-> None:",),
         result=("HTTP/1.1 200 OK", "← body b'Hello, world!'")),
    Code(f"{A}/ws.svg", "demos/ws.py", "app",
         "Closing a WebSocket before accepting it: the client sees a bare 403",
         ("await websocket.close()",), "denial",
         result=("403 Forbidden (handshake refused)", "body: b''")),
    Code(f"{A}/ws_send_denial_response.svg",
         "demos/ws_send_denial_response.py", "app",
         "send_denial_response(): reject a handshake with a full HTTP response",
         ("await websocket.send_denial_response(response)",), "denial",
         result=("401 Unauthorized (handshake refused)",
                 "www-authenticate: Bearer", "body: b'Unauthorized'")),
    Code(f"{A}/ws_http_exception.svg", "demos/ws_http_exception.py", "app",
         "Raising HTTPException in a WebSocket route: the client gets a real "
         "401", ("raise HTTPException(", "status_code=401,"), "denial",
         result=("401 Unauthorized (handshake refused)",
                 "body: b'{\"detail\":\"Unauthorized\"}'")),
    Code(f"{A}/ws_with_token.svg", "demos/ws_with_token.py", "app",
         "Accept a WebSocket only with the right token, else deny it with 401",
         ("if not secrets.compare_digest(token.encode(), TOKEN.encode()):",
          "raise HTTPException("), "denial"),
    Code(f"{A}/content_md5.svg", "demos/content_md5.py", "app",
         "A raw ASGI app streams a body, then trails its Content-MD5",
         ('trailers = "http.response.trailers" in scope.get("extensions", {})',
          '"headers": headers, "trailers": trailers})',
          'await send({"type": "http.response.trailers", "headers": headers})'),
         "trailers"),
    Code(f"{A}/fastapi_trailers.svg", "demos/fastapi_trailers.py", "app",
         "A FastAPI endpoint returns a TrailersResponse with a Content-MD5 "
         "trailer",
         ('trailers = {"content-md5": content_md5}',
          'return TrailersResponse(body(), trailers, media_type="text/plain")'),
         "trailers", result=("content-md5: aGhQ", "content-md5 matches")),
    Code(f"{A}/trailers_response.svg", "demos/trailers_response.py", "send",
         "TrailersResponse.stream_response: the body, then the trailers",
         ("if self.send_trailers:",
          'await send({"type": "http.response.trailers", "headers": headers})'),
         "trailers"),
    Code(f"{A}/streaming_response.svg", "demos/streaming_response.py", "app",
         "A streaming response that never notices its client has left",
         ("# nothing here can tell that the client has left",),
         "disconnection", min_rows=19),  # raise_oserror's: lines at one place
    Code(f"{A}/disconnect_receive.svg", "demos/disconnect_receive.py", "app",
         "Listen for http.disconnect while the stream runs, and cancel it",
         ('while (await receive())["type"] != "http.disconnect":', "pass"),
         "disconnection",
         result=("Hangs up mid-stream", "│ Client disconnected")),
    Code(f"{A}/raise_oserror.svg", "demos/raise_oserror.py", "app",
         "Spec 2.4: send() raises OSError once the client has gone",
         ("try:", "except OSError:"), "disconnection"),
    Code(f"{A}/ws_disconnect.svg", "demos/ws_disconnect.py", "app",
         "Tick until the WebSocket client goes away: WebSocketDisconnect",
         ("except WebSocketDisconnect as exc:",), "disconnection",
         result=("│ Client disconnected (code 1006)", "The app noticed")),
    Code(f"{A}/oserror_protocols.svg", "demos/oserror_protocols.py",
         "prototype", "demos/oserror_protocols.py — uvicorn #3085, prototyped",
         ("if send.__self__.disconnected:  # this request's own cycle",
          "raise ClientDisconnected", 'scope["asgi"]["spec_version"] = "2.5"'),
         "disconnection"),
    Code(f"{A}/oserror_trap.svg", "demos/oserror_protocols.py", "trap",
         "What #3085 swallows: uvicorn's own ClientDisconnected, by type",
         ("return isinstance(exc, ClientDisconnected)  # as #3085's except",),
         "disconnection"),
    Code(f"{A}/oserror_chain.svg", "demos/oserror_protocols.py", "chain",
         "What the prototype swallows: a ClientDisconnect chain back to "
         "ClientDisconnected",
         ("while isinstance(exc, ClientDisconnect) and exc not in seen:",),
         "disconnection"),
    Code(f"{A}/fastapi_streaming.svg", "demos/fastapi_streaming.py", "app",
         "demos/fastapi_streaming.py — a FastAPI stream, the same code on "
         "spec 2.3 and 2.4",
         ('return StreamingResponse(chunks(), media_type="text/plain")',),
         "disconnection"),
)
