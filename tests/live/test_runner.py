"""The command line of ``python -m demos``: listing, refusing and checking
what it is given. main() runs in this process: the subprocess would prove
nothing more than the demo runs of test_clients, which all go through
``python -m demos``; the one subprocess here checks the exit code and the
streams for a refused name."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.style import Style

from demos.__main__ import main
from demos.catalog import BY_NAME, DEMOS, HTTP1
from demos.catalog import PACED as PACED_DEMOS
from scripts.live.runner import try_command
from scripts.live.server import Server, python_command
from scripts.live.timeline import Timeline
from scripts.net import processes
from scripts.net.ports import pick_port
from scripts.style import BACKGROUND, PALETTES, contrast, theme
from tests.live.cli import (
    ENV,
    FRESH,
    MAKE,
    PACED,
    ROOT,
    SECRET,
    START_TIMEOUT,
    STOP_TIMEOUT,
)

COMMAND_TIMEOUT = 20.0  # seconds for an unknown name


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() in this process prints as wide as ENV's runs: nothing wraps."""
    monkeypatch.setenv("COLUMNS", ENV["COLUMNS"])


@pytest.mark.usefixtures("wide")
def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    for demo in DEMOS:
        for text in (demo.name, demo.slide, demo.summary):
            assert text in out
    assert "Run one: make demo NAME=<name> [HTTP=oserror]" in out


def test_unknown_demo() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "demos", "ws_with_tokn"],
        cwd=ROOT, env=ENV, capture_output=True, encoding="utf-8",
        timeout=COMMAND_TIMEOUT, check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Unknown demo 'ws_with_tokn': did you mean ws_with_token?",
        ".venv/bin/python -m demos --list lists them all; run one: "
        ".venv/bin/python -m demos NAME",
    ]


@pytest.mark.usefixtures("wide")
def test_no_demo_named(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in MAKE:
        monkeypatch.delenv(name, raising=False)
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    rows = err.splitlines()
    which = f"Which demo? {python_command()} -m demos NAME; the demos:"
    assert rows[0] == which
    assert [row.split()[0] for row in rows[1:]] == [d.name for d in DEMOS]


def make(*args: str) -> tuple[int, list[str]]:
    """``make ARGS`` typed in a new shell, 80 columns wide: its exit code,
    and the rows it printed (stdout, then stderr, where make's own go)."""
    done = subprocess.run(
        ["make", *args], cwd=ROOT, env={**FRESH, "COLUMNS": "80"},  # noqa: S607
        capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False,
    )
    return done.returncode, (done.stdout + done.stderr).splitlines()


@pytest.mark.parametrize("target", ["demo", "replay"])
@pytest.mark.parametrize("typed", ["", "NAM=ws", "name=ws"])
def test_make_without_name_lists_the_demos_and_runs_none(
    target: str, typed: str
) -> None:
    """No default demo: ``make demo NAM=ws`` ran asgi_app once. Now it
    says what was meant, and the demos, one row each, in 24 rows."""
    code, rows = make(target, *typed.split())
    assert code == 2, rows
    ran = [row for row in rows if "Server up" in row or "a replay of" in row]
    assert not ran, rows  # no demo ran, none was replayed
    if typed:
        said = f"{typed}: did you mean make {target} NAME=ws? The demos:"
    else:
        said = f"Which demo? make {target} NAME=<name>; the demos:"
    assert rows[0] == said
    assert [row.split()[0] for row in rows[1:-1]] == [d.name for d in DEMOS]
    assert rows[-1].startswith("make: *** [Makefile:"), rows  # make's own
    assert len(rows) <= 24
    assert max(cell_len(row) for row in rows) <= 80


@pytest.mark.parametrize("target", ["demo", "replay"])
@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (["NAME=ws_with_tokn"],
         "Unknown demo 'ws_with_tokn': did you mean ws_with_token?"),
        (["NAME=raise_oserror", "HTTP=oserr"],
         "Unknown HTTP 'oserr': did you mean oserror?"),
    ],
)
def test_make_with_a_misspelt_name_says_what_was_meant_in_3_rows(
    target: str, typed: list[str], said: str
) -> None:
    code, rows = make(target, *typed)
    assert code == 2, rows
    assert rows[0] == said
    assert rows[-1].startswith("make: *** [Makefile:"), rows
    assert len(rows) <= 3, rows
    assert max(cell_len(row) for row in rows) <= 80


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in (
        "--port", "--serve", "--list", "--interval SECONDS", "--verbose",
        "--step", "--light", "--replay",
    ):
        assert option in out
    words = " ".join(out.split())
    assert all(name in words for name in PACED)
    assert "--http {oserror}" in words
    assert "oserror, the prototype of uvicorn #3085" in words


