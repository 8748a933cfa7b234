"""One GET per protocol, sans I/O, on h11's and h2's state machines, for
clients.py and the runner's: ``start()`` gives the bytes to send,
``receive(data)`` (b"": the server closed) the parts of the reply that
came and the bytes to send back."""

from collections.abc import Sequence
from typing import NamedTuple

import h2.config
import h2.connection
import h2.events
import h11

Headers = list[tuple[str, str]]
# How a reply ended (its clients add theirs).
COMPLETE = "complete"  # the message ended as its framing says
CLOSED = "closed"  # the server closed before the message ended
RESET = "reset"  # the server reset the connection (or the stream)
NOT_SPOKEN = "not spoken"  # the server does not speak this protocol


class Head(NamedTuple):
    version: str  # "1.1", "2"
    status: int
    reason: str  # HTTP/2 has none: ""
    headers: Headers  # no pseudo-header


class Body(NamedTuple):
    data: bytes


class Trailers(NamedTuple):
    headers: Headers


class End(NamedTuple):
    ending: str


Part = Head | Body | Trailers | End


def decode(headers: Sequence[tuple[bytes, bytes]]) -> Headers:
    return [(k.decode().lower(), v.decode("latin-1")) for k, v in headers]


class Http1:
    """GET ``target`` over HTTP/1.1 (h11), to the end of the reply or a 101;
    h11.ProtocolError for a reply that breaks HTTP/1.1."""

    protocol = "HTTP/1.1"

    def __init__(self, authority: str, target: str = "/",
                 headers: Headers | None = None) -> None:
        self.authority, self.target = authority, target
        self.headers, self.conn = headers or [], h11.Connection(h11.CLIENT)

    def start(self) -> bytes:
        fields = [("host", self.authority), *self.headers]
        request = h11.Request(method="GET", target=self.target, headers=fields)
        return self.conn.send(request) + self.conn.send(h11.EndOfMessage())

    def receive(self, data: bytes) -> tuple[list[Part], bytes]:
        self.conn.receive_data(data)
        parts: list[Part] = []
        while (event := self.conn.next_event()) is not h11.NEED_DATA:
            if isinstance(event, h11.InformationalResponse | h11.Response):
                parts.append(Head(event.http_version.decode(),
                                  event.status_code, event.reason.decode(),
                                  decode(event.headers)))
                if event.status_code == 101:
                    return [*parts, End(COMPLETE)], b""
            elif isinstance(event, h11.Data):
                parts.append(Body(bytes(event.data)))
            else:  # the end of the message, or of the connection
                if isinstance(event, h11.EndOfMessage) and event.headers:
                    parts.append(Trailers(decode(event.headers)))
                closed = isinstance(event, h11.ConnectionClosed)
                return [*parts, End(CLOSED if closed else COMPLETE)], b""
        return parts, b""


class Http2:
    """GET ``target`` over cleartext HTTP/2 with prior knowledge (h2), on
    stream 1; h2.exceptions.H2Error for what is not HTTP/2."""

    protocol = "HTTP/2"

    def __init__(self, authority: str, target: str = "/",
                 headers: Headers | None = None) -> None:
        self.authority, self.target = authority, target
        self.headers, self.spoken = headers or [], False
        config = h2.config.H2Configuration(client_side=True)
        self.conn = h2.connection.H2Connection(config)

    def start(self) -> bytes:
        self.conn.initiate_connection()
        self.conn.send_headers(1, [
            (":method", "GET"), (":scheme", "http"),
            (":authority", self.authority), (":path", self.target),
            *self.headers,
        ], end_stream=True)
        return self.conn.data_to_send()

    def receive(self, data: bytes) -> tuple[list[Part], bytes]:
        if not data:
            return [End(CLOSED if self.spoken else NOT_SPOKEN)], b""
        parts: list[Part] = []
        for event in self.conn.receive_data(data):
            self.spoken = True
            if isinstance(event, h2.events.ResponseReceived):
                fields = decode(event.headers or [])
                heads = [(k, v) for k, v in fields if k[0] != ":"]
                parts.append(Head("2", int(dict(fields)[":status"]), "", heads))
            elif isinstance(event, h2.events.DataReceived):
                parts.append(Body(event.data or b""))
                self.conn.acknowledge_received_data(
                    event.flow_controlled_length or 0, event.stream_id or 1
                )
            elif isinstance(event, h2.events.TrailersReceived):
                parts.append(Trailers(decode(event.headers or [])))
            elif isinstance(event, h2.events.StreamEnded):
                return [*parts, End(COMPLETE)], self.conn.data_to_send()
            elif isinstance(event, h2.events.StreamReset):
                return [*parts, End(RESET)], self.conn.data_to_send()
        return parts, self.conn.data_to_send()

    def close(self) -> bytes:
        """The GOAWAY that ends the connection politely."""
        self.conn.close_connection()
        return self.conn.data_to_send()


Exchange = Http1 | Http2
