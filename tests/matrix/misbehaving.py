"""Servers that misbehave, for the probe's tests: one crashes at start, one
listens and never answers (and ignores SIGTERM, as does its child), one dies
during the probe, and a real one whose answers a probe cannot read."""

from scripts.matrix.catalog import Process, Target

CRASH = Process(
    id="crash",
    package="none",
    args=("-c", "import sys; print('boom'); sys.exit(3)"),
    targets=(Target("crash", "none", "exits at once", ("http", "websocket")),),
)
# A server that exits at once; one that listens but never answers, ignores
# SIGTERM, and has a child that ignores it too.
SILENT = """
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
"""
HANG = Process(
    id="hang",
    package="none",
    args=("-c", SILENT),
    targets=(Target("hang", "none", "never answers", ("http", "websocket")),),
)
# A server that dies during the probe: it accepts the readiness check's
# connection, then exits at the first probe's.
DYING = """
import os, socket
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", {port}))
sock.listen(64)
sock.accept()[0].close()
sock.accept()
print("dying now", flush=True)
os._exit(1)
"""
DIES = Process(
    id="dies",
    package="none",
    args=("-c", DYING),
    targets=(Target("dies", "none", "dies", ("http",)),),
)
# A real server whose answers a probe cannot read: /scope gives a 200 with
# no JSON, so probe_spec_http raises.
EMPTY = """
import uvicorn
async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b""})
uvicorn.run(app, host="127.0.0.1", port={port}, lifespan="off",
            log_level="warning", access_log=False)
"""
UNREADABLE = Process(
    id="unreadable",
    package="none",
    args=("-c", EMPTY),
    targets=(Target("unreadable", "none", "no JSON", ("http",)),),
)
MISBEHAVING = ("crash", "hang", "dies", "unreadable")
