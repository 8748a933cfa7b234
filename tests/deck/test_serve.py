"""`make serve`: the deck listens on 127.0.0.1 only, unless HOST opens it,
shows a demo's edit in the open deck, and stops on SIGTERM. One serve, in a
copy of the tree, for the three.

How long the edit takes to show is a figure of the run; `make bench-serve`
runs this module alone and holds it to SERVE_WITHIN_S seconds (the
README's 2 s), a bound that a loaded machine must not fail `make test` on.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import psutil
import pytest
from playwright.sync_api import Browser, Response

from scripts.common import ROOT
from scripts.deck.build import PRELOAD
from scripts.net.ports import accepting, pick_port
from scripts.net.processes import Subprocess
from tests.conftest import Report

# A server that names no host, as marp-cli's does: where does it listen?
LISTEN = (
    "const s = require('node:net').createServer(); s.listen(0, () => {"
    " console.log(JSON.stringify(s.address())); s.close(); });"
)
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - what HOST= opens on purpose
COPIED = ("demos", "scripts", "themes", "assets", "slides.md", ".marprc.yml",
          "Makefile", "pyproject.toml", "uv.lock", "package.json",
          "package-lock.json", ".cache")  # and what make's targets depend on
LINKED = ("node_modules", ".venv")
DEMO, PICTURE = "demos/asgi_app.py", "/assets/asgi.svg"  # slide 3 shows it
OLD, NEW = b'b"Hello, world!"', b'b"Hello, stage!"'
WAIT_S = 30.0  # for the new picture: the serve redraws it, Marp reloads
WITHIN_S = os.environ.get("SERVE_WITHIN_S")  # make bench-serve: 2


def listening(server: Subprocess) -> set[tuple[str, int]]:
    """The addresses the server's process tree listens on."""
    root = psutil.Process(server.pid)
    return {
        (c.laddr.ip, c.laddr.port)
        for process in [root, *root.children(recursive=True)]
        for c in process.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN
    }


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


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of what `make serve` reads and writes."""
    root, ignore = tmp_path_factory.mktemp("serve"), shutil.ignore_patterns(
        "__pycache__", "peer"
    )
    for name in COPIED:
        source, target = ROOT / name, root / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, target)
    for name in LINKED:
        (root / name).symlink_to(ROOT / name)
    return root


class Served(NamedTuple):
    server: Subprocess
    port: int
    log: Path


@pytest.fixture(scope="module")
def served(tree: Path) -> Iterator[Served]:
    """`make serve` in the copy, HOST unset; stopped by the last test."""
    port, log = pick_port(), tree / "serve.log"
    env = {**os.environ, "PORT": str(port)}
    env.pop("HOST", None)
    # The linked folders are the repository's: never remade from the copy
    # (npm ci there would empty the repository's node_modules).
    command = ["make", "--no-print-directory", "-o", ".venv/.installed",
               "-o", "node_modules/.installed", "serve"]
    server = Subprocess(command, cwd=tree, env=env, output=log)
    try:
        server.wait_ready(lambda: accepting(port), timeout=60)
        yield Served(server, port, log)
    finally:
        server.stop(signal.SIGTERM, timeout=10)


def test_make_serve_listens_on_localhost_only(served: Served) -> None:
    addresses = listening(served.server)
    assert addresses, served.log.read_text()
    assert {ip for ip, _ in addresses} == {"127.0.0.1"}, addresses
    assert ("127.0.0.1", served.port) in addresses


def test_a_demo_edit_shows_in_the_open_deck(
    served: Served, tree: Path, browser: Browser, figure: Report
) -> None:
    """The demo saved, the serve redraws its picture and Marp reloads the
    page, which fetches the new picture: the edit shows."""
    fetched: list[tuple[float, Response]] = []
    page = browser.new_page()
    page.route(re.compile(r"/(assets|node_modules)/"), lambda route: (
        route.continue_() if route.request.url.endswith(PICTURE)
        else route.abort()))  # the other pictures and fonts: not this test's
    try:
        with page.expect_console_message(
            lambda message: "Observing the change" in message.text
        ):  # Marp's reload notifier is connected
            page.goto(f"http://127.0.0.1:{served.port}/slides.md")
        page.on("response", lambda r: fetched.append((time.monotonic(), r)))
        demo, source = tree / DEMO, (tree / DEMO).read_bytes()
        assert OLD in source, f"{DEMO} no longer says {OLD!r}"
        before = (tree / PICTURE[1:]).read_bytes()
        demo.write_bytes(source.replace(OLD, NEW))
        saved, shown = time.monotonic(), None
        while shown is None and time.monotonic() < saved + WAIT_S:
            page.wait_for_timeout(20)
            shown = next((
                (at, response.body()) for at, response in fetched
                if response.url.endswith(PICTURE) and response.ok
                and response.body() != before
            ), None)
        loaded = page.eval_on_selector(f'img[src$="{PICTURE[1:]}"]',
                                       "i => i.complete && i.naturalWidth > 0")
    finally:
        page.close()
    said = served.log.read_text()
    assert shown is not None, f"no new {PICTURE} within {WAIT_S:g} s: {said}"
    at, body = shown
    assert body == (tree / PICTURE[1:]).read_bytes(), "not the one redrawn"
    assert loaded, said
    figure("deck", "make serve", f"demo save to new picture {at - saved:.2f} s")
    if WITHIN_S is not None:  # make bench-serve
        assert at - saved <= float(WITHIN_S), said


def test_make_serve_stops_on_sigterm(served: Served) -> None:
    """Last in this module: the serve obeys SIGTERM (not SIGKILL), and
    leaves no process behind."""
    stopped = served.server.stop(signal.SIGTERM, timeout=10)
    said = served.log.read_text()
    assert (stopped.how, stopped.leftovers) == ("SIGTERM", []), said
