"""The talk's timing plan (scripts/deck/slides.py, `make timing`), computed
from slides.md: the main talk fits its 25-minute slot, it has at most six
live runs, each a recorded demo, each section's first slide says where the
clock should be, and every slide of the talk has notes to say. A slides.md
that announces an unknown run is refused, naming its line.
"""

import re
from pathlib import Path
from typing import NamedTuple

import pytest

from scripts.common import ROOT
from scripts.deck.slides import (
    END,
    MARK_S,
    MAX_LIVE_RUNS,
    SECTIONS,
    SLOT_S,
    SWITCH_S,
    WORDS_PER_MINUTE,
    Budget,
    Mark,
    Run,
    about,
    clock,
    main,
    plan,
    read_deck,
)
from scripts.transcripts import duration, path
from tests.deck.slides import Deck

NAMES, TITLES = list(SECTIONS), list(SECTIONS.values())


class Plan(NamedTuple):
    budgets: list[Budget]
    marks: list[Mark]


@pytest.fixture(scope="module")
def made(deck: Deck) -> Plan:
    return Plan(*plan(deck))


def total(made: Plan) -> float:
    return made.budgets[-1].end


def runs(made: Plan) -> list[Run]:
    return [run for budget in made.budgets for run in budget.runs]


def test_the_main_talk_fits_its_slot(made: Plan) -> None:
    heaviest = "; ".join(
        f"{b.slide.where()} {clock(b.seconds)} ({b.words} words, "
        f"{len(b.runs)} live runs)"
        for b in sorted(made.budgets, key=lambda b: -b.seconds)[:3]
    )
    assert total(made) <= SLOT_S, (
        f"the main talk takes {clock(total(made))} by the plan (`make "
        f"timing`), over its {clock(SLOT_S)}; the heaviest slides: {heaviest}"
    )


def test_at_most_six_live_runs(made: Plan) -> None:
    said = [f"slides.md:{r.line}: {r.recording.command}" for r in runs(made)]
    assert said, "the main talk announces no live run ('Live: make demo ...')"
    assert len(said) <= MAX_LIVE_RUNS, (
        f"{len(said)} live runs, at most {MAX_LIVE_RUNS}: {said}"
    )


def test_each_live_run_has_its_recording(made: Plan) -> None:
    """plan() refuses a run that is not a demo's recorded run; each it
    accepts has its transcript, the backup if the run fails on stage, and
    a duration."""
    for run in runs(made):
        said = f"slides.md:{run.line}: {run.recording.command}"
        assert path(ROOT, run.recording.stem).is_file(), said
        assert run.seconds > 0, f"{said}: its recording lasts no time"


def test_each_section_says_where_the_clock_is(made: Plan, deck: Deck) -> None:
    talk = deck.main_talk()
    starting = [p for p in deck.parts()[1:] if p.slides[0] in talk]
    assert len(made.marks) == len(starting) > 0
    wrong = []
    for mark in (m for m in made.marks if not m.fits):
        said = ("no clock mark" if mark.said is None
                else f"{about(mark.said)}, off by more than {MARK_S:g} s")
        wrong.append(
            f"slides.md:{mark.line}: slide {mark.part.slides[0].number} starts "
            f"{mark.part.section!r} at {clock(mark.planned)} by the plan"
            f" (`make timing`): write {about(mark.planned)}, not {said}"
        )
    assert wrong == [], "\n".join(wrong)


def test_every_slide_of_the_talk_has_notes(deck: Deck) -> None:
    silent = [s.where() for s in deck.main_talk() if not any(s.notes)]
    assert silent == [], f"slides with nothing to say: {silent}"


def write_deck(root: Path, notes: dict[str, str]) -> str:
    """A small slides.md in ``root``: a slide per section, "Thank You!"
    before the appendix, with ``notes`` by title; its text."""
    titles = [*TITLES[:-1], END, TITLES[-1]]
    slides = [f"## {title}\n\n<!--\n{notes[title]}\n-->" if title in notes
              else f"## {title}" for title in titles]
    text = "---\nmarp: true\n---\n\n" + "\n\n---\n\n".join(slides) + "\n"
    (root / "slides.md").write_text(text, encoding="utf-8")
    return text


