"""The ASGI app the probe serves, one path a feature: what only the app sees
goes as a JSON line, with the query's ``id`` and the machine-wide
``time.monotonic()``, to the events file. Every server under probe imports
it: stdlib and Starlette's types only."""

import asyncio
import json
import os
import time
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EVENTS = "PROBE_EVENTS"
DENIAL_STATUS = 401
DENIAL_BODY = b"Denied by the probe."
DENIAL_HEADERS = [(b"content-type", b"text/plain"), (b"x-probe", b"denied")]
TRAILER_BODY = (b"Hello, ", b"trailers!")
TRAILERS = ((b"x-first", b"one"), (b"x-second", b"two"))


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


async def send_all(
    scope: Scope, send: Send, messages: list[Message], extension: str
) -> None:
    """Send ``messages`` in turn; record how many went, or what failed, and
    whether the server advertises ``extension``."""
    sent: dict[str, Any] = {"sent": len(messages)}
    for count, message in enumerate(messages):
        try:
            await send(message)
        except Exception as exc:  # what the server raised
            sent = {"sent": count, "failed": message["type"],
                    **exception_fields(exc)}
            break
    record(query(scope, "id"),
           advertised=extension in scope.get("extensions", {}), **sent)


def start(status: int, *headers: tuple[bytes, bytes]) -> Message:
    return {"type": "http.response.start", "status": status,
            "headers": list(headers)}


def body(data: bytes, more: bool = False) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more}


async def scope_json(scope: Scope, receive: Receive, send: Send) -> None:
    """The scope's ``asgi`` and extensions as JSON: an HTTP body, or the
    first message of a WebSocket."""
    text = json.dumps({"asgi": scope.get("asgi") or {},
                       "extensions": sorted(scope.get("extensions") or {})},
                      default=str)
    if scope["type"] == "http":
        await send(start(200, (b"content-type", b"application/json")))
        await send(body(text.encode()))
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": text})
    await send({"type": "websocket.close", "code": 1000})


async def trailers(scope: Scope, receive: Receive, send: Send) -> None:
    """Trailers, sent even where the extension is not advertised: ``count``
    messages (1 or 2, default 2) of one field each."""
    sent = TRAILERS[: int(query(scope, "count", len(TRAILERS)))]
    names = b", ".join(name for name, _ in sent)
    head = start(200, (b"content-type", b"text/plain"), (b"trailer", names))
    await send_all(scope, send, [
        {**head, "trailers": True},
        *(body(chunk, more=True) for chunk in TRAILER_BODY), body(b""),
        *({"type": "http.response.trailers", "headers": [trailer],
           "more_trailers": trailer != sent[-1]} for trailer in sent),
    ], "http.response.trailers")


async def disconnect(scope: Scope, receive: Receive, send: Send) -> None:
    """One chunk, then listen: when does ``http.disconnect`` arrive?"""
    probe = query(scope, "id")
    await send(start(200))
    await send(body(b"x", more=True))
    try:
        async with asyncio.timeout(float(query(scope, "seconds", 2))):
            while (message := await receive())["type"] != "http.disconnect":
                pass
        record(probe, disconnect=True, keys=sorted(message))
    except TimeoutError:
        record(probe, disconnect=False)


async def keep_sending(scope: Scope, receive: Receive, send: Send) -> None:
    """Spec 2.4: ``send()`` raises OSError once the client has gone. Send
    until time is up, whatever ``send()`` does; record each send's start
    and outcome."""
    probe, http = query(scope, "id"), scope["type"] == "http"
    if http:
        await send(start(200))
    else:
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
    deadline = time.monotonic() + float(query(scope, "seconds", 1))
    sent: list[float] = []
    raises: list[list[Any]] = []  # [start, exception, is an OSError]
    while (begun := time.monotonic()) < deadline:
        try:
            await send(body(b"x", more=True) if http else {
                "type": "websocket.send", "text": f"tick {len(sent)}"})
        except Exception as exc:  # what the server raised
            fields = exception_fields(exc)
            raises.append([begun, fields["exception"], fields["oserror"]])
        else:
            sent.append(begun)
        await asyncio.sleep(0.02)
    record(probe, sends=sent, raises=raises)


async def ws_deny(scope: Scope, receive: Receive, send: Send) -> None:
    """A 401 denial response, sent even where it is not advertised."""
    await receive()  # websocket.connect
    size = -(-len(DENIAL_BODY) // int(query(scope, "parts", 1)))
    pieces = range(0, len(DENIAL_BODY), size)
    kind = "websocket.http.response"
    await send_all(scope, send, [
        {"type": f"{kind}.start", "status": DENIAL_STATUS,
         "headers": DENIAL_HEADERS},
        *({"type": f"{kind}.body", "body": DENIAL_BODY[i : i + size],
           "more_body": i + size < len(DENIAL_BODY)} for i in pieces),
    ], kind)


async def ws_close(scope: Scope, receive: Receive, send: Send) -> None:
    """Close before accept: the spec says the client gets a 403."""
    await receive()  # websocket.connect
    await send({"type": "websocket.close", "code": 1000})


ROUTES: dict[str, dict[str, ASGIApp]] = {
    "http": {"/scope": scope_json, "/trailers": trailers,
             "/disconnect": disconnect, "/send": keep_sending},
    "websocket": {"/scope": scope_json, "/deny": ws_deny, "/close": ws_close,
                  "/send": keep_sending},
}


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    """Each path of ROUTES; no lifespan."""
    if scope["type"] in ROUTES:
        await ROUTES[scope["type"]][scope["path"]](scope, receive, send)
