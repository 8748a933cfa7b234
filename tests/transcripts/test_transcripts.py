"""The recorded runs: each fits the issue's 40 rows at 80 columns; its
picture is offline, small, selectable and drawn the same twice; `make check`
fails on a stale, missing or orphaned picture; a recording of the same run
is byte-stable; the replay paces, re-colours, steps, and says what is
missing."""

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
from rich.console import Console

from demos.catalog import BY_NAME, DEMOS, RECORDED_ON
from scripts.assets import transcripts as pictures
from scripts.assets.code_images import MANIFEST
from scripts.live.palette import PALETTES, theme
from scripts.net import ports
from scripts.transcripts import (
    BY_STEM,
    FOLDER,
    ROOT,
    Recording,
    Row,
    dump,
    parse,
    screen_rows,
)
from scripts.transcripts.record import key, rows, run, same_run
from scripts.transcripts.replay import pauses, replay
from tests.assets.conftest import copy_tree, run_main
from tests.live.cli import FRESH

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
    folder, check_ = tree / FOLDER, ("--check",)
    assert check(tree, font_cache, capsys, *check_)[0] == 0
    txt = folder / "asgi_app.txt"
    txt.write_text(txt.read_text().replace("200 OK", "500 Oops"))
    (folder / "ws.svg").unlink()
    (folder / "content_md5.txt").unlink()
    code, out, err = check(tree, font_cache, capsys, *check_)
    assert code == 1, out + err
    assert "stale: assets/transcripts/asgi_app.svg" in out
    assert "missing: assets/transcripts/ws.svg" in out
    assert "orphaned: assets/transcripts/content_md5.svg" in out
    assert check(tree, font_cache, capsys)[0] == 0  # a build mends all
    assert not (folder / "content_md5.svg").exists()
    assert "500&#160;Oops" in (folder / "asgi_app.svg").read_text()
    assert check(tree, font_cache, capsys, *check_)[0] == 0


def test_a_bad_row_is_refused_naming_its_line(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    txt = tree / FOLDER / "ws.txt"
    lines = txt.read_text().splitlines()
    lines[2] = "soon\t" + lines[2].partition("\t")[2]
    txt.write_text("\n".join(lines))
    code, _, err = check(tree, font_cache, capsys, "--check")
    assert code == 2
    assert err.startswith("assets/transcripts/ws.txt:3: bad row")


def test_a_rebuild_of_the_same_run_is_byte_stable() -> None:
    """A real run of a demo makes, from nothing, the transcript committed:
    its PIDs, ports, dates and timings differ from the run that made it."""
    demo = BY_NAME["asgi_app"]
    made = dump(demo.name, rows(demo, run(demo), []))
    assert made == (ROOT / FOLDER / "asgi_app.txt").read_text()


def test_the_same_rows_interleaved_otherwise_keep_the_recording() -> None:
    """The server's log and the client's reply race: a rebuild that only
    swaps them keeps the file; one that changes a row or the pace does not."""
    old = parse((ROOT / FOLDER / "streaming_response.txt").read_bytes(), "")
    new = [*old[:4], old[5], old[4], *old[6:]]
    keys, pace = [key(row.markup) for row in new], 0.2
    assert same_run(new, old, keys, pace)
    edited = [*keys[:-1], keys[-1] + " and more"]
    assert not same_run(new, old, edited, pace)
    slower = [Row(row.delay * 2, row.markup) for row in new]
    assert not same_run(slower, old, keys, pace)


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


def test_step_waits_for_enter_before_each_client_phase_and_the_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = recording("ws_with_token")
    stops = pauses(made)
    assert len(stops) >= 4  # three attempts and the summary
    write(tmp_path, "ws_with_token", made)
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n" * len(stops)))
    shown = console("dark")
    monkeypatch.setattr("time.sleep", lambda _: None)
    assert replay("ws_with_token", shown, True, tmp_path) == 0
    assert sys.stdin.read() == ""  # every Enter was waited for
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n" * (len(stops) - 1)))
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
    plain = [row.text.plain.rstrip() for row in recording("ws")]
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
        row.text.plain.rstrip() for row in rows[1:]
    ]
    refused = make_replay("NAME=streaming_response", "HTTP=oserror")
    assert refused.returncode == 2, refused.stderr
    assert "No recording of 'streaming_response' on --http oserror" in (
        refused.stderr
    )
