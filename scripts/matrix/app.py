"""The ASGI app the probe serves on every server: one path a feature. What only
the app sees is appended as a JSON line to the file PROBE_EVENTS names, with
the query's ``id`` and ``time.monotonic()`` (machine-wide)."""

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVENTS = "PROBE_EVENTS"
DENIAL_STATUS = 401
DENIAL_BODY = b"Denied by the probe."
DENIAL_HEADERS = [(b"content-type", b"text/plain"), (b"x-probe", b"denied")]
TRAILER_BODY = (b"Hello, ", b"trailers!")
TRAILERS = ((b"x-first", b"one"), (b"x-second", b"two"))
MAX_SECONDS = 10.0  # no stream of this app outlives this
MAX_BURST = 64 * 1024 * 1024  # bytes: the largest burst of /send
BURST_MESSAGE = 256 * 1024  # bytes: a burst's messages at most


def record(probe: str, **fields: Any) -> None:
    """Append one observation to the events file (one write: atomic)."""
    if path := os.environ.get(EVENTS):
        line = {"id": probe, "at": time.monotonic(), **fields}
        with open(path, "ab", buffering=0) as file:
            file.write((json.dumps(line, default=repr) + "\n").encode())


def query(scope: Scope, name: str, default: object = "") -> str:
    raw: bytes = scope.get("query_string", b"")
    return parse_qs(raw.decode("latin-1")).get(name, [str(default)])[-1]


def exception_fields(exc: BaseException) -> dict[str, Any]:
    kind = type(exc)
    return {"exception": f"{kind.__module__}.{kind.__qualname__}",
            "oserror": isinstance(exc, OSError), "message": str(exc)[:200]}


def in_parts(kind: str, pieces: Iterable[Message], more: str) -> list[Message]:
    """One ``kind`` message a piece, ``more`` true on all but the last."""
    found = list(pieces)
    return [{"type": kind, **piece, more: index < len(found) - 1}
            for index, piece in enumerate(found)]


async def send_all(
    scope: Scope, send: Send, messages: list[Message], extension: str
) -> None:
    """Send ``messages`` in turn; record how many went, or what failed."""
    advertised = extension in scope.get("extensions", {})
    for sent, message in enumerate(messages):
        try:
            await send(message)
        except Exception as exc:  # what the server raised
            record(query(scope, "id"), advertised=advertised, sent=sent,
                   failed=message["type"], **exception_fields(exc))
            return
    record(query(scope, "id"), advertised=advertised, sent=len(messages))


def scope_fields(scope: Scope) -> dict[str, Any]:
    asgi = scope.get("asgi") or {}
    return {
        "type": scope["type"],
        "asgi": {key: str(value) for key, value in asgi.items()},
        "spec_version": asgi.get("spec_version"),
        "extensions": sorted(scope.get("extensions") or {}),
        "http_version": scope.get("http_version"),
    }


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "http":
        await HTTP.get(scope["path"], not_found)(scope, receive, send)
    elif scope["type"] == "websocket":
        await WEBSOCKET.get(scope["path"], ws_close)(scope, receive, send)


def start(status: int, *headers: tuple[bytes, bytes]) -> Message:
    return {"type": "http.response.start", "status": status,
            "headers": list(headers)}


def body(data: bytes, more: bool = False) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    await send(start(404))
    await send(body(b""))


async def http_scope(scope: Scope, receive: Receive, send: Send) -> None:
    await send(start(200, (b"content-type", b"application/json")))
    await send(body(json.dumps(scope_fields(scope)).encode()))


async def trailers(scope: Scope, receive: Receive, send: Send) -> None:
    """Trailers, sent even where the extension is not advertised: ``count``
    messages (1 or 2, default 2) of one field each."""
    count = int(query(scope, "count", len(TRAILERS)))
    sent = TRAILERS[: min(max(count, 1), len(TRAILERS))]
    names = b", ".join(name for name, _ in sent)
    head = start(200, (b"content-type", b"text/plain"), (b"trailer", names))
    messages: list[Message] = [
        {**head, "trailers": True},
        *(body(chunk, more=True) for chunk in TRAILER_BODY), body(b""),
        *in_parts("http.response.trailers",
                  ({"headers": [trailer]} for trailer in sent),
                  "more_trailers"),
    ]
    await send_all(scope, send, messages, "http.response.trailers")


