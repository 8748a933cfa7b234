"""The recorded runs: each fits the issue's 40 rows at 80 columns, every
row within 80 columns (wrapped at spaces by the runner), each page of a live
run of the talk within 24 rows, no 3 s without a new row, its duration on
stage; its picture is offline, small, selectable and drawn the same twice;
`make check` fails on a stale, missing or orphaned picture; a recording of
the same run is byte-stable; the replay paces, re-colours, pages, and says
what is missing."""

import base64
import contextlib
import io
import re
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from demos.catalog import BY_NAME, DEMOS, LIVE, RECORDED_ON
from scripts.common import ROOT
from scripts.net import ports
from scripts.pictures import transcripts as pictures
from scripts.pictures.code_images import MANIFEST
from scripts.style import PALETTES, theme
from scripts.transcripts import (
    BY_STEM,
    FOLDER,
    RECORDINGS,
    WIDTH,
    Recording,
    Row,
    dump,
    duration,
    pages,
    parse,
    screen_rows,
)
from scripts.transcripts.record import (
    MACHINE,
    jitter,
    key,
    quantum_of,
    rows,
    run,
    same_run,
)
from scripts.transcripts.replay import replay
from tests.live.cli import FRESH
from tests.pictures.conftest import copy_tree, run_main

RECORDED = sorted(p.stem for p in (ROOT / FOLDER).glob("*.txt"))
SVG = "http://www.w3.org/2000/svg"


@pytest.fixture(scope="session")
def font_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "code_images_font_cache"


def recording(name: str) -> list[Row]:
    path = ROOT / FOLDER / f"{name}.txt"
    return parse(path.read_bytes(), str(path))


def test_every_demo_has_a_recording_and_so_has_each_prototype_run() -> None:
    """STEM.txt: NAME for every demo, NAME.oserror for the runs the slides
    show on the prototype of uvicorn #3085."""
    stems = {demo.name for demo in DEMOS} | {
        f"{name}.{http}" for http, names in RECORDED_ON.items()
        for name in names
    }
    assert sorted(stems) == RECORDED == sorted(BY_STEM)
    assert "raise_oserror.oserror" in RECORDED
    assert "fastapi_streaming.oserror" in RECORDED


@pytest.mark.parametrize("name", RECORDED)
def test_a_recording_fits_40_rows_at_80_columns(name: str) -> None:
    assert screen_rows(recording(name)) <= 40


STAGE_ROWS = 24  # the projector's terminal: 80 columns, 24 rows
DEAD_AIR = 3.0  # seconds the stage bears without a new row
# The talk's live runs (demos.catalog.LIVE), by their recordings.
LIVE_STEMS = [r.stem for command in LIVE for r in RECORDINGS
              if r.command == command]


def test_every_live_run_of_the_talk_is_recorded() -> None:
    """Its recording is its fallback, and its pages and time on stage."""
    assert len(LIVE_STEMS) == len(LIVE)
    assert LIVE_STEMS[0] == "ws_with_token"


@pytest.mark.parametrize("name", RECORDED)
def test_every_row_fits_80_columns(name: str) -> None:
    """The runner wraps each line at spaces within the terminal's width:
    a wider row would be folded by the terminal, inside a word."""
    for number, row in enumerate(recording(name), 2):
        width = cell_len(row.text.plain)
        assert width <= WIDTH, (
            f"{FOLDER}/{name}.txt:{number}: {width} columns, the terminal "
            f"folds it: {row.text.plain!r}"
        )


@pytest.mark.parametrize("stem", LIVE_STEMS)
def test_each_page_of_a_live_run_fits_24_rows(stem: str) -> None:
    """``--step`` pages, the default in a terminal: the first holds the
    run's start, then the prompt; each next one its header, its rows and
    the prompt; the last, the summary, leaves a row to the shell's."""
    found = pages(recording(stem))
    assert len(found) >= 3, f"{stem}: the server up, the client, the summary"
    for number, page in enumerate(found, 1):
        used = (number > 1) + screen_rows(page) + 1
        assert used <= STAGE_ROWS, (
            f"{FOLDER}/{stem}.txt: page {number} of {len(found)} takes "
            f"{used} rows of {STAGE_ROWS}"
        )


