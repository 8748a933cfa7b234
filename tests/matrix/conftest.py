"""The matrix tests' shared pieces: the committed JSON and its cells, the
comparison of a re-probe with it, and servers that misbehave: one crashes
at start, one listens and never answers (and ignores SIGTERM, as does its
child), one dies during the probe, and a real one whose answers a probe
cannot read."""

import json
from typing import Any

import pytest

from scripts.common import ROOT
from scripts.matrix.catalog import (
    BY_ID,
    PROCESSES,
    Process,
    Target,
    cell_name,
)
from scripts.matrix.cells import short

COMMITTED = ROOT / "assets" / "support_matrix.json"
MATRIX_SLIDE = "Who supports what, measured (assets/support_matrix.svg)"
Document = dict[str, Any]
# uvicorn #3085 as --http classes (demos/oserror_protocols.py); its stock twin
PROTOTYPE = ("uvicorn-3085-h11", "uvicorn-3085-httptools")
STOCK = ("uvicorn-h11", "uvicorn-httptools")
TARGETS = [target for process in PROCESSES for target in process.targets]
TARGET_IDS = [target.id for target in TARGETS]
CATEGORICAL = ("result", "value", "status", "exception", "extensions")


@pytest.fixture(scope="module")
def committed() -> Document:
    document: Document = json.loads(COMMITTED.read_text(encoding="utf-8"))
    return document


def cells(document: Document, feature: str) -> dict[str, dict[str, Any]]:
    """The cells of one feature, by target."""
    return {
        server["id"]: server["cells"][feature]
        for server in document["servers"]
        if feature in server["cells"]
    }


def by_id(document: Document, target: str) -> dict[str, Any]:
    return next(s for s in document["servers"] if s["id"] == target)


def describe(data: dict[str, Any] | None) -> str:
    if data is None:
        return "nothing (not probed)"
    text = ", ".join([str(data.get("result"))] + [
        f"{key} {short(data[key]) if key == 'exception' else data[key]}"
        for key in CATEGORICAL[1:] if data.get(key) not in (None, [])
    ])
    return f"{text} ({data['note']})" if data.get("note") else text


def differences(committed: Document, now: Document) -> list[str]:
    """A message per cell whose categorical fields changed (never timings),
    naming the slides it makes wrong, and per package whose version did."""
    old, new = ({(server["id"], feature): cell for server in document["servers"]
                 for feature, cell in server["cells"].items()}
                for document in (committed, now))

    def fields(cells: dict[Any, Any], key: tuple[str, str]) -> list[Any]:
        return [cells.get(key, {}).get(field) for field in CATEGORICAL]

    def slides(feature: str) -> str:
        claims = (MATRIX_SLIDE, *BY_ID[feature].slides)
        return "; ".join(f"slide {slide!r}" for slide in claims)

    was, installed = committed["versions"], now["versions"]
    return [
        f"{cell_name(*key)}: the committed matrix says "
        f"{describe(old.get(key))}; the server now gives "
        f"{describe(new.get(key))}. Now wrong: "
        f"{slides(key[1])}. Run `make matrix`, then update those slides."
        for key in dict.fromkeys([*old, *new])
        if fields(old, key) != fields(new, key)
    ] + [
        f"{name} {installed.get(name)} is installed, the matrix was probed "
        f"with {was.get(name)}" for name in sorted(set(was) | set(installed))
        if was.get(name) != installed.get(name)
    ]


def misbehaving(name: str, code: str, *transports: Any) -> Process:
    """A server process that runs ``code`` ({port}: its port)."""
    return Process(name, ("-c", code),
                   (Target(name, "none", name, transports),))


CRASH = misbehaving("crash", "import sys; print('boom'); sys.exit(3)",
                    "http", "websocket")
# It listens but never answers, ignores SIGTERM, and so does its child.
HANG = misbehaving("hang", """
import signal, socket, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "time.sleep(60)"])
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", {port}))
sock.listen(64)
time.sleep(60)
""", "http", "websocket")
# It accepts the readiness check's connection, then exits at the first
# probe's.
DIES = misbehaving("dies", """
import os, socket
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", {port}))
sock.listen(64)
sock.accept()[0].close()
sock.accept()
print("dying now", flush=True)
os._exit(1)
""", "http")
# A real server whose /scope gives a 200 with no JSON: probe_spec_http
# raises.
UNREADABLE = misbehaving("unreadable", """
import uvicorn
async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b""})
uvicorn.run(app, host="127.0.0.1", port={port}, lifespan="off",
            log_level="warning", access_log=False)
""", "http")
MISBEHAVING = (CRASH, HANG, DIES, UNREADABLE)
# One that listens and stops at SIGTERM, with no feature to probe: the
# command's own work, in a fraction of a second.
IDLE = misbehaving("idle", """
import socket, time
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", {port}))
sock.listen(64)
time.sleep(60)
""")
