"""Draw the deck's pictures: monospaced text, wrapped and coloured, on panels.

A ``Canvas`` collects SVG elements in the coordinates of the slide (the
picture is shown at its own width, so one unit is one slide pixel). Text
stays ``<text>``; inline code, written between backticks, gets its own
colour. Every piece of text is recorded with its size, its colour and the
colour behind it, so the generator can refuse an illegible picture.
"""

import base64
from collections.abc import Iterable
from dataclasses import dataclass, field
from html import escape

from scripts.assets import theme

SVG_NS = "http://www.w3.org/2000/svg"
LINE_HEIGHT = 1.35  # of the font size, for wrapped text
# Where the middle of the ink sits above the baseline (as in the code images).
INK_MIDDLE = theme.INK_MIDDLE


class LayoutError(ValueError):
    """Text that cannot be laid out: the generator cites the data's line."""


@dataclass(frozen=True)
class Run:
    """A stretch of text in one style: plain, or inline code."""

    text: str
    code: bool = False


def runs(text: str) -> list[Run]:
    """Split ``text`` on backticks: odd pieces are inline code."""
    pieces = text.split("`")
    if len(pieces) % 2 == 0:
        raise LayoutError(f"unbalanced backtick in {text!r}")
    return [
        Run(piece, code=index % 2 == 1)
        for index, piece in enumerate(pieces)
        if piece
    ]


def wrap(text: str, columns: int) -> list[list[Run]]:
    """Greedy word wrap of ``text`` (with backtick code) to ``columns``.

    Spaces inside inline code do not break a line, so a code span is
    never split across lines.
    """
    words: list[list[tuple[str, bool]]] = [[]]
    for run in runs(text):
        for character in run.text:
            if character == " " and not run.code:
                if words[-1]:
                    words.append([])
            else:
                words[-1].append((character, run.code))
    words = [word for word in words if word]
    lines: list[list[tuple[str, bool]]] = []
    for word in words:
        if len(word) > columns:
            shown = "".join(c for c, _ in word)
            raise LayoutError(
                f"{shown!r} is {len(word)} columns, wider than the "
                f"{columns} the picture has room for"
            )
        if lines and len(lines[-1]) + 1 + len(word) <= columns:
            lines[-1].append((" ", False))
            lines[-1].extend(word)
        else:
            lines.append(list(word))
    return [_merge(line) for line in lines]


def _merge(characters: list[tuple[str, bool]]) -> list[Run]:
    merged: list[Run] = []
    for character, code in characters:
        if merged and merged[-1].code == code:
            merged[-1] = Run(merged[-1].text + character, code)
        else:
            merged.append(Run(character, code))
    return merged


