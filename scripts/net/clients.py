"""Real clients (h11, h2, websockets) on exchanges.py's exchanges, each with
a deadline: what the server does (a reply that never ends, a reset, a
protocol not spoken) is its ``Reply.ending``, never an exception."""

import base64
import contextlib
import os
import socket
import time
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import h2.exceptions
import h11
from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from scripts.net.exchanges import (
    CLOSED,
    NOT_SPOKEN,
    RESET,
    Body,
    Exchange,
    Head,
    Headers,
    Http1,
    Http2,
    Trailers,
)
from scripts.net.ports import HOST

TIMEOUT = 5.0
# How a reply ended, besides the exchanges' endings.
TIMED_OUT = "timeout"  # the deadline passed first: the server hangs
REFUSED = "refused"  # nothing listens
LEFT = "left"  # the client hung up, as asked (http1_leave)


@dataclass
class Reply:
    """What one client saw: status, headers, body, trailers, and the end."""

    status: int | None = None
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    trailers: Headers = field(default_factory=list)
    ending: str = TIMED_OUT
    seconds: float = 0.0
    detail: str = ""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    def as_json(self) -> dict[str, Any]:
        data = {**asdict(self), "body": self.body.decode("utf-8", "replace"),
                "seconds": round(self.seconds, 4)}
        return {k: v for k, v in data.items() if v or k != "detail"}


class Left(NamedTuple):
    """When a client left: it said so, and the connection was gone."""

    left: float  # the client closed (HTTP) or sent its close frame
    closed: float  # the connection was over for the client, too


def _get(port: int, exchange: Exchange, timeout: float,
         leave: int | None = None) -> Reply:
    """The reply to ``exchange`` on a new connection, however it ended; with
    ``leave``, the client hangs up once that many body bytes came (LEFT)."""
    reply, start = Reply(), time.monotonic()
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            reply.ending = _read(sock, exchange, reply, start + timeout, leave)
    except (TimeoutError, ConnectionRefusedError) as exc:
        reply.ending = TIMED_OUT if isinstance(exc, TimeoutError) else REFUSED
    except (ConnectionResetError, BrokenPipeError):
        reply.ending = RESET
    except (OSError, h11.ProtocolError, h2.exceptions.H2Error) as exc:
        spoken = not isinstance(exc, h2.exceptions.H2Error)
        reply.ending = CLOSED if spoken else NOT_SPOKEN
        reply.detail = f"{type(exc).__name__}: {exc}"[:200]
    reply.seconds = time.monotonic() - start
    return reply


def _read(sock: socket.socket, exchange: Exchange, reply: Reply,
          deadline: float, leave: int | None) -> str:
    """Send the request, fill ``reply`` in as its parts come: its ending."""
    data = exchange.start()
    while True:
        sock.sendall(data)
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        found, data = exchange.receive(sock.recv(65536))
        for part in found:
            if isinstance(part, Head):
                reply.status, reply.headers = part.status, part.headers
            elif isinstance(part, Body):
                reply.body += part.data
            elif isinstance(part, Trailers):
                reply.trailers += part.headers
            else:
                return part.ending
            if leave is not None and len(reply.body) >= leave:
                return LEFT


def http1(port: int, target: str = "/", headers: Headers | None = None,
          timeout: float = TIMEOUT) -> Reply:
    """GET ``target`` over HTTP/1.1 until the reply (or a 101) ends."""
    return _get(port, Http1(f"{HOST}:{port}", target, headers), timeout)


def http2(port: int, target: str = "/", headers: Headers | None = None,
          timeout: float = TIMEOUT) -> Reply:
    """GET ``target`` over cleartext HTTP/2 with prior knowledge."""
    return _get(port, Http2(f"{HOST}:{port}", target, headers), timeout)


def http1_leave(port: int, target: str, timeout: float = TIMEOUT,
                read: int = 1) -> Left | None:
    """GET ``target``, hang up after ``read`` body bytes: when it left (None
    if they did not come in time: then there is nothing to measure)."""
    reply = _get(port, Http1(f"{HOST}:{port}", target), timeout, read)
    now = time.monotonic()  # the socket closed as the client left
    return Left(now, now) if reply.ending == LEFT else None


def websocket_handshake(port: int, target: str, timeout: float) -> Reply:
    """Open a WebSocket handshake and read the HTTP reply to it."""
    key = base64.b64encode(os.urandom(16)).decode()
    headers = [("upgrade", "websocket"), ("connection", "Upgrade"),
               ("sec-websocket-key", key), ("sec-websocket-version", "13")]
    return http1(port, target, headers, timeout)


def _websocket(port: int, target: str, timeout: float) -> ClientConnection:
    return connect(
        f"ws://{HOST}:{port}{target}", open_timeout=timeout,
        close_timeout=0.2, proxy=None, compression=None,
    )


def websocket_text(port: int, target: str, timeout: float) -> str | None:
    """Connect, return the first text message (None if none came)."""
    try:
        with _websocket(port, target, timeout) as client:
            message = client.recv(timeout=timeout)
    except (OSError, WebSocketException):
        return None
    return message if isinstance(message, str) else None


def websocket_leave(port: int, target: str, timeout: float = TIMEOUT,
                    read: int = 1) -> Left | None:
    """Connect, take ``read`` messages, close (1000), go: when it left, and
    when the server's close frame and TCP close came (0.2 s at most)."""
    left = None
    with contextlib.suppress(OSError, WebSocketException), _websocket(
        port, target, timeout
    ) as client:
        for _ in range(read):
            client.recv(timeout=timeout)
        left = time.monotonic()
    return None if left is None else Left(left, time.monotonic())
