"""The recorded runs (scripts/transcripts.py): every run is recorded; each
fits the issue's 40 rows at 80 columns, every row within 80 columns
(wrapped at spaces by the runner), each page of a live run of the talk
within 24 rows, no 3 s without a new row; its duration on stage; a bad row
is refused, naming its line."""

import re
from pathlib import Path

import pytest
from rich.cells import cell_len

from demos.catalog import BY_NAME, LIVE
from scripts.common import ROOT, InputError
from scripts.transcripts import (
    BY_STEM,
    FOLDER,
    RECORDINGS,
    WIDTH,
    duration,
    load,
    pages,
    parse,
    screen_rows,
)

RECORDED = sorted(p.stem for p in (ROOT / FOLDER).glob("*.txt"))


def test_every_run_is_recorded_and_nothing_else() -> None:
    """STEM.txt: NAME for every demo, NAME.HTTP for the runs the slides
    show on --http HTTP (catalog.RECORDED_ON); none left of a run gone."""
    assert sorted(BY_STEM) == RECORDED


@pytest.mark.parametrize("name", RECORDED)
def test_a_recording_fits_40_rows_at_80_columns(name: str) -> None:
    assert screen_rows(load(name)) <= 40


STAGE_ROWS = 24  # the projector's terminal: 80 columns, 24 rows
DEAD_AIR = 3.0  # seconds the stage bears without a new row
# The talk's live runs (demos.catalog.LIVE), by their recordings.
LIVE_STEMS = [r.stem for command in LIVE for r in RECORDINGS
              if r.command == command]


def test_every_live_run_of_the_talk_is_recorded() -> None:
    """Its recording is its fallback, and its pages and time on stage."""
    assert len(LIVE_STEMS) == len(LIVE)


@pytest.mark.parametrize("name", RECORDED)
def test_every_row_fits_80_columns(name: str) -> None:
    """The runner wraps each line at spaces within the terminal's width:
    a wider row would be folded by the terminal, inside a word."""
    for number, row in enumerate(load(name), 2):
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
    found = pages(load(stem))
    assert len(found) >= 3, f"{stem}: the server up, the client, the summary"
    for number, page in enumerate(found, 1):
        used = (number > 1) + screen_rows(page) + 1
        assert used <= STAGE_ROWS, (
            f"{FOLDER}/{stem}.txt: page {number} of {len(found)} takes "
            f"{used} rows of {STAGE_ROWS}"
        )


@pytest.mark.parametrize("name", RECORDED)
def test_no_recording_leaves_3_s_without_a_new_row(name: str) -> None:
    for number, row in enumerate(load(name), 2):
        assert row.delay <= DEAD_AIR, (
            f"{FOLDER}/{name}.txt:{number}: {row.delay:g} s of dead air "
            f"before {row.text.plain.strip()!r}"
        )


STAMPED = re.compile(r"^ *\+(\d+\.\d+)s ")


@pytest.mark.parametrize("stem", LIVE_STEMS)
def test_duration_is_the_whole_run_on_stage(stem: str) -> None:
    """Every delay, from Enter to the prompt: the start-up too, before the
    stamps start (at the server's start); the speaker's Enter aside."""
    made = load(stem)
    took = duration(stem)
    assert took == round(sum(row.delay for row in made), 3)
    shown = [float(m[1]) for r in made if (m := STAMPED.match(r.text.plain))]
    if BY_NAME[BY_STEM[stem].name].pace:  # its stamps: the demo's time
        assert shown, stem
        assert took >= max(shown), f"{stem}: {took} s, shows +{max(shown)}s"


def test_duration_of_a_run_not_recorded_is_an_oserror(tmp_path: Path) -> None:
    with pytest.raises(OSError, match=r"ws_with_token\.txt"):
        duration("ws_with_token", tmp_path)


@pytest.mark.parametrize(
    "line", ["soon\tGET /", "0.1 GET /", "-1\tGET /", "0\t[b]GET /[/i]"]
)
def test_a_bad_row_is_refused_naming_its_line(line: str) -> None:
    data = f"# ws: a header\n0\tfirst\n{line}\n".encode()
    where = r"^assets/transcripts/ws\.txt:3: bad row"
    with pytest.raises(InputError, match=where):
        parse(data, "assets/transcripts/ws.txt")
