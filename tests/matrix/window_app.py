"""The probe's app as tests/matrix/test_cells.py serves it on daphne: on a
WebSocket, once accepted, a ``burst`` of bytes (in messages of 256 KiB:
daphne refuses one over 1 MiB) fills the buffers of a client that does not
read; the first send that raises is recorded at once, as ``{id}.raised``."""

import time
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from scripts.matrix.app import app as probe_app
from scripts.matrix.app import exception_fields, query, record

PART = 256 * 1024


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    probe, burst = query(scope, "id"), int(query(scope, "burst", 0))
    raised: list[dict[str, Any]] = []

    async def sending(message: Message) -> None:
        begun = time.monotonic()
        try:
            await send(message)
        except Exception as exc:  # what the server raised
            if not raised:
                raised.append({"at": begun, **exception_fields(exc)})
                record(f"{probe}.raised", **raised[0])
            raise
        if message["type"] == "websocket.accept":
            for begin in range(0, burst, PART):
                size = min(PART, burst - begin)
                await send({"type": "websocket.send", "bytes": b"b" * size})

    await probe_app(scope, receive, sending)
