"""`make serve`: the deck listens on 127.0.0.1 only, unless HOST opens it,
shows a demo's edit within 2 s, and stops on SIGTERM. One serve, in a copy
of the tree, for the three."""

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

from scripts.net.ports import accepting, pick_port
from scripts.net.processes import Server
from scripts.pictures import generator
from scripts.pictures.code_images import CACHE
from tests.conftest import Report
from tests.deck.browser import CHROMIUM_ARGS
from tests.deck.slides import read_deck

ROOT = Path(__file__).resolve().parents[2]
PRELOAD = ROOT / "scripts" / "deck" / "localhost.cjs"
# A server that names no host, as marp-cli's does: where does it listen?
LISTEN = (
    "const s = require('node:net').createServer(); s.listen(0, () => {"
    " console.log(JSON.stringify(s.address())); s.close(); });"
)
EVERY_INTERFACE = "0.0.0.0"  # noqa: S104 - what HOST= opens on purpose
COPIED = ("demos", "scripts", "themes", "assets", "slides.md", ".marprc.yml",
          "Makefile", "pyproject.toml", "uv.lock", "package.json",
          "package-lock.json", CACHE)  # and what make's targets depend on
LINKED = ("node_modules", ".venv")
DEMO, PICTURE = "demos/asgi_app.py", "/assets/asgi.svg"  # slide 3 shows it
OLD, NEW = b'b"Hello, world!"', b'b"Hello, stage!"'
SHOWN = 2.0  # s from a demo's save to its new picture in the open deck


def listening(server: Server) -> set[tuple[str, int]]:
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
    """A copy of what `make serve` reads and writes, pictures up to date."""
    root, ignore = tmp_path_factory.mktemp("serve"), shutil.ignore_patterns(
        "__pycache__"
    )
    for name in COPIED:
        source, target = ROOT / name, root / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=ignore)
        elif source.exists():
            shutil.copy2(source, target)
    for name in LINKED:
        (root / name).symlink_to(ROOT / name)
    assert generator.main(["--root", str(root)]) == 0
    return root


class Served(NamedTuple):
    server: Server
    port: int
    log: Path


@pytest.fixture(scope="module")
def served(tree: Path) -> Iterator[Served]:
    """`make serve` in the copy, HOST unset; stopped by the last test."""
    port, log = pick_port(), tree / "serve.log"
    env = {**os.environ, "PORT": str(port)}
    env.pop("HOST", None)
    command = ["make", "--no-print-directory", "serve"]
    server = Server(command, cwd=tree, env=env, output=log)
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


def test_a_demo_edit_shows_in_the_open_deck_within_2_s(
    served: Served, tree: Path, chromium: Path, figure: Report
) -> None:
    from playwright.sync_api import Response, sync_playwright

    fetched: list[tuple[float, Response]] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        page = browser.new_page()
        with page.expect_console_message(
            lambda message: "Observing the change" in message.text
        ):  # Marp's reload notifier is connected
            page.goto(f"http://127.0.0.1:{served.port}/slides.md")
        page.on("response", lambda r: fetched.append((time.monotonic(), r)))
        demo, source = tree / DEMO, (tree / DEMO).read_bytes()
        assert OLD in source, f"{DEMO} no longer says {OLD!r}"
        demo.write_bytes(source.replace(OLD, NEW))
        saved, shown = time.monotonic(), None
        while shown is None and time.monotonic() < saved + 3 * SHOWN:
            page.wait_for_timeout(20)
            shown = next((
                at for at, response in fetched
                if response.url.endswith(PICTURE) and response.ok
                and NEW[2:-1] in response.body()
            ), None)
        image = f'img[src$="{PICTURE[1:]}"]'
        loaded = page.eval_on_selector(
            image, "i => i.complete && i.naturalWidth > 0"
        )
        browser.close()
    said = served.log.read_text()
    assert shown is not None, f"no new {PICTURE} within {3 * SHOWN} s: {said}"
    took = f"demo save to new picture {shown - saved:.2f} s"
    figure("deck", "make serve", took)
    assert shown - saved <= SHOWN, said
    assert loaded, said


def test_make_serve_stops_on_sigterm(served: Served) -> None:
    """Last in this module: the serve obeys SIGTERM (not SIGKILL), and
    leaves no process behind."""
    stopped = served.server.stop(signal.SIGTERM, timeout=10)
    said = served.log.read_text()
    assert (stopped.how, stopped.leftovers) == ("SIGTERM", []), said


def test_vs_code_previews_with_the_theme_and_html() -> None:
    """The Marp extension, recommended, with the deck's theme and its HTML
    (it has no setting for local emoji: its preview takes them from a CDN)."""
    folder = ROOT / ".vscode"
    settings = json.loads((folder / "settings.json").read_text())
    extensions = json.loads((folder / "extensions.json").read_text())
    assert "marp-team.marp-vscode" in extensions["recommendations"]
    assert settings["markdown.marp.html"] == "all"
    themes = settings["markdown.marp.themes"]
    assert themes, "no theme for the Marp extension"
    for theme in themes:
        assert (ROOT / theme).is_file(), theme
    names = {
        re.search(r"@theme\s+(\S+)", (ROOT / theme).read_text())[1]  # type: ignore[index]
        for theme in themes
    }
    assert read_deck().front_matter["theme"] in names
