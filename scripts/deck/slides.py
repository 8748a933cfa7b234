"""slides.md read as Marp reads it (markdown-it): the front matter, a slide
per ruler, in each its comments: directives (Marp's ``key: value``) or notes;
the talk's sections (notes/talk-plan.md), in order; the main talk to END; its
timing plan (``make timing``): the time each slide's notes take to say, and
each live run they announce ("Live: make demo NAME=x"), with the switch."""

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from markdown_it import MarkdownIt
from markdown_it.token import Token
from rich.text import Text

from demos.catalog import BY_NAME
from scripts.common import ROOT, InputError, command, reason
from scripts.transcripts import BY_STEM, Recording, duration

SLIDES = ROOT / "slides.md"
MARKDOWN = MarkdownIt("commonmark").enable("table")
COMMENT = re.compile(r"<!--(?P<body>.*?)-->", re.DOTALL)
DIRECTIVE = re.compile(
    r"^\s*_?(class|paginate|header|footer|background\w*|color|theme|size|"
    r"style|headingDivider|marp|math|title|author|description|lang|url|"
    r"image|transition)\s*:")
INLINE_IMG = re.compile(r'<img\b[^>]*?\balt="(?P<alt>[^"]*)"[^>]*>')
WIDTH = re.compile(r"\b(?:w|width):(\d+)")

SECTIONS = {  # each section's name, and the title of the slide it starts at
    "Introduction": "Unlocking ASGI Innovations",
    "WebSocket Denial Response": "WebSocket Denial Response",
    "HTTP Trailers": "HTTP Trailers",
    "Client Disconnection": "Client Disconnection",
    "The prototype, and FastAPI":
        "Prototype of uvicorn #3085 (open), on 0.54.0",
    "Conclusion": "Conclusion",
    "Appendix": "Appendix",
}
END = "Thank You!"  # the main talk's last slide


class Picture(NamedTuple):
    url: str  # ![alt](url)
    width: int | None  # w:N in its alt


@dataclass
class Slide:
    number: int  # 1-based, as Marp counts
    line: int  # where its Markdown starts in the file
    markdown: str = ""
    title: str | None = None  # its first heading, an <img> read as its alt
    pictures: list[Picture] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    directives: dict[str, str] = field(default_factory=dict)

    def where(self) -> str:
        return f"slides.md:{self.line}: slide {self.number} {self.title!r}"

    def line_of(self, text: str) -> int:
        """The line of the file where ``text`` first is in the slide."""
        found = max(self.markdown.find(text), 0)
        return self.line + self.markdown.count("\n", 0, found)


class Part(NamedTuple):
    section: str
    slides: tuple[Slide, ...]  # the first titled as SECTIONS says


@dataclass(frozen=True)
class Deck:
    front_matter: dict[str, str]
    slides: tuple[Slide, ...]

    def titled(self, title: str) -> list[Slide]:
        return [slide for slide in self.slides if slide.title == title]

    def main_talk(self) -> tuple[Slide, ...]:
        """The slides from the first to the one titled ``END``."""
        if not (ends := self.titled(END)):
            why = f"no slide is titled {END!r}: the main talk ends there"
            raise InputError("slides.md", 1, why)
        return self.slides[: self.slides.index(ends[0]) + 1]

    def parts(self) -> tuple[Part, ...]:
        """The deck in sections, each from the first slide titled as
        ``SECTIONS`` says, in order, the first at slide 1; or InputError."""
        starts: list[int] = []
        for section, title in SECTIONS.items():
            if not (found := self.titled(title)):
                raise InputError("slides.md", 1, f"no slide is titled "
                                 f"{title!r}, which starts {section!r}")
            starts.append(self.slides.index(found[0]))
            if starts != sorted(set(starts)) or starts[0] != 0:
                raise InputError("slides.md", found[0].line, f"the section "
                                 f"{section!r} is out of order: see "
                                 "SECTIONS in scripts/deck/slides.py")
        ends = [*starts[1:], len(self.slides)]
        return tuple(Part(section, self.slides[start:end]) for section, start,
                     end in zip(SECTIONS, starts, ends, strict=True))


def read(slide: Slide, token: Token) -> None:
    """What ``token`` adds to a slide."""
    if token.type == "heading_open" and slide.title is None:
        slide.title = ""  # the next inline token holds its text
    elif token.type == "inline" and slide.title == "":
        slide.title = INLINE_IMG.sub(r"\g<alt>", token.content)
    children = token.children or []
    for image in (child for child in children if child.type == "image"):
        width = WIDTH.search(image.content)
        slide.pictures.append(Picture(str(image.attrGet("src")),
                                      width and int(width[1])))
    html = [child.content for child in children if child.type == "html_inline"]
    for content in [token.content] if token.type == "html_block" else html:
        for body in (c["body"] for c in COMMENT.finditer(content)):
            rows = [row for row in body.splitlines() if row.strip()]
            if rows and all(DIRECTIVE.match(row) for row in rows):
                pairs = (row.partition(":") for row in rows)
                slide.directives.update((k.strip(), v.strip())
                                        for k, _, v in pairs)
            else:
                slide.notes.append(body.strip())


def read_deck(path: Path = SLIDES) -> Deck:
    """slides.md (or a deck written the same way), slide by slide."""
    lines, first, matter = path.read_text("utf-8").splitlines(), 0, {}
    if lines and lines[0].strip() == "---":  # the front matter
        first = lines.index("---", 1) + 1
        pairs = (line.partition(":") for line in lines[1 : first - 1])
        matter = {k.strip(): v.strip().strip("\"'") for k, _, v in pairs
                  if k[:1].strip()}
    slides = [Slide(1, first + 1)]
    for token in MARKDOWN.parse("\n".join(lines[first:])):
        if token.type == "hr" and token.map:  # the line after it starts one
            slides.append(Slide(len(slides) + 1, first + token.map[1] + 1))
        else:
            read(slides[-1], token)
    ends = [slide.line - 2 for slide in slides[1:]] + [None]  # at a ruler
    for slide, end in zip(slides, ends, strict=True):
        slide.markdown = "\n".join(lines[slide.line - 1 : end])
    return Deck(matter, tuple(slides))


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
    root = command("scripts.deck.slides", __doc__ or "", "2 bad slides.md",
                   root={"type": Path, "default": ROOT, "help": "the folder "
                         "of slides.md"}).parse_args(argv).root
    try:  # the whole report, or nothing
        print(report(*plan(read_deck(root / "slides.md"))))
    except (OSError, InputError) as error:
        said = reason(error, root) if isinstance(error, OSError) else error
        print(said, file=sys.stderr)
        return 2
    return 0

if __name__ == "__main__":
    sys.exit(main())
