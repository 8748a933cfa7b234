"""The probe's clients: what a real client receives on 127.0.0.1.

Each client has a deadline and never raises for what the server does: a
response that never ends, a reset, or a protocol it does not speak are
results, recorded in ``Reply.ending``. HTTP/1.1 (and the WebSocket
handshake) goes through h11, HTTP/2 through h2, an accepted WebSocket
through the ``websockets`` library.
"""

import base64
import os
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h11
from websockets.exceptions import WebSocketException
from websockets.sync.client import connect

HOST = "127.0.0.1"
Headers = list[tuple[str, str]]

# How a reply ended.
COMPLETE = "complete"  # the message ended as its framing says
TIMEOUT = "timeout"  # the deadline passed first: the server hangs
CLOSED = "closed"  # the server closed before the message ended
RESET = "reset"  # the server reset the connection
REFUSED = "refused"  # nothing listens
NOT_SPOKEN = "not spoken"  # the server does not speak this protocol


@dataclass
class Reply:
    """What one client saw: status, headers, body, trailers, and the end."""

    status: int | None = None
    headers: Headers = field(default_factory=list)
    body: bytes = b""
    trailers: Headers = field(default_factory=list)
    ending: str = TIMEOUT
    seconds: float = 0.0
    detail: str = ""

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "headers": [list(pair) for pair in self.headers],
            "body": self.body.decode("utf-8", "replace"),
            "trailers": [list(pair) for pair in self.trailers],
            "ending": self.ending,
            "seconds": round(self.seconds, 4),
            **({"detail": self.detail} if self.detail else {}),
        }


@dataclass(frozen=True)
class Left:
    """When a client left: it said so, and the connection was gone."""

    left: float  # the client closed (HTTP) or sent its close frame
    closed: float  # the connection was over for the client, too


def _decode(headers: Sequence[tuple[bytes, bytes]]) -> Headers:
    return [
        (k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in headers
    ]


def _failure(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, TimeoutError):
        return TIMEOUT, ""
    if isinstance(exc, ConnectionRefusedError):
        return REFUSED, ""
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return RESET, ""
    return CLOSED, f"{type(exc).__name__}: {exc}"[:200]


def http1(
    port: int,
    target: str,
    headers: Headers | None = None,
    timeout: float = 2.0,
) -> Reply:
    """GET ``target`` over HTTP/1.1 and read the whole reply, or until the
    deadline. Handshake headers may be passed: a 101 ends the read."""
    reply = Reply()
    start = time.monotonic()
    deadline = start + timeout
    conn = h11.Connection(h11.CLIENT)
    request = h11.Request(
        method="GET",
        target=target,
        headers=[("host", f"{HOST}:{port}"), *(headers or [])],
    )
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(conn.send(request) + conn.send(h11.EndOfMessage()))
            reply.ending = _read_http1(sock, conn, reply, deadline)
    except (OSError, h11.ProtocolError) as exc:
        reply.ending, reply.detail = _failure(exc)
    reply.seconds = time.monotonic() - start
    return reply


def _read_http1(
    sock: socket.socket, conn: h11.Connection, reply: Reply, deadline: float
) -> str:
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            conn.receive_data(sock.recv(65536))
            continue
        if event is h11.PAUSED:
            return COMPLETE
        if isinstance(event, h11.InformationalResponse):
            reply.status = event.status_code
            reply.headers = _decode(event.headers)
            if event.status_code == 101:
                return COMPLETE
        elif isinstance(event, h11.Response):
            reply.status = event.status_code
            reply.headers = _decode(event.headers)
        elif isinstance(event, h11.Data):
            reply.body += bytes(event.data)
        elif isinstance(event, h11.EndOfMessage):
            reply.trailers = _decode(event.headers)
            return COMPLETE
        elif isinstance(event, h11.ConnectionClosed):
            return CLOSED


def websocket_handshake(port: int, target: str, timeout: float = 2.0) -> Reply:
    """Open a WebSocket handshake and read the HTTP reply to it."""
    key = base64.b64encode(os.urandom(16)).decode()
    headers = [
        ("upgrade", "websocket"),
        ("connection", "Upgrade"),
        ("sec-websocket-key", key),
        ("sec-websocket-version", "13"),
    ]
    return http1(port, target, headers, timeout)


def http2(
    port: int,
    target: str,
    headers: Headers | None = None,
    timeout: float = 2.0,
) -> Reply:
    """GET ``target`` over cleartext HTTP/2 with prior knowledge."""
    reply = Reply()
    start = time.monotonic()
    deadline = start + timeout
    conn = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=True)
    )
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            conn.initiate_connection()
            stream = conn.get_next_available_stream_id()
            conn.send_headers(
                stream,
                [
                    (":method", "GET"),
                    (":scheme", "http"),
                    (":authority", f"{HOST}:{port}"),
                    (":path", target),
                    *(headers or []),
                ],
                end_stream=True,
            )
            sock.sendall(conn.data_to_send())
            reply.ending = _read_http2(sock, conn, reply, deadline)
    except h2.exceptions.H2Error as exc:
        reply.ending = NOT_SPOKEN
        reply.detail = f"{type(exc).__name__}: {exc}"[:200]
    except OSError as exc:
        reply.ending, reply.detail = _failure(exc)
    reply.seconds = time.monotonic() - start
    return reply


