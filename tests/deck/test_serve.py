"""`make serve`: the deck listens on 127.0.0.1 only, unless HOST opens it."""

import json
import os
import signal
import subprocess
from pathlib import Path

import psutil
import pytest

from scripts.net.ports import accepting, pick_port
from scripts.net.processes import Server

ROOT = Path(__file__).resolve().parents[2]
PRELOAD = ROOT / "scripts" / "deck" / "localhost.cjs"
# A server that names no host, as marp-cli's does: where does it listen?
LISTEN = (
    "const s = require('node:net').createServer(); s.listen(0, () => {"
    " console.log(JSON.stringify(s.address())); s.close(); });"
)
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - what HOST= opens on purpose


def listening(server: Server) -> set[tuple[str, int]]:
    """The addresses the server's process tree listens on."""
    root = psutil.Process(server.pid)
    return {
        (c.laddr.ip, c.laddr.port)
        for process in [root, *root.children(recursive=True)]
        for c in process.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    }


def test_make_serve_listens_on_localhost_only_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    port = pick_port()
    env = {**os.environ, "PORT": str(port)}
    env.pop("HOST", None)
    server = Server(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT, env=env, output=tmp_path / "serve.log",
    )
    try:
        server.wait_ready(lambda: accepting(port), timeout=60)
        addresses = listening(server)
    finally:
        stopped = server.stop(signal.SIGTERM, timeout=10)
    log = (tmp_path / "serve.log").read_text()
    assert addresses, log
    assert {ip for ip, _ in addresses} == {"127.0.0.1"}, addresses
    assert ("127.0.0.1", port) in addresses
    assert stopped.how == "SIGTERM", log  # not SIGKILL: it obeyed
    assert stopped.leftovers == []


@pytest.mark.parametrize(
    ("host", "expected"),
    [(None, "127.0.0.1"), (EVERY_INTERFACE, EVERY_INTERFACE)],
)
def test_the_preload_listens_where_host_says(
    host: str | None, expected: str
) -> None:
    env = {**os.environ, "NODE_OPTIONS": f"--require {PRELOAD}"}
    env.pop("HOST", None)
    if host is not None:
        env["HOST"] = host
    out = subprocess.run(
        ["node", "-e", LISTEN],  # noqa: S607
        env=env, capture_output=True, text=True, timeout=30, check=True,
    ).stdout
    assert json.loads(out)["address"] == expected
