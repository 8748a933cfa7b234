"""The talk's timing plan: each slide of the main talk takes the time its
notes take to say, and each live run they announce ("Live: make demo
NAME=x [HTTP=y]") its recording's and the switch to the terminal."""

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from rich.text import Text

from demos.catalog import BY_NAME
from scripts.common import ROOT, InputError, command, reason
from scripts.deck.slides import SECTIONS, Deck, Part, Slide, read_deck
from scripts.transcripts import BY_STEM, Recording, duration

# 140 words a minute: a calm pace, the middle of the 120 to 160 a speaker
# is advised, with room for pauses and slide changes. Per live run, besides
# the run itself: to the terminal, type the command, and back.
WORDS_PER_MINUTE, SWITCH_S = 140, 20.0
SLOT_S = 25 * 60.0  # the talk's slot at the conference
MARK_S = 30.0  # the notes' clock marks, "(about 8:30)", are rounded to 30 s
MAX_LIVE_RUNS = 6  # each run is a risk on stage, and takes time

LIVE = re.compile(r"\bLive:(?P<said>.*?)(?=\.(?:\s|$)|$)", re.MULTILINE)
COMMAND = re.compile(r"make demo NAME=(?P<name>\w+)(?: HTTP=(?P<http>\w+))?")
MARK = re.compile(r"\(about (\d+):([0-5]\d)\)")  # minutes, seconds
MARKUP = re.compile(r"<[^>]*>|!?\[(?P<text>[^\]]*)\]\([^)]*\)")  # [text](url)
WORD = re.compile(r"\S*[^\W_]\S*")  # has a letter or a digit: said aloud


class Run(NamedTuple):  # a live run a slide's notes announce
    recording: Recording
    line: int  # in slides.md
    seconds: float  # as recorded, without the switch


class Budget(NamedTuple):  # a slide's time: its notes said, its runs run
    slide: Slide
    words: int
    runs: tuple[Run, ...]
    seconds: float
    end: float  # the clock when the next slide comes up


class Mark(NamedTuple):  # where a section of the main talk starts
    part: Part
    planned: float  # the plan's clock
    said: float | None  # its first slide's notes': "(about M:SS)", or none
    line: int  # of the mark, or of the slide

    @property
    def fits(self) -> bool:
        return self.said is not None and abs(self.said - self.planned) <= MARK_S


def clock(seconds: float) -> str:  # M:SS
    return "{}:{:02d}".format(*divmod(round(seconds), 60))


def about(seconds: float) -> str:
    """The clock mark the notes should say: rounded to 30 s."""
    return f"(about {clock(round(seconds / MARK_S) * MARK_S)})"


def words(slide: Slide) -> int:
    """The words the speaker says on ``slide``: not the markup, the clock
    marks, or the live commands (typed: their run's budget has the time)."""
    said = LIVE.sub(lambda live: COMMAND.sub(" ", live["said"]),
                    "\n".join(slide.notes))
    said = MARKUP.sub(lambda m: m["text"] or " ", MARK.sub(" ", said))
    return len(WORD.findall(said))


def announced(slide: Slide) -> tuple[Run, ...]:
    """The live runs ``slide``'s notes announce; InputError for a "Live:"
    that names no run, or one not recorded."""
    runs = []
    for live in (live for note in slide.notes for live in LIVE.finditer(note)):
        line = slide.line_of(live[0])
        if not (commands := list(COMMAND.finditer(live["said"]))):
            why = "'Live:' names no `make demo NAME=...` run"
            raise InputError("slides.md", line, why)
        for typed in commands:
            recording = Recording(typed["name"], typed["http"])
            if recording.stem not in BY_STEM:
                why = f"not recorded on HTTP={recording.http}" if (
                    recording.name in BY_NAME) else "no such demo"
                raise InputError("slides.md", line,
                                 f"Live: {recording.command}: {why}")
            runs.append(Run(recording, line, duration(recording.stem)))
    return tuple(runs)


def plan(deck: Deck) -> tuple[list[Budget], list[Mark]]:
    """Each slide's budget, each section's start; InputError at a bad one."""
    parts, budgets, end = deck.parts(), list[Budget](), 0.0
    for slide in deck.main_talk():
        runs, count = announced(slide), words(slide)
        seconds = count * 60 / WORDS_PER_MINUTE + sum(
            run.seconds + SWITCH_S for run in runs)
        end += seconds
        budgets.append(Budget(slide, count, runs, seconds, end))
    starts = {b.slide.number: b.end - b.seconds for b in budgets}
    marks: list[Mark] = []  # each section's start in the talk, but the first
    for part in (p for p in parts[1:] if p.slides[0].number in starts):
        slide = part.slides[0]  # its notes' first "(about M:SS)", if any
        found = MARK.search("\n".join(slide.notes))
        said = 60.0 * int(found[1]) + int(found[2]) if found else None
        line = slide.line_of(found[0]) if found else slide.line
        marks.append(Mark(part, starts[slide.number], said, line))
    return budgets, marks


def report(budgets: list[Budget], marks: list[Mark]) -> str:
    """Each slide's time and clock; the total; each section's start."""
    lines = [f"{'#':>3}  {'Slide':<44} {'Words':>5} {'Seconds':>7} "
             f"{'Clock':>6}  Live runs (recorded s + {SWITCH_S:g} s)"]
    for budget in budgets:
        title = Text(budget.slide.title or "(untitled)")
        title.truncate(44, overflow="ellipsis", pad=True)
        runs = ", ".join(f"{r.recording.stem} ({r.seconds:.0f} + "
                         f"{SWITCH_S:g})" for r in budget.runs)
        lines.append(f"{budget.slide.number:>3}  {title} {budget.words:>5} "
                     f"{budget.seconds:>7.0f} {clock(budget.end):>6}  "
                     f"{runs}".rstrip())
    total, over = budgets[-1].end, budgets[-1].end - SLOT_S
    verdict = (f"over the {clock(SLOT_S)} slot by {clock(over)}" if over > 0
               else f"{clock(-over)} left of the {clock(SLOT_S)} slot")
    live = sum(len(budget.runs) for budget in budgets)
    lines += [
        "", f"Total: {clock(total)} for {len(budgets)} slides and {live} live"
        f" runs (at most {MAX_LIVE_RUNS}): {verdict}.",
        "Sections, and the clock at their first slide:",
        f"{clock(0):>7}  {next(iter(SECTIONS))}",
    ]
    for mark in marks:
        said = "no clock mark" if mark.said is None else about(mark.said)
        advice = "ok" if mark.fits else f"write {about(mark.planned)}"
        lines.append(f"{clock(mark.planned):>7}  {mark.part.section}: "
                     f"the notes say {said}, {advice}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    root = command("scripts.deck.timing", __doc__ or "", "2 bad slides.md",
                   root={"type": Path, "default": ROOT, "help": "the folder "
                         "of slides.md"}).parse_args(argv).root
    try:
        made = plan(read_deck(root / "slides.md"))
    except (OSError, InputError) as error:
        said = reason(error, root) if isinstance(error, OSError) else error
        print(said, file=sys.stderr)
        return 2
    print(report(*made))
    return 0

if __name__ == "__main__":
    sys.exit(main())