def line_of(text: str, found: str) -> int:
    [line] = [n for n, x in enumerate(text.splitlines(), 1) if found in x]
    return line


def test_the_plan_adds_words_and_live_runs(tmp_path: Path) -> None:
    """Words at 140 a minute (markup, clock marks and live commands are not
    said), a live run its recording and the switch; sections' clocks."""
    first, second = TITLES[1], TITLES[2]
    write_deck(tmp_path, {
        first: "(about 0:30) One `two` **three** [four](https://x.org).",
        second: "Five. Live: make demo NAME=ws_with_token. Six.",
    })
    made = Plan(*plan(read_deck(tmp_path / "slides.md")))
    assert [b.words for b in made.budgets[1:3]] == [4, 2]
    run = duration("ws_with_token")
    expected = 6 * 60 / WORDS_PER_MINUTE + run + SWITCH_S
    assert total(made) == pytest.approx(expected)
    [mark, *rest] = made.marks
    assert (mark.planned, mark.said) == (0.0, 30.0)
    assert mark.fits
    assert rest[0].planned == pytest.approx(4 * 60 / WORDS_PER_MINUTE)
    assert not rest[0].fits, "a section start with no mark fits"


@pytest.mark.parametrize(
    ("live", "why"),
    [
        ("Live: make demo NAME=nope.", "make demo NAME=nope: no such demo"),
        ("Live: make demo NAME=ws_with_token HTTP=oserror.",
         "not recorded on HTTP=oserror"),
        ("Live: the token demo.", "'Live:' names no `make demo NAME=...`"),
    ],
)
def test_a_bad_live_run_is_refused_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], live: str, why: str
) -> None:
    title = TITLES[3]
    text = write_deck(tmp_path, {title: f"First line.\n\nSome words. {live}"})
    assert main(["--root", str(tmp_path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"slides.md:{line_of(text, live)}: "), err
    assert why in err
    assert err.count("\n") == 1, err


def test_make_timing_prints_the_plan(
    made: Plan, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = out[1 : out.index("")]  # under the header, before the total
    assert [int(row[:3]) for row in rows] == [
        b.slide.number for b in made.budgets
    ]
    for row, budget in zip(rows, made.budgets, strict=True):
        numbers = re.search(r" (\d+) +(\d+) +(\d+:\d\d)(?:  |$)", row)
        assert numbers, row
        assert int(numbers[1]) == budget.words, row
        assert int(numbers[2]) == round(budget.seconds), row
        assert numbers[3] == clock(budget.end), row
    assert f"Total: {clock(total(made))} for {len(made.budgets)} slides" in (
        "\n".join(out))
    for mark in made.marks:
        assert any(line.strip().startswith(
            f"{clock(mark.planned)}  {mark.part.section}:")
            for line in out), mark.part.section


def test_a_missing_or_misplaced_section_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The sections of notes/talk-plan.md, in order, or exit 2."""
    text = write_deck(tmp_path, {})
    trailers = TITLES[2]
    (tmp_path / "slides.md").write_text(
        text.replace(f"## {trailers}", "## Something else"), encoding="utf-8"
    )
    assert main(["--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"slides.md:1: no slide is titled {trailers!r}")
    last = f"## {TITLES[-1]}"  # the appendix, moved to the front
    moved = text.replace(f"\n\n---\n\n{last}", "").replace(
        "---\n\n## ", f"---\n\n{last}\n\n---\n\n## ", 1)
    (tmp_path / "slides.md").write_text(moved, encoding="utf-8")
    assert main(["--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    [first] = read_deck(tmp_path / "slides.md").titled(TITLES[0])
    assert err.startswith(f"slides.md:{first.line}: the section "
                          f"{NAMES[0]!r} is out of order"), err  # not first