@pytest.mark.parametrize("name", RECORDED)
def test_no_recording_leaves_3_s_without_a_new_row(name: str) -> None:
    for number, row in enumerate(recording(name), 2):
        assert row.delay <= DEAD_AIR, (
            f"{FOLDER}/{name}.txt:{number}: {row.delay:g} s of dead air "
            f"before {row.text.plain.strip()!r}"
        )


STAMPED = re.compile(r"^ *\+(\d+\.\d+)s ")


@pytest.mark.parametrize("stem", LIVE_STEMS)
def test_duration_is_the_whole_run_on_stage(stem: str) -> None:
    """Every delay, from Enter to the prompt: the start-up too, before the
    stamps start (at the server's start); the speaker's Enter aside."""
    made = recording(stem)
    took = duration(stem)
    assert took == round(sum(row.delay for row in made), 3)
    shown = [float(m[1]) for r in made if (m := STAMPED.match(r.text.plain))]
    if BY_NAME[Recording.of(stem).name].pace:  # its stamps: the demo's time
        assert shown, stem
        assert took >= max(shown), f"{stem}: {took} s, shows +{max(shown)}s"


def test_duration_of_a_run_not_recorded_is_an_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError, match=r"ws_with_token\.txt"):
        duration("ws_with_token", tmp_path)


@pytest.mark.parametrize("name", RECORDED)
def test_its_picture_is_offline_small_selectable_and_stable(
    name: str, font_cache: Path
) -> None:
    made = recording(name)
    svg = pictures.render(name, made, ROOT, font_cache)
    assert svg == pictures.render(name, made, ROOT, font_cache)
    assert len(svg) <= pictures.MAX_KILOBYTES * 1024
    urls = set(re.findall(rb"https?://[^\s\"')]+", svg))
    assert urls == {SVG.encode()}
    tree = ET.fromstring(svg)  # noqa: S314  # our own output
    texts = ["".join(t.itertext()) for t in tree.iter(f"{{{SVG}}}text")]
    words = " ".join(row.text.plain for row in made).split()
    assert "".join("".join(texts[1:]).split()) == "".join(words)  # 0: title
    title = f"<title>{Recording.of(name).command}</title>"
    assert title.encode() in svg  # make demo NAME=... [HTTP=...]
    assert re.search(rb"\.t-[\w-]+-matrix \{", svg), "a CSS class, no dot"
    fonts = re.findall(rb"data:font/woff2;base64,([A-Za-z0-9+/=]+)", svg)
    assert len(fonts) == 2  # regular and bold
    for data in fonts:
        covered = set(TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap())
        missing = {c for c in "".join(words) if ord(c) not in covered}
        assert not missing, f"{name}: not in the deck's font: {missing}"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return copy_tree(tmp_path, MANIFEST, FOLDER)


