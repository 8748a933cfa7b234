"""slides.md parsed: ``read_deck()`` splits it into slides the way Marp
does (front matter, ``---`` rulers outside code fences, HTML comments as
directives or speaker notes). The build (the timing plan, the handouts'
outline and notes) and the tests (tests/deck/slides.py) read it here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scripts.common import ROOT

SLIDES = ROOT / "slides.md"

IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<url>[^)\s]+)\)")
COMMENT = re.compile(r"<!--(?P<body>.*?)-->", re.DOTALL)
DIRECTIVE = re.compile(
    r"^\s*_?(class|paginate|header|footer|backgroundColor|backgroundImage|"
    r"backgroundPosition|backgroundRepeat|backgroundSize|color|theme|size|"
    r"style|headingDivider|marp|math|title|author|description|lang|url|"
    r"image|transition)\s*:"
)
HEADING = re.compile(r"^(#{1,6})\s+(?P<text>.+?)\s*$")
# An inline picture reads as its alt text: the Logfire slide's local emoji.
INLINE_IMG = re.compile(r'<img\b[^>]*?\balt="(?P<alt>[^"]*)"[^>]*>')


@dataclass(frozen=True)
class Picture:
    """An image a slide shows: ``![alt](url)``."""

    url: str
    width: int | None
    background: bool
    line: int


@dataclass(frozen=True)
class Slide:
    """One slide of slides.md."""

    number: int  # 1-based, as Marp counts
    line: int  # where its Markdown starts in the file
    markdown: str
    title: str | None  # its first heading
    pictures: tuple[Picture, ...]
    notes: tuple[str, ...]  # HTML comments that are not directives
    directives: dict[str, str]

    def where(self) -> str:
        title = self.title or "(untitled)"
        return f"slides.md:{self.line}: slide {self.number} {title!r}"

    def line_at(self, offset: int) -> int:
        """The line of the file at ``offset`` in the slide's Markdown."""
        return self.line + self.markdown.count("\n", 0, offset)


@dataclass(frozen=True)
class Deck:
    front_matter: dict[str, str]
    slides: tuple[Slide, ...]
    path: Path = SLIDES  # the file read

    def titled(self, title: str) -> list[Slide]:
        return [slide for slide in self.slides if slide.title == title]


def split(text: str) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """Front matter, and each slide's Markdown with its first line number."""
    lines = text.splitlines()
    front: dict[str, str] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        for line in lines[1:end]:
            key, _, value = line.partition(":")
            if key.strip() and not key.startswith((" ", "\t")):
                front[key.strip()] = value.strip().strip("\"'")
        start = end + 1
    chunks: list[tuple[int, str]] = []
    current: list[str] = []
    first = start + 1
    fence = False
    for index in range(start, len(lines)):
        line = lines[index]
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        if line.strip() == "---" and not fence:
            chunks.append((first, "\n".join(current)))
            current, first = [], index + 2
        else:
            current.append(line)
    chunks.append((first, "\n".join(current)))
    return front, chunks


def comments(markdown: str) -> Iterator[tuple[int, str, bool]]:
    """Each HTML comment: where its body starts, the body stripped, and
    whether it is directives (every line ``key: value``) or a note."""
    for comment in COMMENT.finditer(markdown):
        body = comment.group("body").strip()
        lines = [line for line in body.splitlines() if line.strip()]
        directive = bool(lines) and all(DIRECTIVE.match(x) for x in lines)
        yield comment.start("body"), body, directive


def notes_in(markdown: str) -> Iterator[tuple[int, str]]:
    """The speaker notes of a slide's Markdown, with where each starts."""
    for offset, body, directive in comments(markdown):
        if not directive:
            yield offset, body


def title_of(markdown: str) -> str | None:
    """A slide's first heading outside code, an inline picture as its alt."""
    fence = False
    for line in COMMENT.sub("", markdown).splitlines():
        if line.lstrip().startswith("```"):
            fence = not fence
        heading = HEADING.match(line)
        if heading and not fence:
            return INLINE_IMG.sub(r"\g<alt>", heading.group("text"))
    return None


def pictures_in(markdown: str, first: int) -> tuple[Picture, ...]:
    """The images a slide shows (not those inside a comment)."""
    hidden = [(c.start(), c.end()) for c in COMMENT.finditer(markdown)]
    pictures = []
    for match in IMAGE.finditer(markdown):
        if any(start <= match.start() < end for start, end in hidden):
            continue  # an image inside a comment is not shown
        alt = match.group("alt")
        width = re.search(r"\b(?:w|width):(\d+)", alt)
        pictures.append(
            Picture(
                url=match.group("url"),
                width=int(width.group(1)) if width else None,
                background=bool(re.search(r"(^|\s)bg(\s|$|:)", alt)),
                line=first + markdown[: match.start()].count("\n"),
            )
        )
    return tuple(pictures)


def read_deck(path: Path = SLIDES) -> Deck:
    """slides.md (or a seed written the same way), slide by slide."""
    front, chunks = split(path.read_text(encoding="utf-8"))
    slides = []
    for number, (first, markdown) in enumerate(chunks, start=1):
        notes, directives = [], {}
        for _, body, directive in comments(markdown):
            if not directive:
                notes.append(body)
                continue
            for line in body.splitlines():
                if line.strip():
                    key, _, value = line.partition(":")
                    directives[key.strip()] = value.strip()
        slides.append(
            Slide(
                number=number,
                line=first,
                markdown=markdown,
                title=title_of(markdown),
                pictures=pictures_in(markdown, first),
                notes=tuple(notes),
                directives=directives,
            )
        )
    return Deck(front, tuple(slides), path)