def _read_http2(
    sock: socket.socket,
    conn: h2.connection.H2Connection,
    reply: Reply,
    deadline: float,
) -> str:
    spoken = False
    while True:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        data = sock.recv(65536)
        if not data:
            return CLOSED if spoken else NOT_SPOKEN
        for event in conn.receive_data(data):
            spoken = True
            if isinstance(event, h2.events.ResponseReceived):
                fields = _decode(event.headers or [])
                reply.status = int(dict(fields)[":status"])
                reply.headers = [(k, v) for k, v in fields if k[0] != ":"]
            elif isinstance(event, h2.events.DataReceived):
                reply.body += event.data or b""
                conn.acknowledge_received_data(
                    event.flow_controlled_length or 0, event.stream_id or 1
                )
            elif isinstance(event, h2.events.TrailersReceived):
                reply.trailers += _decode(event.headers or [])
            elif isinstance(event, h2.events.StreamEnded):
                return COMPLETE
            elif isinstance(event, h2.events.StreamReset):
                return RESET
        sock.sendall(conn.data_to_send())


def http1_leave(port: int, target: str, timeout: float = 2.0) -> Left | None:
    """GET ``target``, leave after the first body byte; when it left.

    None if no body byte came in time (the probe then has nothing to
    measure).
    """
    conn = h11.Connection(h11.CLIENT)
    request = h11.Request(
        method="GET", target=target, headers=[("host", f"{HOST}:{port}")]
    )
    deadline = time.monotonic() + timeout
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(conn.send(request) + conn.send(h11.EndOfMessage()))
            while True:
                event = conn.next_event()
                if event is h11.NEED_DATA:
                    sock.settimeout(max(deadline - time.monotonic(), 0.001))
                    conn.receive_data(sock.recv(65536))
                elif isinstance(event, h11.Data):
                    break
                elif (
                    isinstance(event, h11.EndOfMessage | h11.ConnectionClosed)
                    or event is h11.PAUSED
                ):
                    return None
            left = time.monotonic()
    except (OSError, h11.ProtocolError):
        return None
    return Left(left, time.monotonic())


def websocket_text(port: int, target: str, timeout: float = 2.0) -> str | None:
    """Connect, return the first text message (None if none came)."""
    try:
        with connect(
            f"ws://{HOST}:{port}{target}",
            open_timeout=timeout,
            close_timeout=0.2,
            proxy=None,
            compression=None,
        ) as client:
            message = client.recv(timeout=timeout)
    except (OSError, WebSocketException):
        return None
    return message if isinstance(message, str) else None


def websocket_leave(
    port: int, target: str, timeout: float = 2.0
) -> Left | None:
    """Connect, take one message, close (code 1000) and go; when it left.

    The close frame is sent at once; the client then waits at most 0.2 s
    for the server's close frame and its end of the TCP connection.
    ``closed`` is when that wait ended: a server that closes its end
    first (as RFC 6455 says a server does) has done so by then.
    """
    left = None
    try:
        with connect(
            f"ws://{HOST}:{port}{target}",
            open_timeout=timeout,
            close_timeout=0.2,
            proxy=None,
            compression=None,
        ) as client:
            client.recv(timeout=timeout)
            left = time.monotonic()
    except (OSError, WebSocketException):
        pass
    return None if left is None else Left(left, time.monotonic())


def reached(port: int, timeout: float) -> bool:
    """Whether something accepts connections on ``port`` within ``timeout``."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A port nothing listens on now (the server binds it next)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return cast(int, sock.getsockname()[1])
