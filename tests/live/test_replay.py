"""``make replay`` (scripts/live/replay.py): a recording printed with no
server, at its delays, in either palette, paged where the live run pages;
a missing one, or one on an --http it was not recorded on, is said, exit
2."""

import asyncio
import contextlib
import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text

from scripts.common import ROOT
from scripts.live.runner import replay as replayed
from scripts.net import ports
from scripts.style import PALETTES, theme
from scripts.transcripts import FOLDER, Row, dump, load
from tests.live.cli import FRESH


def write(root: Path, name: str, made: list[Row]) -> None:
    (root / FOLDER).mkdir(parents=True, exist_ok=True)
    (root / FOLDER / f"{name}.txt").write_text(dump(name, made))


def console(palette: str) -> Console:
    return Console(file=io.StringIO(), width=80, theme=theme(palette),
                   force_terminal=True, color_system="truecolor")


def replay(name: str, shown: Console, step: bool, root: Path,
           http: str | None = None, palette: str = "dark") -> int:
    return asyncio.run(replayed(name, shown, step, root, http,
                                palette == "light"))


@pytest.fixture
def no_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    async def now(_: float) -> None:
        pass

    monkeypatch.setattr("asyncio.sleep", now)


def test_a_missing_recording_is_said_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert replay("asgi_app", console("dark"), False, tmp_path) == 2
    err = capsys.readouterr().err
    assert "assets/transcripts/asgi_app.txt is missing" in err
    assert "make transcripts" in err


@pytest.mark.usefixtures("no_delays")
def test_replay_with_http_picks_that_runs_load(tmp_path: Path) -> None:
    for stem in ("raise_oserror", "raise_oserror.oserror"):
        write(tmp_path, stem, [Row(0, f"recorded as {stem}.txt")])
    shown = console("dark")
    assert replay("raise_oserror", shown, False, tmp_path, "oserror") == 0
    output = shown.file.getvalue()  # type: ignore[attr-defined]
    assert "recorded as raise_oserror.oserror.txt" in output
    assert "recorded as raise_oserror.txt" not in output


def test_replay_with_http_says_when_there_is_no_such_load(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "streaming_response", load("streaming_response"))
    code = replay("streaming_response", console("dark"), False, tmp_path,
                  "oserror")
    assert code == 2
    err = capsys.readouterr().err
    assert err == (
        "No recording of 'streaming_response' on --http oserror: `make "
        "transcripts` records raise_oserror, fastapi_streaming on it.\n"
    )
    assert replay("raise_oserror", console("dark"), False, tmp_path,
                  "oserror") == 2
    err = capsys.readouterr().err
    assert "No recording of 'raise_oserror' on --http oserror: " in err
    assert "assets/transcripts/raise_oserror.oserror.txt is missing" in err


@pytest.mark.parametrize("palette", ["dark", "light"])
def test_the_replay_keeps_the_delays_and_the_palette(
    palette: str, tmp_path: Path
) -> None:
    made = [Row(0.1, f"[{PALETTES['dark']['client']}]client → GET[/]")] * 3
    write(tmp_path, "ws", made)
    shown, start = console(palette), time.monotonic()
    assert replay("ws", shown, False, tmp_path, palette=palette) == 0
    assert time.monotonic() - start >= sum(row.delay for row in made)
    output = shown.file.getvalue()  # type: ignore[attr-defined]
    assert output.count("client → GET") == 3
    hexes = {p: PALETTES[p]["client"].split()[-1] for p in PALETTES}
    r, g, b = (int(hexes[palette][i : i + 2], 16) for i in (1, 3, 5))
    assert f"38;2;{r};{g};{b}m" in output


@pytest.mark.usefixtures("no_delays")
def test_step_pages_the_replay_where_the_live_run_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At each page break of the recording (where the live run waited):
    Enter (one line of stdin, no more), a clear screen, the next page's
    header."""
    made = load("ws_with_token")
    stops = sum(row.breaks for row in made)
    assert stops == 4  # before the client, its 3 attempts, the summary
    write(tmp_path, "ws_with_token", made)
    keys, typed = os.pipe()
    os.write(typed, b"\n" * (stops + 1))  # one Enter more than it takes
    os.close(typed)
    with os.fdopen(keys) as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        shown = console("dark")
        assert replay("ws_with_token", shown, True, tmp_path) == 0
        assert os.read(keys, 10) == b"\n"  # every Enter waited for, once
    output = shown.file.getvalue()  # type: ignore[attr-defined]
    assert output.count("\x1b[2J") == stops + 1  # each page on a clear screen
    output = Text.from_ansi(output).plain
    for page in range(2, stops + 2):
        assert f"ws_with_token · page {page} of {stops + 1}" in output


def make_replay(*args: str) -> subprocess.CompletedProcess[str]:
    """``make replay ARGS`` typed in a new shell."""
    return subprocess.run(
        ["make", "replay", *args], cwd=ROOT, env=FRESH,  # noqa: S607
        capture_output=True, text=True, timeout=30, check=False,
    )


def test_make_replay_with_http_replays_the_prototypes_run_no_server() -> None:
    """Its recording, as recorded (piped: not paged), with port 8000 held:
    no server runs; a run not recorded on --http is refused, exit 2."""
    with contextlib.ExitStack() as stack:
        if ports.bindable(8000):
            held = stack.enter_context(socket.socket())
            held.bind((ports.HOST, 8000))
            held.listen()
        assert not ports.bindable(8000)
        done = make_replay("NAME=raise_oserror", "HTTP=oserror")
    assert done.returncode == 0, done.stderr
    said = done.stdout.splitlines()
    file = "assets/transcripts/raise_oserror.oserror.txt"
    assert f"raise_oserror · a replay of {file}, no server" in said[0]
    rows = load("raise_oserror.oserror")
    assert [line.rstrip() for line in said[1:]] == [
        row.text.plain.rstrip() for row in rows[1:] if not row.breaks
    ]  # the title rule says it is a replay
    refused = make_replay("NAME=streaming_response", "HTTP=oserror")
    assert refused.returncode == 2, refused.stderr
    assert "No recording of 'streaming_response' on --http oserror" in (
        refused.stderr
    )
