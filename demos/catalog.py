"""The demos of the talk (module, slide, how to serve it) and their contract
with the tools that run, measure and test them: the lines a demo prints,
and the constant a paced demo sleeps for, changed by ``Demo.paced()`` only."""

import contextlib
import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, NamedTuple

SENDING = "Sending"  # a stream, before each chunk: Sending 'H'
TICK = "Sent tick"  # ws_disconnect, after each tick: Sent tick 1
DISCONNECTED = "Client disconnected"  # once the app noticed its client left
DELAY, INTERVAL = "DELAY", "INTERVAL"  # seconds between chunks, or ticks


class Pace(NamedTuple):
    """The constant of ``module`` a demo sleeps for between its sends."""

    module: str
    constant: str  # DELAY or INTERVAL


@dataclass(frozen=True)
class Demo:
    """``demos/<name>.py``'s ``app``: what it shows on stock uvicorn, and on
    ``--http oserror`` where that differs; the contract's lines it prints."""

    name: str
    slide: str
    summary: str
    transport: Literal["http", "http2", "websocket"]
    path: str = "/"
    server_args: tuple[str, ...] = ()
    pace: Pace | None = None
    prints: tuple[str, ...] = ()
    oserror: str = ""

    @property
    def target(self) -> str:  # what uvicorn is given
        return f"demos.{self.name}:app"

    def seconds(self) -> float:
        """The seconds between its sends, as its module sets them now."""
        assert self.pace, f"{self.name} sends at no set pace"
        module = importlib.import_module(self.pace.module)
        return float(getattr(module, self.pace.constant))

    @contextlib.contextmanager
    def paced(self, seconds: float) -> Iterator[None]:
        """Within the block, its app waits ``seconds`` between its sends
        (in this process): the one way to change a demo's pace."""
        slides = self.seconds()
        assert self.pace
        module = importlib.import_module(self.pace.module)
        setattr(module, self.pace.constant, seconds)
        try:
            yield
        finally:
            setattr(module, self.pace.constant, slides)


HTTP2 = ("--http", "zttp", "--http2")
DENIAL, TRAILERS = "WebSocket Denial Response", "HTTP Trailers"
LEFT = "Client Disconnection"
STREAMING = Pace("demos.streaming_response", DELAY)
DEMOS = (
    Demo("asgi_app", "What is ASGI?",
         "The bare ASGI callable answers a request.", "http"),
    Demo("ws", DENIAL, "Closing before accept: the client sees a bare 403.",
         "websocket", "/ws"),
    Demo("ws_send_denial_response", DENIAL,
         "send_denial_response(): a real 401 with headers and body.",
         "websocket", "/ws"),
    Demo("ws_http_exception", DENIAL,
         "HTTPException(401) before accept becomes a real 401.",
         "websocket", "/ws"),
    Demo("ws_with_token", DENIAL,
         "A token query parameter: right, wrong and missing.",
         "websocket", "/ws"),
    Demo("content_md5", TRAILERS,
         "A raw ASGI app trails the Content-MD5 of its streamed body.",
         "http2", server_args=HTTP2),
    Demo("fastapi_trailers", TRAILERS,
         "A FastAPI endpoint trails Content-MD5 with TrailersResponse.",
         "http2", server_args=HTTP2),
    Demo("streaming_response", LEFT,
         "Streams one byte every 0.2 s and never notices the client left.",
         "http", pace=STREAMING, prints=(SENDING,),
         oserror="Streams one byte every 0.2 s and never checks for the "
         "client: the OSError its next send() raises ends it."),
    # Its stream is streaming_response's app, paced by that module.
    Demo("disconnect_receive", LEFT,
         "Listens for http.disconnect in a second task and stops at once.",
         "http", pace=STREAMING, prints=(SENDING, DISCONNECTED)),
    Demo("raise_oserror", LEFT,
         "Stops when send() raises OSError (spec 2.4), but no HTTP server "
         "raises it: it streams on (try --http oserror).", "http",
         pace=Pace("demos.raise_oserror", DELAY),
         prints=(SENDING, DISCONNECTED),
         oserror="The prototype's send() raises OSError at the next send after "
         "the client left: the app prints 'Client disconnected' and stops."),
    Demo("ws_disconnect", LEFT,
         "Ticks every 10 s; WebSocketDisconnect ends it.", "websocket", "/ws",
         pace=Pace("demos.ws_disconnect", INTERVAL),
         prints=(TICK, DISCONNECTED)),
    Demo("fastapi_streaming", "FastAPI: the same code, zero changes",
         "A FastAPI StreamingResponse below spec 2.4: Starlette adds a task "
         "listening for http.disconnect, which stops the stream at once.",
         "http", pace=Pace("demos.fastapi_streaming", DELAY), prints=(SENDING,),
         oserror="The same code at spec 2.4 or later: Starlette adds no "
         "listener task; the OSError of send() stops the stream at its next "
         "send."),
)
BY_NAME = {demo.name: demo for demo in DEMOS}
PACED = [demo.name for demo in DEMOS if demo.pace]
HTTP1 = [demo.name for demo in DEMOS if demo.transport == "http"]
# --http NAME: uvicorn --http classes for the HTTP/1.1 demos, and what differs.
HTTP_CLASSES = {"oserror": (
    "demos.oserror_protocols:HttpToolsProtocol",
    "the prototype of uvicorn #3085, whose send() raises OSError once the "
    "client has left")}
# The runs on --http that `make transcripts` records too: the slides'.
RECORDED_ON = {"oserror": ("raise_oserror", "fastapi_streaming")}
# The talk's live runs, as typed, in order (each a "Live: ..." in the notes).
LIVE = tuple(f"make demo NAME={run}" for run in (
    "ws_with_token", "content_md5", "streaming_response",
    "raise_oserror HTTP=oserror", "fastapi_streaming",
    "fastapi_streaming HTTP=oserror"))
