"""The recorded runs drawn: a result strip under its code shows the rows
its entry selects, in the recording's order, as large as the code and
fitting under it; a live run's backup sheets show its pages, a terminal's
24 rows at most; a change to a row shown makes its picture stale; a bad
selection or a bad row is one line naming its line."""

import io
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from demos.catalog import DEMOS, LIVE
from scripts import style
from scripts.common import ROOT, InputError
from scripts.pictures import generator
from scripts.pictures.catalog import CODE, HERE, Code
from scripts.pictures.transcripts import SHEET_ROWS, backups, live, sheets
from scripts.pictures.window import ADVANCE, FONTS
from scripts.transcripts import FOLDER, RECORDINGS, load, pages, screen_rows
from tests.pictures.conftest import (
    Run,
    assert_embeds_a_subset,
    edit,
    parse,
    rows,
    size,
)

STRIPS = [code for code in CODE if code.result]
IDS = [Path(code.source).stem for code in STRIPS]


def strip(code: Code) -> str:
    return f"assets/results/{Path(code.source).stem}.svg"


def test_each_code_slide_not_run_live_shows_its_result() -> None:
    live_ = {command.split("NAME=")[1].split()[0] for command in LIVE}
    assert {Path(code.source).stem for code in STRIPS} == {
        demo.name for demo in DEMOS} - live_


@pytest.mark.parametrize("code", STRIPS, ids=IDS)
def test_a_strip_shows_rows_of_its_recording_under_its_code(
    code: Code, built: dict[str, bytes]
) -> None:
    """Rows of the recording, in its order, each with its text; as wide as
    the code's window and its text as large; the code, the gap and the
    strip fit under the slide's title."""
    svg = built[strip(code)]
    assert (ROOT / strip(code)).read_bytes() == svg, "run `make assets`"
    plain = [row.text.plain.rstrip() for row in load(Path(code.source).stem)]
    shown = rows(svg)
    at = [plain.index(row) for row in shown]
    assert at == sorted(at), f"out of the recording's order: {at}"
    assert all(w in row for w, row in zip(code.result, shown, strict=True))
    width, height, px = size(svg)
    assert (width, px) == size(built[code.output])[::2]
    assert size(built[code.output])[1] + 12 + height <= style.CONTENT[1]
    assert parse(svg).findtext("{http://www.w3.org/2000/svg}title") == (
        f"make demo NAME={Path(code.source).stem}")
    assert_embeds_a_subset(svg, "".join(code.result))


def test_a_live_run_is_drawn_in_sheets_of_a_terminal_at_most(
    built: dict[str, bytes],
) -> None:
    """Its pages in order, none split, a sheet 24 rows at most, every row
    of the run on one sheet; the talk's six live runs each have theirs."""
    assert {r.command for r in live(ROOT)} == set(LIVE)
    for run in live(ROOT):
        recorded = load(run.stem)
        found = sheets(recorded)
        assert [r for sheet in found for r in sheet] == [
            r for r in recorded if not r.breaks]
        assert all(screen_rows(sheet) <= SHEET_ROWS for sheet in found)
        assert len(found) <= len(pages(recorded))
        for output, sheet in backups(ROOT, run):
            shown = [row.rstrip() for row in rows(built[output])]
            assert shown == [r.text.plain.rstrip() for r in sheet]


def test_a_changed_row_makes_its_strip_stale(tree: Path, run: Run) -> None:
    recorded = tree / FOLDER / "ws.txt"
    edit(recorded, "Content-Type: text/plain", "Content-Type: text/html")
    assert run("--check")[0] == 0  # not a row the strip shows
    edit(recorded, "HTTP/1.1 [bold #f6a6bc]403", "HTTP/1.0 [bold #f6a6bc]403")
    assert run("--check")[:2] == (1, "stale: assets/results/ws.svg\n")
    assert run()[0] == 0
    assert "HTTP/1.0 403 Forbidden" in rows(
        (tree / "assets/results/ws.svg").read_bytes())[0]