def n(value: float) -> str:
    """A coordinate with at most two decimals, and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class Ink:
    """One piece of text as drawn: for the legibility checks."""

    text: str
    size: float
    colour: str
    background: str


@dataclass
class Canvas:
    """SVG elements in slide pixels, and what their text needs."""

    advance_em: float  # the monospaced font's advance, in ems
    parts: list[str] = field(default_factory=list)
    inks: list[Ink] = field(default_factory=list)
    regular: set[str] = field(default_factory=set)
    bold: set[str] = field(default_factory=set)

    def width_of(self, text: str, size: float) -> float:
        return len(text) * self.advance_em * size

    def columns(self, width: float, size: float) -> int:
        """How many characters of ``size`` fit in ``width``."""
        return int(width // (self.advance_em * size))

    def rect(
        self,
        x: float,
        y: float,
        width: float,
        height: float,
        fill: str,
        radius: float = 0,
        stroke: str | None = None,
    ) -> None:
        rounded = f' rx="{n(radius)}"' if radius else ""
        outline = f' stroke="{stroke}" stroke-width="2"' if stroke else ""
        self.parts.append(
            f'<rect x="{n(x)}" y="{n(y)}" width="{n(width)}" '
            f'height="{n(height)}"{rounded} fill="{fill}"{outline}/>'
        )

    def path(self, d: str, **attributes: str) -> None:
        extra = "".join(
            f' {name.replace("_", "-")}="{value}"'
            for name, value in attributes.items()
        )
        self.parts.append(f'<path d="{d}"{extra}/>')

    def line_box(self, top: float, size: float) -> float:
        """The baseline of a line of ``size`` whose box starts at ``top``."""
        return top + LINE_HEIGHT * size / 2 + INK_MIDDLE * size

    def text(
        self,
        x: float,
        top: float,
        content: str | list[Run],
        *,
        size: float,
        colour: str,
        background: str,
        code_colour: str | None = None,
        bold: bool = False,
        align: str = "start",
    ) -> float:
        """One line of text whose line box starts at ``top``; its width.

        ``align`` is ``start``, ``middle`` or ``end`` about ``x``; the
        position is computed from the font's advance, so every renderer
        puts the text at the same place.
        """
        pieces = runs(content) if isinstance(content, str) else content
        plain = "".join(piece.text for piece in pieces)
        width = self.width_of(plain, size)
        left = {"start": x, "middle": x - width / 2, "end": x - width}[align]
        (self.bold if bold else self.regular).update(plain)
        spans = []
        for piece in pieces:
            fill = code_colour if piece.code and code_colour else colour
            self.inks.append(Ink(piece.text, size, fill, background))
            body = escape(piece.text, quote=False)
            if fill == colour:
                spans.append(body)
            else:
                spans.append(f'<tspan fill="{fill}">{body}</tspan>')
        weight = ' font-weight="700"' if bold else ""
        self.parts.append(
            f'<text x="{n(left)}" y="{n(self.line_box(top, size))}" '
            f'font-size="{n(size)}" fill="{colour}"{weight}>'
            f"{''.join(spans)}</text>"
        )
        return width

    def paragraph(
        self,
        x: float,
        top: float,
        text: str,
        *,
        width: float,
        size: float,
        colour: str,
        background: str,
        code_colour: str | None = None,
        bold: bool = False,
        align: str = "start",
    ) -> float:
        """``text`` wrapped to ``width``; returns the height it took."""
        lines = wrap(text, self.columns(width, size))
        for index, line in enumerate(lines):
            self.text(
                x,
                top + index * LINE_HEIGHT * size,
                line,
                size=size,
                colour=colour,
                background=background,
                code_colour=code_colour,
                bold=bold,
                align=align,
            )
        return len(lines) * LINE_HEIGHT * size

    def measure(self, text: str, *, width: float, size: float) -> float:
        """The height ``paragraph`` would take, without drawing."""
        return len(wrap(text, self.columns(width, size))) * LINE_HEIGHT * size


def style(family: str, fonts: Iterable[tuple[int, bytes]]) -> str:
    """The picture's CSS: its embedded font subsets, and text defaults."""
    rules = [
        f'@font-face{{font-family:"{family}";font-weight:{weight};'
        f"src:url(data:font/woff2;base64,{base64.b64encode(data).decode()})"
        ' format("woff2")}'
        for weight, data in fonts
    ]
    rules.append(
        f'text{{font-family:"{family}",monospace;'
        'font-variant-ligatures:none;font-feature-settings:"liga" 0,"calt" 0;'
        "white-space:pre}"
    )
    return "\n".join(rules)


def document(
    *,
    width: float,
    height: float,
    title: str,
    marker: str,
    css: str,
    body: list[str],
) -> str:
    """The SVG document, as text."""
    w, h = n(width), n(height)
    return (
        "\n".join(
            [
                f'<svg xmlns="{SVG_NS}" width="{w}" height="{h}" '
                f'viewBox="0 0 {w} {h}" role="img" aria-labelledby="title">',
                marker,
                f'<title id="title">{escape(title, quote=False)}</title>',
                f"<style>\n{css}\n</style>",
                *body,
                "</svg>",
            ]
        )
        + "\n"
    )
