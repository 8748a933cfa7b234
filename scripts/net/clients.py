"""Real clients for the wire tests: h11, h2 and raw sockets, all with timeouts.

The clients are deliberately small and independent of the demos' own runner,
so that a test checks the server with something other than the code it
tests.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import cast

import h2.config
import h2.connection
import h2.events
import h11

TIMEOUT = 5.0
Headers = list[tuple[str, str]]


@dataclass
class Response:
    """What a client saw: status, headers, body chunks and trailers."""

    status: int = 0
    headers: Headers = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    trailers: Headers = field(default_factory=list)
    complete: bool = False

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def header(self, name: str) -> str | None:
        """The value of the first header called ``name``, if any."""
        return next((v for k, v in self.headers if k == name), None)


def _decode(headers: Sequence[tuple[bytes, bytes]]) -> Headers:
    return [(k.decode().lower(), v.decode()) for k, v in headers]


@dataclass
class Http1Stream:
    """An HTTP/1.1 exchange driven by h11 that yields events as they come."""

    sock: socket.socket
    conn: h11.Connection

    def events(self) -> Iterator[h11.Event]:
        while True:
            event = self.conn.next_event()
            if event is h11.NEED_DATA:
                self.conn.receive_data(self.sock.recv(65536))
                continue
            # PAUSED only follows EndOfMessage, where this stops.
            yield cast(h11.Event, event)
            if isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                return


def http1_open(
    port: int,
    path: str = "/",
    headers: Headers | None = None,
    timeout: float = TIMEOUT,
) -> Http1Stream:
    """Send a GET on a new connection; the caller reads the response."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    conn = h11.Connection(h11.CLIENT)
    request = h11.Request(
        method="GET",
        target=path,
        headers=[("host", f"127.0.0.1:{port}"), *(headers or [])],
    )
    sock.sendall(conn.send(request) + conn.send(h11.EndOfMessage()))
    return Http1Stream(sock, conn)


def http1_get(
    port: int,
    path: str = "/",
    headers: Headers | None = None,
    timeout: float = TIMEOUT,
) -> Response:
    """GET ``path`` over HTTP/1.1 and read the whole response.

    A read that times out leaves ``complete`` false, so that a test can
    assert on a body the server never finished.
    """
    stream = http1_open(port, path, headers, timeout)
    response = Response()
    with stream.sock:
        try:
            for event in stream.events():
                _collect_http1(event, response)
        except TimeoutError:
            pass
    return response


def _collect_http1(event: h11.Event, response: Response) -> None:
    if isinstance(event, h11.Response):
        response.status = event.status_code
        response.headers = _decode(event.headers)
    elif isinstance(event, h11.Data):
        response.chunks.append(bytes(event.data))
    elif isinstance(event, h11.EndOfMessage):
        response.trailers = _decode(event.headers)
        response.complete = True


def http2_get(
    port: int,
    path: str = "/",
    headers: Headers | None = None,
    timeout: float = TIMEOUT,
) -> Response:
    """GET ``path`` over cleartext HTTP/2 with prior knowledge."""
    config = h2.config.H2Configuration(client_side=True)
    conn = h2.connection.H2Connection(config=config)
    response = Response()
    with socket.create_connection(("127.0.0.1", port), timeout) as sock:
        conn.initiate_connection()
        stream_id = conn.get_next_available_stream_id()
        conn.send_headers(
            stream_id,
            [
                (":method", "GET"),
                (":scheme", "http"),
                (":authority", f"127.0.0.1:{port}"),
                (":path", path),
                *(headers or []),
            ],
            end_stream=True,
        )
        sock.sendall(conn.data_to_send())
        ended = False
        while not ended and (data := sock.recv(65536)):
            for event in conn.receive_data(data):
                ended |= _collect_http2(event, conn, response)
            sock.sendall(conn.data_to_send())
    return response


def _collect_http2(
    event: h2.events.Event,
    conn: h2.connection.H2Connection,
    response: Response,
) -> bool:
    """Record ``event``; true once the stream has ended or been reset."""
    if isinstance(event, h2.events.ResponseReceived):
        headers = _decode(event.headers or [])
        response.status = int(dict(headers)[":status"])
        response.headers = [(k, v) for k, v in headers if k[0] != ":"]
    elif isinstance(event, h2.events.DataReceived):
        response.chunks.append(event.data or b"")
        conn.acknowledge_received_data(
            event.flow_controlled_length or 0, event.stream_id or 1
        )
    elif isinstance(event, h2.events.TrailersReceived):
        response.trailers = _decode(event.headers or [])
    elif isinstance(event, h2.events.StreamEnded):
        response.complete = True
    return isinstance(event, h2.events.StreamEnded | h2.events.StreamReset)


def raw_exchange(port: int, request: bytes, timeout: float = TIMEOUT) -> bytes:
    """Send ``request`` as is and read until the server closes the socket."""
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout) as sock:
        sock.sendall(request)
        while data := sock.recv(65536):
            received += data
    return bytes(received)
