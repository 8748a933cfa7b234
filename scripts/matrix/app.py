"""The ASGI app the support-matrix probe serves on every real server.

Each path exercises one feature. What only the app can see (the scope, an
exception raised by ``send()``, when ``http.disconnect`` arrived) is
appended as one JSON line to the file named by ``PROBE_EVENTS``, tagged
with the probe's ``id`` from the query string and stamped with
``time.monotonic()``, which every process on the machine shares. What the
client sees on the wire is the probe's business (scripts/matrix/cells.py).

HTTP paths:
    /scope          the scope's ``asgi`` and ``extensions``, as JSON
    /trailers       two body chunks, then two trailers messages
    /disconnect     one chunk, then wait for ``http.disconnect``
    /send           a chunk every ``interval`` s for ``seconds`` s, each
                    send's start and outcome recorded
WebSocket paths:
    /scope          accept, send the scope as JSON, close
    /deny           a 401 denial response, its body in ``parts`` messages
    /close          close before accept
    /send           accept, optionally ``burst`` bytes at once, then a
                    message every ``interval`` s, as above
"""

import asyncio
import json
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Args = dict[str, str]
Handler = Callable[[Scope, Receive, Send, Args], Awaitable[None]]

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
    path = os.environ.get(EVENTS)
    if not path:
        return
    line = {"id": probe, "at": time.monotonic(), **fields}
    data = (json.dumps(line, default=repr) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def exception_fields(exc: BaseException) -> dict[str, Any]:
    """How an exception raised by ``send()`` is recorded."""
    kind = type(exc)
    return {
        "exception": f"{kind.__module__}.{kind.__qualname__}",
        "oserror": isinstance(exc, OSError),
        "message": str(exc)[:200],
    }


async def send_all(
    send: Send, messages: list[Message], probe: str, advertised: bool
) -> None:
    """Send ``messages`` in turn; record how many went, or what failed."""
    for sent, message in enumerate(messages):
        try:
            await send(message)
        except Exception as exc:  # what the server raised
            record(probe, advertised=advertised, sent=sent,
                   failed=message["type"], **exception_fields(exc))
            return
    record(probe, advertised=advertised, sent=len(messages))


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
        handler = HTTP.get(scope["path"], not_found)
    elif scope["type"] == "websocket":
        handler = WEBSOCKET.get(scope["path"], ws_close)
    else:
        return  # lifespan: nothing to set up
    raw = scope.get("query_string", b"").decode("latin-1")
    args = {key: values[-1] for key, values in parse_qs(raw).items()}
    await handler(scope, receive, send, args)


# -- HTTP -------------------------------------------------------------------


def start(status: int, *headers: tuple[bytes, bytes]) -> Message:
    return {"type": "http.response.start", "status": status,
            "headers": list(headers)}


def body(data: bytes, more: bool = False) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


async def not_found(
    scope: Scope, receive: Receive, send: Send, args: Args
) -> None:
    await send(start(404))
    await send(body(b""))


async def http_scope(
    scope: Scope, receive: Receive, send: Send, args: Args
) -> None:
    await send(start(200, (b"content-type", b"application/json")))
    await send(body(json.dumps(scope_fields(scope)).encode()))


async def trailers(
    scope: Scope, receive: Receive, send: Send, args: Args
) -> None:
    """Trailers, sent even where the extension is not advertised.

    The client learns from the wire what reached it; the app records
    whether the extension was advertised and what its sends raised.
    """
    advertised = "http.response.trailers" in scope.get("extensions", {})
    names = b", ".join(name for name, _ in TRAILERS)
    head = start(200, (b"content-type", b"text/plain"), (b"trailer", names))
    messages: list[Message] = [
        {**head, "trailers": True},
        *(body(chunk, more=True) for chunk in TRAILER_BODY),
        body(b""),
        *({"type": "http.response.trailers", "headers": [trailer],
           "more_trailers": index < len(TRAILERS) - 1}
          for index, trailer in enumerate(TRAILERS)),
    ]
    await send_all(send, messages, args.get("id", ""), advertised)


async def disconnect(
    scope: Scope, receive: Receive, send: Send, args: Args
) -> None:
    """One chunk, then listen: when does ``http.disconnect`` arrive?"""
    probe = args.get("id", "")
    await send(start(200))
    await send(body(b"x", more=True))
    try:
        async with asyncio.timeout(float(args.get("seconds", 2))):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    record(probe, disconnect=True, keys=sorted(message))
                    return
    except TimeoutError:
        record(probe, disconnect=False)


async def keep_sending(
    args: Args, send_one: Callable[[int], Awaitable[None]]
) -> None:
    """Send until time is up, whatever ``send()`` does; record every send.

    A send that raises does not stop the app: a server may raise only in
    a window (daphne, inside the closing handshake) and drop sends after
    it, so the probe needs every send's start time and outcome. The first
    raise is also recorded at once, as ``{probe}.raised``, for a client
    that waits for it.
    """
    probe = args.get("id", "")
    interval = float(args.get("interval", 0.02))
    deadline = time.monotonic() + min(float(args.get("seconds", 1)),
                                      MAX_SECONDS)
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


async def http_send(
    scope: Scope, receive: Receive, send: Send, args: Args
) -> None:
    """Spec 2.4: ``send()`` raises OSError once the client has gone."""
    await send(start(200))

    async def chunk(number: int) -> None:
        await send(body(b"x", more=True))

    await keep_sending(args, chunk)


HTTP: dict[str, Handler] = {
    "/scope": http_scope,
    "/trailers": trailers,
    "/disconnect": disconnect,
    "/send": http_send,
}


# -- WebSocket --------------------------------------------------------------


async def ws_scope(
    scope: Scope, receive: Receive, send: Send, args: Args
) -> None:
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    text = json.dumps(scope_fields(scope))
    await send({"type": "websocket.send", "text": text})
    await send({"type": "websocket.close", "code": 1000})


async def ws_deny(
    scope: Scope, receive: Receive, send: Send, args: Args
) -> None:
    """A 401 denial response, sent even where it is not advertised."""
    parts = max(1, int(args.get("parts", 1)))
    advertised = "websocket.http.response" in scope.get("extensions", {})
    await receive()  # websocket.connect
    size = -(-len(DENIAL_BODY) // parts)
    pieces = [DENIAL_BODY[i : i + size]
              for i in range(0, len(DENIAL_BODY), size)]
    messages: list[Message] = [
        {"type": "websocket.http.response.start", "status": DENIAL_STATUS,
         "headers": DENIAL_HEADERS},
        *({"type": "websocket.http.response.body", "body": piece,
           "more_body": index < len(pieces) - 1}
          for index, piece in enumerate(pieces)),
    ]
    await send_all(send, messages, args.get("id", ""), advertised)


async def ws_close(
    scope: Scope, receive: Receive, send: Send, args: Args
) -> None:
    """Close before accept: the spec says the client gets a 403."""
    await receive()  # websocket.connect
    await send({"type": "websocket.close", "code": 1000})


async def ws_send(
    scope: Scope, receive: Receive, send: Send, args: Args
) -> None:
    """Spec 2.4 on WebSockets: ``send()`` raises once the client left."""
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    burst = min(int(args.get("burst", 0)), MAX_BURST)
    # A burst first, for a client that does not read: the server's buffers
    # fill. In messages of at most 256 KiB (daphne refuses over 1 MiB).
    for begin in range(0, burst, BURST_MESSAGE):
        size = min(BURST_MESSAGE, burst - begin)
        await send({"type": "websocket.send", "bytes": b"b" * size})

    async def message(number: int) -> None:
        await send({"type": "websocket.send", "text": f"tick {number}"})

    await keep_sending(args, message)


WEBSOCKET: dict[str, Handler] = {
    "/scope": ws_scope,
    "/deny": ws_deny,
    "/close": ws_close,
    "/send": ws_send,
}
