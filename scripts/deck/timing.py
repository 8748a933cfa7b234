"""The talk's timing plan: each slide of the main talk is given the time
its notes take to say, and each live run its notes announce ("Live: make
demo NAME=x [HTTP=y]", notes/talk-plan.md) the run's recorded duration and
the switch to the terminal and back; printed with the running clock, the
total against the slot, and the clock at each section's start."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size

from demos.catalog import BY_NAME
from scripts import transcripts
from scripts.common import InputError, reason
from scripts.deck.sections import Part, divide, main_talk, where
from scripts.deck.slides import Deck, Slide, notes_in, read_deck
from scripts.pictures import generator
from scripts.transcripts import BY_STEM, RECORDINGS, Recording

# The budget, in one place (notes/talk-plan.md, issue #17):
# 140 words a minute: a calm talking pace, the middle of the 120 to 160 a
# speaker is usually advised, with room for pauses and slide changes.
WORDS_PER_MINUTE = 140
# Per live run, besides the run itself: to the terminal, type the command,
# and back to the slides.
SWITCH_S = 20.0
SLOT_S = 25 * 60.0  # the talk's slot at the conference: 25 minutes
# The notes' clock marks ("(about 8:30)") are rounded to 30 s: a mark may
# be that far from the plan's clock.
MARK_S = 30.0
MAX_LIVE_RUNS = 6  # each run is a risk on stage, and takes time: six at most

LIVE = re.compile(r"\bLive:(?P<said>.*?)(?=\.(?:\s|$)|$)", re.MULTILINE)
COMMAND = re.compile(r"make demo NAME=(?P<name>\w+)(?: HTTP=(?P<http>\w+))?")
MARK = re.compile(r"\(about (?P<minutes>\d+):(?P<seconds>[0-5]\d)\)")
LINK = re.compile(r"!?\[(?P<text>[^\]]*)\]\([^)]*\)")  # read as its text
TAG = re.compile(r"<[^>]*>")
WORD = re.compile(r"\S*[^\W_]\S*")  # has a letter or a digit: said aloud


class MissingDuration(Exception):
    """No function says how long a recorded run takes on stage."""


def recorded(stem: str) -> float:
    """The seconds the recorded run ``stem`` takes on stage, as
    scripts.transcripts.duration() measures them from its recording."""
    duration: Callable[[str], float] | None = getattr(
        transcripts, "duration", None
    )
    if duration is None:
        raise MissingDuration(
            "scripts.transcripts.duration(stem) is missing: the live "
            "runner's change (issue #17) provides how long a recorded run "
            "takes on stage"
        )
    return duration(stem)


@dataclass(frozen=True)
class Run:
    """A live run a slide's notes announce."""

    recording: Recording
    line: int  # in slides.md
    seconds: float  # its recorded duration, without the switch

    @property
    def budget(self) -> float:
        return self.seconds + SWITCH_S


@dataclass(frozen=True)
class Budget:
    """One slide's time: its notes said, its live runs run."""

    slide: Slide
    words: int
    runs: tuple[Run, ...]
    start: float  # the clock when it comes up, in seconds

    @property
    def seconds(self) -> float:
        speaking = self.words * 60 / WORDS_PER_MINUTE
        return speaking + sum(run.budget for run in self.runs)

    @property
    def end(self) -> float:
        return self.start + self.seconds


@dataclass(frozen=True)
class Mark:
    """The clock a section's first slide says in its notes, and the plan's."""

    part: Part
    planned: float  # the plan's clock at the slide's start
    said: float | None  # "(about M:SS)" in its notes, if any
    line: int  # of the mark, or of the slide

    @property
    def fits(self) -> bool:
        return self.said is not None and abs(self.said - self.planned) <= MARK_S


@dataclass(frozen=True)
class Plan:
    deck: Deck
    budgets: tuple[Budget, ...]  # the main talk's slides
    parts: tuple[Part, ...]  # every section, the appendix too

    @property
    def total(self) -> float:
        return self.budgets[-1].end if self.budgets else 0.0

    @property
    def runs(self) -> list[Run]:
        return [run for budget in self.budgets for run in budget.runs]

    def heaviest(self, count: int) -> list[Budget]:
        return sorted(self.budgets, key=lambda b: -b.seconds)[:count]

    def marks(self) -> list[Mark]:
        """Each section's start in the main talk, but the first one's."""
        starts = {b.slide.number: b.start for b in self.budgets}
        found = []
        for part in self.parts[1:]:
            slide = part.first
            if slide.number not in starts:
                continue  # the appendix
            said, line = clock_mark(slide)
            found.append(Mark(part, starts[slide.number], said, line))
        return found


def clock_mark(slide: Slide) -> tuple[float | None, int]:
    """The first "(about M:SS)" of ``slide``'s notes, in seconds, and its
    line; None and the slide's line if there is none."""
    for offset, note in notes_in(slide.markdown):
        if mark := MARK.search(note):
            seconds = 60.0 * int(mark["minutes"]) + int(mark["seconds"])
            return seconds, slide.line_at(offset + mark.start())
    return None, slide.line