async def disconnect(scope: Scope, receive: Receive, send: Send) -> None:
    """One chunk, then listen: when does ``http.disconnect`` arrive?"""
    probe = query(scope, "id")
    await send(start(200))
    await send(body(b"x", more=True))
    try:
        async with asyncio.timeout(float(query(scope, "seconds", 2))):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    record(probe, disconnect=True, keys=sorted(message))
                    return
    except TimeoutError:
        record(probe, disconnect=False)


async def keep_sending(
    scope: Scope, send_one: Callable[[int], Awaitable[None]]
) -> None:
    """Send until time is up, whatever ``send()`` does; record each send's
    start and outcome, and the first raise at once, as ``{id}.raised``."""
    probe = query(scope, "id")
    interval = float(query(scope, "interval", 0.02))
    seconds = min(float(query(scope, "seconds", 1)), MAX_SECONDS)
    deadline = time.monotonic() + seconds
    sent: list[float] = []
    raises: list[list[Any]] = []  # [start, exception, is an OSError]
    first: dict[str, Any] = {}
    while time.monotonic() < deadline:
        begun = time.monotonic()
        try:
            await send_one(len(sent) + len(raises))
        except Exception as exc:  # what the server raised
            fields = exception_fields(exc)
            if not first:
                first = {"at": begun, **fields}
                record(f"{probe}.raised", **first)
            raises.append([begun, fields["exception"], fields["oserror"]])
        else:
            sent.append(begun)
        await asyncio.sleep(interval)
    record(probe, raised=bool(first), sends=sent, raises=raises,
           first_raise=first or None,
           **{k: v for k, v in first.items() if k != "at"})


async def http_send(scope: Scope, receive: Receive, send: Send) -> None:
    """Spec 2.4: ``send()`` raises OSError once the client has gone."""
    await send(start(200))
    await keep_sending(scope, lambda number: send(body(b"x", more=True)))


HTTP: dict[str, ASGIApp] = {
    "/scope": http_scope, "/trailers": trailers,
    "/disconnect": disconnect, "/send": http_send,
}


async def ws_scope(scope: Scope, receive: Receive, send: Send) -> None:
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    text = json.dumps(scope_fields(scope))
    await send({"type": "websocket.send", "text": text})
    await send({"type": "websocket.close", "code": 1000})


async def ws_deny(scope: Scope, receive: Receive, send: Send) -> None:
    """A 401 denial response, sent even where it is not advertised."""
    await receive()  # websocket.connect
    size = -(-len(DENIAL_BODY) // max(1, int(query(scope, "parts", 1))))
    pieces = range(0, len(DENIAL_BODY), size)
    messages: list[Message] = [
        {"type": "websocket.http.response.start", "status": DENIAL_STATUS,
         "headers": DENIAL_HEADERS},
        *in_parts("websocket.http.response.body",
                  ({"body": DENIAL_BODY[i : i + size]} for i in pieces),
                  "more_body"),
    ]
    await send_all(scope, send, messages, "websocket.http.response")


async def ws_close(scope: Scope, receive: Receive, send: Send) -> None:
    """Close before accept: the spec says the client gets a 403."""
    await receive()  # websocket.connect
    await send({"type": "websocket.close", "code": 1000})


async def ws_send(scope: Scope, receive: Receive, send: Send) -> None:
    """Spec 2.4 on WebSockets: ``send()`` raises once the client left."""
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    burst = min(int(query(scope, "burst", 0)), MAX_BURST)
    # A burst first, for a client that does not read: the server's buffers
    # fill. In messages of at most 256 KiB (daphne refuses over 1 MiB).
    for begin in range(0, burst, BURST_MESSAGE):
        size = min(BURST_MESSAGE, burst - begin)
        await send({"type": "websocket.send", "bytes": b"b" * size})
    await keep_sending(
        scope, lambda n: send({"type": "websocket.send", "text": f"tick {n}"})
    )


WEBSOCKET: dict[str, ASGIApp] = {
    "/scope": ws_scope, "/deny": ws_deny, "/close": ws_close, "/send": ws_send,
}