def check(
    tree: Path, cache: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    return run_main(pictures.main, tree, cache, capsys, *args)


def test_make_check_fails_on_a_stale_missing_or_orphaned_picture(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A live run's sheet goes stale with its recording, a deleted one is
    missing, and a sheet whose recording is gone is an orphan."""
    folder, check_ = tree / FOLDER, ("--check",)
    assert check(tree, font_cache, capsys, *check_)[0] == 0
    txt = folder / "content_md5.txt"
    txt.write_text(txt.read_text().replace("200 OK", "500 Oops"))
    (folder / "ws_with_token.2.svg").unlink()
    (folder / "streaming_response.txt").unlink()
    code, out, err = check(tree, font_cache, capsys, *check_)
    assert code == 1, out + err
    assert "stale: assets/transcripts/content_md5.1.svg" in out
    assert "missing: assets/transcripts/ws_with_token.2.svg" in out
    assert "orphaned: assets/transcripts/streaming_response.1.svg" in out
    assert check(tree, font_cache, capsys)[0] == 0  # a build mends all
    assert not (folder / "streaming_response.1.svg").exists()
    assert "500&#160;Oops" in (folder / "content_md5.1.svg").read_text()
    assert check(tree, font_cache, capsys, *check_)[0] == 0


def test_a_live_run_is_drawn_in_sheets_of_a_terminal_at_most() -> None:
    """Pages packed in order, none split, each sheet at most 24 rows."""
    for live_run in pictures.live(ROOT):
        rows = recording(live_run.stem)
        found = pictures.sheets(rows)
        assert [r for sheet in found for r in sheet] == [
            r for r in rows if not r.breaks
        ]
        assert all(screen_rows(sheet) <= pictures.SHEET_ROWS
                   for sheet in found)
        assert len(found) <= len(pages(rows))


def test_a_bad_row_is_refused_naming_its_line(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    txt = tree / FOLDER / "content_md5.txt"
    lines = txt.read_text().splitlines()
    lines[2] = "soon\t" + lines[2].partition("\t")[2]
    txt.write_text("\n".join(lines))
    code, _, err = check(tree, font_cache, capsys, "--check")
    assert code == 2
    assert err.startswith("assets/transcripts/content_md5.txt:3: bad row")


def test_a_rebuild_of_the_same_run_is_byte_stable() -> None:
    """A real run of a demo makes, from nothing, the rows committed: its
    PIDs, ports and dates differ from the run that made it; and with the
    committed file, the very bytes, though its timings are this machine's
    now."""
    demo, committed = BY_NAME["asgi_app"], recording("asgi_app")
    lines = run(demo)
    fresh = rows(demo, lines, [])
    assert [r.markup for r in fresh] == [r.markup for r in committed]
    assert [r.breaks for r in fresh] == [r.breaks for r in committed]
    made = dump(demo.name, rows(demo, lines, committed))
    assert made == (ROOT / FOLDER / "asgi_app.txt").read_text()


def test_the_same_rows_interleaved_otherwise_keep_the_recording() -> None:
    """The server's log and the client's reply race: a rebuild that only
    swaps them keeps the file, and so does one whose start-ups took a busy
    machine longer (MACHINE); one that changes a row or the demo's pace
    does not."""
    old = recording("streaming_response")
    kept = [row for row in old if not row.breaks]
    new = [*kept[:4], kept[5], kept[4], *kept[6:]]
    keys, pace = [key(row.markup) for row in new], 0.2
    assert pace == quantum_of(BY_NAME["streaming_response"])
    assert same_run(new, old, keys, pace)
    edited = [*keys[:-1], keys[-1] + " and more"]
    assert not same_run(new, old, edited, pace)
    slower = [Row(row.delay * 2, row.markup) for row in new]
    assert not same_run(slower, old, keys, pace)
    machine = {0} | {i for i, k in enumerate(keys) if k.startswith("runner")}
    for late, same in ((MACHINE - jitter(pace), True),
                       (MACHINE + jitter(pace), False)):
        busy = [Row(r.delay + late * (i in machine), r.markup)
                for i, r in enumerate(new)]
        assert same_run(busy, old, keys, pace) is same, late


def write(root: Path, name: str, made: list[Row]) -> None:
    (root / FOLDER).mkdir(parents=True, exist_ok=True)
    (root / FOLDER / f"{name}.txt").write_text(dump(name, made))


def console(palette: str) -> Console:
    return Console(file=io.StringIO(), width=80, theme=theme(palette),
                   force_terminal=True, color_system="truecolor")


def test_a_missing_recording_is_said_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert replay("asgi_app", console("dark"), False, tmp_path) == 2
    err = capsys.readouterr().err
    assert "assets/transcripts/asgi_app.txt is missing" in err
    assert "make transcripts" in err


def test_replay_with_http_picks_that_runs_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("time.sleep", lambda _: None)
    for stem in ("raise_oserror", "raise_oserror.oserror"):
        write(tmp_path, stem, [Row(0, f"recorded as {stem}.txt")])
    shown = console("dark")
    assert replay("raise_oserror", shown, False, tmp_path, "oserror") == 0
    output = shown.file.getvalue()  # type: ignore[attr-defined]
    assert "recorded as raise_oserror.oserror.txt" in output
    assert "recorded as raise_oserror.txt" not in output


def test_replay_with_http_says_when_there_is_no_such_recording(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "streaming_response", recording("streaming_response"))
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
    assert replay("ws", shown, False, tmp_path) == 0
    assert time.monotonic() - start >= sum(row.delay for row in made)
    output = shown.file.getvalue()  # type: ignore[attr-defined]
    assert output.count("client → GET") == 3
    hexes = {p: PALETTES[p]["client"].split()[-1] for p in PALETTES}
    r, g, b = (int(hexes[palette][i : i + 2], 16) for i in (1, 3, 5))
    assert f"38;2;{r};{g};{b}m" in output


def test_step_pages_the_replay_where_the_live_run_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At each page break of the recording (where the live run waited):
    Enter, a clear screen, the next page's header."""
    made = recording("ws_with_token")
    stops = sum(row.breaks for row in made)
    assert stops == 4  # before the client, its 3 attempts, the summary
    write(tmp_path, "ws_with_token", made)
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n" * stops))
    shown = console("dark")
    monkeypatch.setattr("time.sleep", lambda _: None)
    assert replay("ws_with_token", shown, True, tmp_path) == 0
    assert sys.stdin.read() == ""  # every Enter was waited for
    output = shown.file.getvalue()  # type: ignore[attr-defined]
    assert output.count("\x1b[2J") == stops + 1  # each page on a clear screen
    output = Text.from_ansi(output).plain
    for page in range(2, stops + 2):
        assert f"ws_with_token · page {page} of {stops + 1}" in output
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n" * (stops - 1)))
    with pytest.raises(EOFError):  # one more than given: it waits
        replay("ws_with_token", console("dark"), True, tmp_path)


def test_demos_replay_works_with_port_8000_taken() -> None:
    """``python -m demos ws --replay``: no server, so a held 8000 is fine."""
    with contextlib.ExitStack() as stack:
        if ports.bindable(8000):
            held = stack.enter_context(socket.socket())
            held.bind((ports.HOST, 8000))
            held.listen()
        assert not ports.bindable(8000)
        done = subprocess.run(
            [sys.executable, "-m", "demos", "ws", "--replay"], cwd=ROOT,
            capture_output=True, text=True, timeout=30, check=False,
        )
    assert done.returncode == 0, done.stderr
    plain = [row.text.plain.rstrip() for row in recording("ws")
             if not row.breaks]  # piped: not paged
    said = [line.rstrip() for line in done.stdout.splitlines()]
    assert "ws · a replay of assets/transcripts/ws.txt, no server" in said[0]
    assert said[1:] == plain[1:]  # the title rule says it is a replay


def make_replay(*args: str) -> subprocess.CompletedProcess[str]:
    """``make replay ARGS`` typed in a new shell."""
    return subprocess.run(
        ["make", "replay", *args], cwd=ROOT, env=FRESH,  # noqa: S607
        capture_output=True,
        text=True, timeout=30, check=False,
    )


def test_make_replay_with_http_replays_the_prototypes_run() -> None:
    done = make_replay("NAME=raise_oserror", "HTTP=oserror")
    assert done.returncode == 0, done.stderr
    said = done.stdout.splitlines()
    file = "assets/transcripts/raise_oserror.oserror.txt"
    assert f"raise_oserror · a replay of {file}, no server" in said[0]
    rows = recording("raise_oserror.oserror")
    assert [line.rstrip() for line in said[1:]] == [
        row.text.plain.rstrip() for row in rows[1:] if not row.breaks
    ]
    refused = make_replay("NAME=streaming_response", "HTTP=oserror")
    assert refused.returncode == 2, refused.stderr
    assert "No recording of 'streaming_response' on --http oserror" in (
        refused.stderr
    )