def clock(seconds: float) -> str:
    """``seconds`` as m:ss."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def about(seconds: float) -> str:
    """The clock mark the notes should say: rounded to 30 s."""
    return f"(about {clock(round(seconds / MARK_S) * MARK_S)})"


def spoken(note: str) -> str:
    """What the speaker says of a note: not its markup, clock marks, or
    live commands (typed: their run's budget has the time)."""
    note = LIVE.sub(lambda live: COMMAND.sub(" ", live["said"]), note)
    return TAG.sub(" ", LINK.sub(r"\g<text>", MARK.sub(" ", note)))


def words(slide: Slide) -> int:
    """How many words the speaker says on ``slide``."""
    return sum(len(WORD.findall(spoken(note))) for note in slide.notes)


def unknown(recording: Recording) -> str | None:
    """Why ``recording`` cannot be run live, or None."""
    if recording.name not in BY_NAME:
        return f"no demo {recording.name!r} (`make demos` lists them)"
    if recording.stem not in BY_STEM:
        others = [r.command for r in RECORDINGS if r.http == recording.http]
        runs = ", ".join(others) or "none"
        http = f"HTTP={recording.http}"
        return f"not recorded on {http} (the runs on {http}: {runs})"
    return None


def announced(deck: Deck, slide: Slide) -> list[tuple[Recording, int]]:
    """The live runs ``slide``'s notes announce, with their lines;
    InputError for a "Live:" that names no run, or an unknown one."""
    found = []
    for offset, note in notes_in(slide.markdown):
        for sentence in LIVE.finditer(note):
            start = offset + sentence.start("said")
            commands = list(COMMAND.finditer(sentence["said"]))
            if not commands:
                empty = "'Live:' names no `make demo NAME=...` run"
                raise InputError(where(deck), slide.line_at(start), empty)
            for command in commands:
                recording = Recording(command["name"], command["http"])
                line = slide.line_at(start + command.start())
                if why := unknown(recording):
                    said = f"Live: {recording.command}: {why}"
                    raise InputError(where(deck), line, said)
                found.append((recording, line))
    return found


def plan(deck: Deck) -> Plan:
    """The main talk's budget, slide by slide; InputError at a bad slide."""
    parts = divide(deck)
    slides = main_talk(deck)
    runs = {slide.number: announced(deck, slide) for slide in slides}
    durations = {r.stem: recorded(r.stem) for s in runs.values() for r, _ in s}
    budgets: list[Budget] = []
    for slide in slides:
        start = budgets[-1].end if budgets else 0.0
        made = tuple(Run(r, line, durations[r.stem])
                     for r, line in runs[slide.number])
        budgets.append(Budget(slide, words(slide), made, start))
    return Plan(deck, tuple(budgets), parts)


def table(made: Plan) -> list[str]:
    """The plan slide by slide, with its running clock."""
    lines = [f"{'#':>3}  {'Slide':<44} {'Words':>5} {'Seconds':>7} "
             f"{'Clock':>6}  Live runs (recorded s + {SWITCH_S:g} s)"]
    for budget in made.budgets:
        title = set_cell_size(budget.slide.title or "(untitled)", 44)
        if cell_len(budget.slide.title or "") > 44:
            title = set_cell_size(title, 43) + "…"
        runs = ", ".join(f"{r.recording.stem} ({r.seconds:.0f} + "
                         f"{SWITCH_S:g})" for r in budget.runs)
        lines.append(
            f"{budget.slide.number:>3}  {title} {budget.words:>5} "
            f"{budget.seconds:>7.0f} {clock(budget.end):>6}  {runs}".rstrip()
        )
    return lines


def summary(made: Plan) -> list[str]:
    """The total against the slot, the heaviest slides, the sections."""
    over = made.total - SLOT_S
    verdict = (f"over the {clock(SLOT_S)} slot by {clock(over)}" if over > 0
               else f"{clock(-over)} left of the {clock(SLOT_S)} slot")
    heavy = ", ".join(f"{b.slide.number} ({clock(b.seconds)})"
                      for b in made.heaviest(3))
    lines = [
        f"Total: {clock(made.total)} for {len(made.budgets)} slides and "
        f"{len(made.runs)} live runs (at most {MAX_LIVE_RUNS}): {verdict}.",
        f"Heaviest slides: {heavy}.",
        "Sections, and the clock at their first slide:",
        f"{clock(0):>7}  {made.parts[0].section.name}",
    ]
    for mark in made.marks():
        said = "no clock mark" if mark.said is None else about(mark.said)
        advice = "ok" if mark.fits else f"write {about(mark.planned)}"
        lines.append(f"{clock(mark.planned):>7}  {mark.part.section.name}: "
                     f"the notes say {said}, {advice}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = generator.parser(__name__)
    parser.epilog = (
        f"{WORDS_PER_MINUTE} words a minute, a live run's recording and "
        f"{SWITCH_S:g} s; the slot is {clock(SLOT_S)}. Exit codes: 0 printed "
        "(over the slot too), 1 no run's duration known, 2 bad slides.md."
    )
    args = parser.parse_args(argv)
    try:
        made = plan(read_deck(args.root / "slides.md"))
    except OSError as error:
        print(reason(error, args.root), file=sys.stderr)
        return 2
    except InputError as error:
        print(error, file=sys.stderr)
        return 2
    except MissingDuration as error:
        print(error, file=sys.stderr)
        return 1
    print("\n".join([*table(made), "", *summary(made)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