def test_a_changed_live_run_makes_its_sheet_stale(
    tree: Path, run: Run
) -> None:
    txt = tree / FOLDER / "content_md5.txt"
    txt.write_text(txt.read_text().replace("200 OK", "500 Oops"))
    (tree / FOLDER / "streaming_response.txt").unlink()
    code, out, _ = run("--check")
    assert (code, sorted(out.splitlines())) == (1, [
        "orphaned: assets/transcripts/streaming_response.1.svg",
        "orphaned: assets/transcripts/streaming_response.2.svg",
        "stale: assets/transcripts/content_md5.1.svg"])


def test_a_bad_row_is_refused_naming_its_line(tree: Path, run: Run) -> None:
    txt = tree / FOLDER / "content_md5.txt"
    lines = txt.read_text().splitlines()
    lines[2] = "soon\t" + lines[2].partition("\t")[2]
    txt.write_text("\n".join(lines))
    code, out, err = run("--check")
    assert (code, out) == (2, "")
    assert err.startswith("assets/transcripts/content_md5.txt:3: bad row")


def _lines(wanted: str) -> list[int]:
    """The lines of ws's recording whose row shows ``wanted``."""
    return [n for n, row in enumerate(load("ws"), 2)  # 1: its header
            if wanted in row.text.plain]


def _too_many() -> tuple[str, ...]:
    """Every row of ws's recording shown once: far too many."""
    plain = [row.text.plain.strip() for row in load("ws")]
    return tuple(t for t in plain if t and sum(t in u for u in plain) == 1)


WS = next(code for code in STRIPS if code.source == "demos/ws.py")
BAD = {  # ws's result rows, changed: the error said
    "none": (lambda: ("418 Teapot",), lambda: "result[0] '418 Teapot' must "
             "match one row of assets/transcripts/ws.txt; it matches none"),
    "two": (lambda: ("client",), lambda: "result[0] 'client' must match one "
            "row of assets/transcripts/ws.txt; it matches lines "
            + ", ".join(map(str, _lines("client")))),
    "order": (lambda: ("body: b''", "403 Forbidden ("), lambda: "result[1] "
              f"'403 Forbidden (' is line {_lines('403 Forbidden (')[0]} of "
              f"assets/transcripts/ws.txt, above line {_lines('body')[0]}: "
              "list the rows in the recording's order"),
    "too_tall": (_too_many, lambda: r"the code \(\d+ px\), the 12 px gap and "
                 r"the result \(\d+ px\) are \d+ px tall, over the 560 px of "
                 r"the slide: select fewer rows, or shorten the region of "
                 r"demos/ws.py"),
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD)
def test_a_bad_selection_is_one_line_naming_its_entry(
    case: tuple[Callable[[], tuple[str, ...]], Callable[[], str]],
) -> None:
    result, said = case
    codes = [replace(c, result=result()) if c is WS else c for c in CODE]
    with pytest.raises(InputError) as raised:
        generator.pictures(ROOT, codes)
    expected = said() if "\\d" in said() else re.escape(said())
    assert re.fullmatch(f"{HERE}:{WS.line}: {expected}", str(raised.value))


def test_a_missing_recording_names_its_entry(tree: Path, run: Run) -> None:
    (tree / FOLDER / "ws.txt").unlink()
    assert run() == (2, "", f"{HERE}:{WS.line}: cannot read "
                     "assets/transcripts/ws.txt: No such file or directory\n")


def test_the_font_has_every_character_a_picture_shows() -> None:
    """Every character of the code slides' regions and of the recordings
    is in the font (the build draws what it is given)."""
    font = TTFont(io.BytesIO(FONTS[0].instance))
    covered = set(font.getBestCmap())
    assert font["hmtx"]["zero"][0] / font["head"].unitsPerEm == ADVANCE
    text = "".join(r.text.plain for recording in RECORDINGS
                   for r in load(recording.stem))
    text += "".join((ROOT / code.source).read_text() for code in CODE)
    assert {c for c in text if ord(c) not in covered} <= {"\n"}
