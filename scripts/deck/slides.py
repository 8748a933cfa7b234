"""slides.md read as Marp reads it (markdown-it): the front matter, a slide
per ruler, in each its comments: directives (Marp's ``key: value``) or notes;
the talk's sections (notes/talk-plan.md), in order; the main talk to END."""

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from markdown_it import MarkdownIt
from markdown_it.token import Token

from scripts.common import ROOT, InputError

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
