"""slides.md parsed: ``read_deck()`` splits it into slides the way Marp
does (front matter, ``---`` rulers outside code fences, HTML comments as
directives or speaker notes). Every test computes what it expects from it,
so slides can be added or moved without touching the tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SLIDES = ROOT / "slides.md"
THEME = ROOT / "themes" / "asgi.css"
SEED = ROOT.parent / "shared" / "seed" / "000_ab53862537946b54.txt"

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


@dataclass(frozen=True)
class Deck:
    front_matter: dict[str, str]
    slides: tuple[Slide, ...]

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


def read_deck(path: Path = SLIDES) -> Deck:
    """slides.md (or a seed written the same way), slide by slide."""
    front, chunks = split(path.read_text(encoding="utf-8"))
    slides = []
    for number, (first, markdown) in enumerate(chunks, start=1):
        notes, directives = [], {}
        for comment in COMMENT.finditer(markdown):
            body = comment.group("body").strip()
            lines = [line for line in body.splitlines() if line.strip()]
            if lines and all(DIRECTIVE.match(line) for line in lines):
                for line in lines:
                    key, _, value = line.partition(":")
                    directives[key.strip()] = value.strip()
            else:
                notes.append(body)
        visible = COMMENT.sub("", markdown)
        title = None
        fence = False
        for line in visible.splitlines():
            if line.lstrip().startswith("```"):
                fence = not fence
            heading = HEADING.match(line)
            if heading and not fence:
                title = INLINE_IMG.sub(r"\g<alt>", heading.group("text"))
                break
        pictures = []
        for match in IMAGE.finditer(markdown):
            if any(
                c.start() <= match.start() < c.end()
                for c in COMMENT.finditer(markdown)
            ):
                continue  # an image inside a comment is not shown
            alt = match.group("alt")
            width = re.search(r"\b(?:w|width):(\d+)", alt)
            line = first + markdown[: match.start()].count("\n")
            pictures.append(
                Picture(
                    url=match.group("url"),
                    width=int(width.group(1)) if width else None,
                    background=bool(re.search(r"(^|\s)bg(\s|$|:)", alt)),
                    line=line,
                )
            )
        slides.append(
            Slide(
                number=number,
                line=first,
                markdown=markdown,
                title=title,
                pictures=tuple(pictures),
                notes=tuple(notes),
                directives=directives,
            )
        )
    return Deck(front, tuple(slides))


# What a command looks like: the code spans and code-block lines of the
# deck that start like one.
STARTS = re.compile(r"^(?:(?:make|uv|uvx|python3?|curl|uvicorn|pytest|pip|"
                    r"npm|npx|marp)(?:\s|$)|\.venv/|\./)")
SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def shown_commands(text: str) -> list[str]:
    """The commands slides.md shows, in order, each once."""
    found = [line.strip() for block in FENCE.findall(text)
             for line in block.splitlines() if line.strip()]
    found += SPAN.findall(FENCE.sub("", text))
    commands = [" ".join(words.split()) for words in found]
    return list(dict.fromkeys(c for c in commands if STARTS.match(c)))