@pytest.mark.usefixtures("wide")
def test_interval_of_an_unpaced_demo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = str(pick_port())  # should the check fail, the demo would run
    assert main(["asgi_app", "--port", port, "--interval", "0.5"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no server, no timeline
    assert err.startswith("The demo 'asgi_app' sends at no set interval;")
    paced = [demo.name for demo in DEMOS if demo.pace]
    assert paced == PACED_DEMOS
    assert f"--interval applies to {', '.join(paced)}." in err


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_interval_is_a_positive_number(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:  # --list: no demo runs
        main(["--list", "--interval", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"{value} is not a positive number of seconds" in err


@pytest.mark.parametrize("name", ["ws_with_token", "content_md5"])
def test_http_of_a_demo_not_on_http1(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    port = str(pick_port())  # should the check fail, the demo would run
    assert main([name, "--port", port, "--http", "oserror"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no server, no timeline
    assert " ".join(err.split()) == (  # wrapped at spaces
        f"The demo {name!r} is not served over HTTP/1.1; --http applies "
        f"to {', '.join(HTTP1)}."
    )
    http1 = [demo.name for demo in DEMOS if demo.transport == "http"]
    assert http1 == HTTP1


def test_every_style_has_seven_to_one_in_both_palettes() -> None:
    assert PALETTES["dark"].keys() == PALETTES["light"].keys()
    for palette, styles in PALETTES.items():
        shown = theme(palette).styles
        for name, spec in styles.items():
            ratio = contrast(colour(spec), BACKGROUND[palette])
            assert ratio >= 7, f"{palette} {name}: {ratio:.2f}:1"
            assert not Style.parse(spec).dim, f"{palette} {name}"
        for name in [*styles, "rule.line", "table.header", "status.spinner"]:
            assert not shown[name].dim, f"{palette} {name}"
    dark = [colour(spec) for spec in PALETTES["dark"].values()]
    assert len(set(dark)) == len(dark)  # a dark colour names its style


def colour(spec: str) -> str:
    """The colour of a Rich style, as #rrggbb: each style has its own."""
    found = Style.parse(spec).color
    assert found is not None, spec
    assert found.triplet is not None, spec
    return found.triplet.hex


def sgr_codes(text: str) -> list[int]:
    """The SGR attributes ``text`` sets, colours (38;2;R;G;B...) skipped."""
    found = []
    for sequence in re.findall(r"\x1b\[([\d;]*)m", text):
        codes = [int(code or 0) for code in sequence.split(";")]
        while codes:
            if (code := codes.pop(0)) in (38, 48, 58):
                codes = codes[4 if codes[:1] == [2] else 2 :]
            else:
                found.append(code)
    return found


def truecolor(palette: str, name: str) -> str:
    """How a truecolor terminal is told the colour of style ``name``."""
    rgb = colour(PALETTES[palette][name])[1:]
    return "38;2;" + ";".join(str(int(rgb[i : i + 2], 16)) for i in (0, 2, 4))


COLOURED = {"FORCE_COLOR": "1", "COLORTERM": "truecolor", "NO_COLOR": ""}


@pytest.mark.parametrize("palette", ["dark", "light"])
def test_light_changes_the_colours(
    palette: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in COLOURED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NO_COLOR")
    assert main(["--list"] + ["--light"] * (palette == "light")) == 0
    out = capsys.readouterr().out
    other = "dark" if palette == "light" else "light"
    assert truecolor(palette, "client") in out  # the demos' names
    assert truecolor(other, "client") not in out
    assert 2 not in sgr_codes(out)


class Reader:
    """A subprocess's output, read as it comes by a thread."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process, self.chunks = process, list[bytes]()
        self.thread = threading.Thread(target=self.read, daemon=True)
        self.thread.start()

    def read(self) -> None:
        assert self.process.stdout is not None
        while chunk := os.read(self.process.stdout.fileno(), 65536):
            self.chunks.append(chunk)

    @property
    def text(self) -> str:
        return b"".join(self.chunks).decode("utf-8", errors="replace")

    def wait_for(self, text: str, count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.text.count(text) < count:
            if time.monotonic() > deadline or self.process.poll() is not None:
                return self.text.count(text) >= count
            time.sleep(0.02)
        return True


def test_step_waits_for_enter_light_verbose_never_dim() -> None:
    env = {**ENV, **COLOURED, "COLUMNS": "80"}
    del env["NO_COLOR"]
    port, prompt = str(pick_port()), "Press Enter"
    command = ["asgi_app", "--port", port, "--step", "--light", "--verbose"]
    process = subprocess.Popen(
        [sys.executable, "-m", "demos", *command], cwd=ROOT, env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdin is not None
    output, started = Reader(process), time.monotonic()
    try:
        assert output.wait_for(prompt, 1, START_TIMEOUT), output.text
        time.sleep(time.monotonic() - started)  # as long as it took to start
        assert "GET / HTTP/1.1" not in output.text  # the client waits
        process.stdin.write(b"\n")
        process.stdin.flush()
        assert output.wait_for(prompt, 2, START_TIMEOUT), output.text
        assert "GET / HTTP/1.1" in output.text
        assert "What this shows" not in output.text  # until Enter
        process.stdin.write(b"\n")
        process.stdin.close()
        assert process.wait(START_TIMEOUT) == 0, output.text
    finally:
        processes.stop_tree(process.pid, signal.SIGKILL, 0)
        process.wait(STOP_TIMEOUT)
        output.thread.join(STOP_TIMEOUT)
        assert process.stdout is not None
        process.stdout.close()
    assert "What this shows" in output.text
    for verbose in ("Started server process", "Application startup complete"):
        assert verbose in output.text
    assert 2 not in sgr_codes(output.text)  # results are never dim
    for name in ("stamp", "client", "server", "runner", "ok", "info", "title"):
        assert truecolor("light", name) in output.text, name  # styles exist
        assert truecolor("dark", name) not in output.text, name


@pytest.mark.usefixtures("wide")
def test_a_taken_port_names_its_holder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert main(["asgi_app", "--port", str(port)]) == 1
    words = " ".join(capsys.readouterr().out.split())
    pid = os.getpid()
    assert f"Port {port} is held by PID {pid}: " in words
    assert f"Stop it with `kill {pid}`, or choose --port." in words
    assert "Server up" not in words


def test_the_serve_command_masks_the_token() -> None:
    timeline = Timeline(Console(), secret=SECRET)
    demo = BY_NAME["ws_with_token"]
    server = Server(demo, 8000, None, None, timeline)
    command = try_command(server)
    assert command.endswith(' "ws://127.0.0.1:8000/ws?token=$DEMO_TOKEN"')
    assert SECRET not in command + server.command
    assert timeline.mask(f"/ws?token={SECRET}") == "/ws?token=***"


def test_an_empty_demo_token_is_refused(tmp_path: Path) -> None:
    """By the demo itself, so plain uvicorn refuses too; by the runner with
    a clear message, exit 2, and no server."""
    env = {**ENV, "DEMO_TOKEN": ""}
    commands = {
        "runner": ["-m", "demos", "ws_with_token"],
        "uvicorn": ["-m", "uvicorn", "demos.ws_with_token:app"],
    }
    started = {
        name: processes.Server(
            [sys.executable, *command, "--port", str(pick_port())],
            cwd=ROOT, env=env, output=tmp_path / name,
        )
        for name, command in commands.items()
    }
    try:
        codes = {
            name: server.popen.wait(COMMAND_TIMEOUT)
            for name, server in started.items()
        }
    finally:
        for server in started.values():
            server.stop(signal.SIGKILL, 0)
    assert codes == {"runner": 2, "uvicorn": 1}
    for name in commands:
        output = (tmp_path / name).read_text("utf-8")
        assert "DEMO_TOKEN is set but empty" in output, output
        assert "Server up" not in output, output
