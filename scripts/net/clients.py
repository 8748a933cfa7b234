"""Real clients (h11, h2, websockets) for the probe, the bench and the tests.
Each has a deadline and never raises for what the server does: a reply that
never ends, a reset or a protocol not spoken is its ``Reply.ending``."""

import base64
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h11
from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from scripts.net.ports import HOST

TIMEOUT = 5.0
Headers = list[tuple[str, str]]

# How a reply ended.
COMPLETE = "complete"  # the message ended as its framing says
TIMED_OUT = "timeout"  # the deadline passed first: the server hangs
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
    ending: str = TIMED_OUT
    seconds: float = 0.0
    detail: str = ""

    @property
    def complete(self) -> bool:
        return self.ending == COMPLETE

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    def as_json(self) -> dict[str, Any]:
        data = {**asdict(self), "body": self.body.decode("utf-8", "replace"),
                "seconds": round(self.seconds, 4)}
        if not self.detail:
            del data["detail"]
        return data


@dataclass(frozen=True)
class Left:
    """When a client left: it said so, and the connection was gone."""

    left: float  # the client closed (HTTP) or sent its close frame
    closed: float  # the connection was over for the client, too


def _decode(headers: Sequence[tuple[bytes, bytes]]) -> Headers:
    return [(k.decode().lower(), v.decode("latin-1")) for k, v in headers]


def _timed(read: Callable[[Reply, float], str], timeout: float) -> Reply:
    """The reply ``read(reply, deadline)`` fills in, however it ended."""
    reply, start = Reply(), time.monotonic()
    try:
        reply.ending = read(reply, start + timeout)
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


def http1_open(
    port: int, target: str = "/", headers: Headers | None = None,
    timeout: float = TIMEOUT,
) -> tuple[socket.socket, h11.Connection]:
    """Send a GET on a new connection; the caller reads the response."""
    sock = socket.create_connection((HOST, port), timeout=timeout)
    conn = h11.Connection(h11.CLIENT)
    host = [("host", f"{HOST}:{port}"), *(headers or [])]
    request = h11.Request(method="GET", target=target, headers=host)
    sock.sendall(conn.send(request) + conn.send(h11.EndOfMessage()))
    return sock, conn


def _events(
    sock: socket.socket, conn: h11.Connection, deadline: float
) -> Iterator[Any]:
    """h11's events as they come, reading until ``deadline``."""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            conn.receive_data(sock.recv(65536))
        else:
            yield event


def http1(
    port: int, target: str = "/", headers: Headers | None = None,
    timeout: float = TIMEOUT,
) -> Reply:
    """GET ``target`` over HTTP/1.1 until the reply (or a 101) ends."""

    def read(reply: Reply, deadline: float) -> str:
        sock, conn = http1_open(port, target, headers, timeout)
        with sock:
            for event in _events(sock, conn, deadline):
                if event is h11.PAUSED:
                    break
                if isinstance(event, h11.InformationalResponse | h11.Response):
                    reply.status = event.status_code
                    reply.headers = _decode(event.headers)
                    if event.status_code == 101:
                        break
                elif isinstance(event, h11.Data):
                    reply.body += bytes(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    reply.trailers = _decode(event.headers)
                    break
                elif isinstance(event, h11.ConnectionClosed):
                    return CLOSED
        return COMPLETE

    return _timed(read, timeout)


def websocket_handshake(port: int, target: str, timeout: float) -> Reply:
    """Open a WebSocket handshake and read the HTTP reply to it."""
    key = base64.b64encode(os.urandom(16)).decode()
    headers = [("upgrade", "websocket"), ("connection", "Upgrade"),
               ("sec-websocket-key", key), ("sec-websocket-version", "13")]
    return http1(port, target, headers, timeout)


def http1_leave(
    port: int, target: str, timeout: float = TIMEOUT, read: int = 1
) -> Left | None:
    """GET ``target``, leave after ``read`` body bytes; when it left (None
    if they did not come in time: then there is nothing to measure)."""
    got = 0
    try:
        sock, conn = http1_open(port, target, timeout=timeout)
        with sock:
            for event in _events(sock, conn, time.monotonic() + timeout):
                if isinstance(event, h11.Data):
                    got += len(event.data)
                    if got >= read:
                        break
                elif event is h11.PAUSED or isinstance(
                    event, h11.EndOfMessage | h11.ConnectionClosed
                ):
                    return None
            left = time.monotonic()
    except (OSError, h11.ProtocolError):
        return None
    return Left(left, time.monotonic())


def raw_exchange(port: int, request: bytes, timeout: float = TIMEOUT) -> bytes:
    """Send ``request`` as is and read until the server closes the socket."""
    received = bytearray()
    with socket.create_connection((HOST, port), timeout) as sock:
        sock.sendall(request)
        while data := sock.recv(65536):
            received += data
    return bytes(received)


def http2(
    port: int, target: str = "/", headers: Headers | None = None,
    timeout: float = TIMEOUT,
) -> Reply:
    """GET ``target`` over cleartext HTTP/2 with prior knowledge."""

    def read(reply: Reply, deadline: float) -> str:
        conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True)
        )
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            conn.initiate_connection()
            conn.send_headers(1, [
                (":method", "GET"), (":scheme", "http"),
                (":authority", f"{HOST}:{port}"), (":path", target),
                *(headers or []),
            ], end_stream=True)
            spoken = False
            while True:
                sock.sendall(conn.data_to_send())
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                if not (data := sock.recv(65536)):
                    return CLOSED if spoken else NOT_SPOKEN
                for event in conn.receive_data(data):
                    spoken = True
                    if ending := _http2_event(conn, event, reply):
                        return ending

    return _timed(read, timeout)


def _http2_event(
    conn: h2.connection.H2Connection, event: h2.events.Event, reply: Reply
) -> str:
    """Take in one event; how the reply ended, if it did."""
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
    return COMPLETE if isinstance(event, h2.events.StreamEnded) else (
        RESET if isinstance(event, h2.events.StreamReset) else ""
    )


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


def websocket_leave(
    port: int, target: str, timeout: float = TIMEOUT, read: int = 1
) -> Left | None:
    """Connect, take ``read`` messages, close (1000), go: when it left, and
    when the server's close frame and TCP close came (0.2 s at most)."""
    left = None
    try:
        with _websocket(port, target, timeout) as client:
            for _ in range(read):
                client.recv(timeout=timeout)
            left = time.monotonic()
    except (OSError, WebSocketException):
        pass
    return None if left is None else Left(left, time.monotonic())
