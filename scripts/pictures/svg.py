"""The deck's SVG toolkit: a ``Canvas`` in slide pixels, text ``Style``s
placed by the font's advance, and ``document``: the checked SVG."""

import base64
from dataclasses import dataclass, field, replace
from html import escape
from itertools import groupby
from pathlib import Path
from typing import Annotated, NamedTuple

from pydantic import Field

from scripts.pictures import generator, theme
from scripts.pictures.code_images import MANIFEST
from scripts.pictures.fonts import Font
from scripts.pictures.manifest import Model, load_manifest
from scripts.style import contrast

SVG_NS = "http://www.w3.org/2000/svg"
FAMILY = "Deck Mono"
Run = tuple[str, bool]  # a stretch of text, and whether it is inline code
Fonts = tuple[Font, Font]  # regular and bold


def fonts(root: Path, cache: Path | None) -> Fonts:
    """The code images' font (their manifest's), regular and bold."""
    manifest = load_manifest(root / MANIFEST, root)
    font, path = manifest.font, manifest.path
    return Font(font, path, cache), Font(replace(font, weight=700), path, cache)


def font_face(font: Font, weight: int, text: str) -> str:
    """The CSS rule embedding ``font``, subset to ``text``, as FAMILY."""
    data = base64.b64encode(font.woff2(text)).decode()
    return (
        f'@font-face{{font-family:"{FAMILY}";font-weight:{weight};'
        f'src:url(data:font/woff2;base64,{data}) format("woff2")}}'
    )


class LayoutError(ValueError):
    """A picture that cannot be drawn legibly; ``key``: the input at fault."""

    def __init__(self, message: str, key: str = "") -> None:
        super().__init__(message)
        self.key = key


def n(value: float) -> str:
    """A number with at most two decimals, and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class Style(NamedTuple):  # on: the colour behind it; code: inline code's
    size: float
    colour: str
    on: str
    bold: bool = False
    code: str | None = None
    leading: float = 1.35  # the pitch of wrapped lines, in ems
    align: str = ""  # "middle" or "end" about the x given, else from it

    @property
    def pitch(self) -> float:
        return self.leading * self.size

    def baseline(self, top: float) -> float:
        """The baseline of a line whose box starts at ``top``."""
        return top + self.pitch / 2 + theme.INK_MIDDLE * self.size

    def runs(self, text: str) -> list[Run]:
        """``text`` split on backticks, if the style has code: odd pieces."""
        pieces = text.split("`") if self.code else [text]
        if len(pieces) % 2 == 0:
            raise LayoutError(f"unbalanced backtick in {text!r}")
        return [(piece, i % 2 == 1) for i, piece in enumerate(pieces) if piece]


def wrap(text: str, columns: int, style: Style) -> list[list[Run]]:
    """Greedy word wrap to ``columns``; inline code is never split."""
    words: list[list[Run]] = [[]]
    for piece, code in style.runs(text):
        for character in piece:
            if character == " " and not code:
                words.append([])
            else:
                words[-1].append((character, code))
    lines: list[list[Run]] = []
    for word in filter(None, words):
        if len(word) > columns:
            said = f"{''.join(c for c, _ in word)!r} is {len(word)} columns"
            room = f"wider than the {columns} the picture has room for"
            raise LayoutError(f"{said}, {room}")
        if lines and len(lines[-1]) + 1 + len(word) <= columns:
            lines[-1] += [(" ", False), *word]
        else:
            lines.append(word)
    return [
        [("".join(c for c, _ in run), code) for code, run in runs]
        for runs in (groupby(line, key=lambda pair: pair[1]) for line in lines)
    ]


class Ink(NamedTuple):  # a piece of text as drawn, for ``check``
    text: str
    style: Style
    colour: str
    left: float
    right: float


@dataclass
class Canvas:
    """SVG elements in slide pixels, and every piece of text drawn."""

    width: float
    advance_em: float  # the monospaced font's advance, in ems
    base: Style | None = None  # in the CSS; its size and colour go unsaid
    parts: list[str] = field(default_factory=list)
    inks: list[Ink] = field(default_factory=list)

    def width_of(self, text: str, style: Style) -> float:
        return len(text) * self.advance_em * style.size

    def columns(self, width: float, style: Style) -> int:
        """How many characters of ``style`` fit in ``width``."""
        return int(width // (self.advance_em * style.size))

    def shape(self, tag: str, **attributes: float | str) -> None:
        """An element; ``stroke_width=2`` is written stroke-width="2"."""
        said = " ".join(
            f'{name.replace("_", "-")}="{v if isinstance(v, str) else n(v)}"'
            for name, v in attributes.items()
        )
        self.parts.append(f"<{tag} {said}/>")

    def line(self, *xy: float, stroke: str, width: float = 1) -> None:
        d = "M{} {}L{} {}".format(*map(n, xy))
        self.shape("path", d=d, stroke=stroke, stroke_width=width)

    def text(
        self, x: float, y: float, text: str | list[Run], style: Style,
        align: str = "",
    ) -> float:
        """One line on baseline ``y``, aligned; returns its right edge."""
        align = align or style.align
        pieces = style.runs(text) if isinstance(text, str) else text
        width = self.width_of("".join(p for p, _ in pieces), style)
        left = x - {"middle": width / 2, "end": width}.get(align, 0)
        spans, at = [], left
        for piece, code in pieces:
            fill = style.code if code and style.code else style.colour
            right = at + self.width_of(piece, style)
            self.inks.append(Ink(piece, style, fill, at, right))
            body, at = escape(piece, quote=False), right
            if fill != style.colour:
                body = f'<tspan fill="{fill}">{body}</tspan>'
            spans.append(body)
        said = f'x="{n(left)}" y="{n(y)}"'
        if self.base is None or style.size != self.base.size:
            said += f' font-size="{n(style.size)}"'
        if self.base is None or style.colour != self.base.colour:
            said += f' fill="{style.colour}"'
        said += ' font-weight="700"' * style.bold
        self.parts.append(f"<text {said}>{''.join(spans)}</text>")
        return left + width

    def paragraph(
        self, x: float, top: float, text: str, style: Style, width: float
    ) -> float:
        """``text`` wrapped to ``width`` from ``top``; the height it took."""
        lines = wrap(text, self.columns(width, style), style)
        for index, line in enumerate(lines):
            y = style.baseline(top + index * style.pitch)
            self.text(x, y, line, style)
        return len(lines) * style.pitch

    def shift(self, start: int, end: int, dy: float) -> list[str]:
        """The elements ``parts[start:end]``, moved down by ``dy``."""
        parts = self.parts[start:end]
        moved = [f'<g transform="translate(0 {n(dy)})">', *parts, "</g>"]
        return parts if round(dy, 2) == 0 else moved


class Limits(Model):
    """What a picture must respect to stay legible on its slide."""

    min_font_px: Annotated[float, Field(ge=1, le=200)]
    min_contrast: Annotated[float, Field(ge=1, le=21)]
    max_width_px: Annotated[int, Field(ge=1, le=10_000)]
    max_height_px: Annotated[int, Field(ge=1, le=10_000)]
    max_kilobytes: Annotated[int, Field(ge=1, le=100_000)]
    edge: float = 0  # px: no text closer to the picture's left or right


def check(canvas: Canvas, covered: frozenset[int], limits: Limits) -> None:
    """Refuse illegible text: a LayoutError saying why."""
    for ink in canvas.inks:
        size, on, ratio = ink.style.size, ink.style.on, 21.0
        if missing := [c for c in ink.text if ord(c) not in covered]:
            problem = f"(U+{ord(missing[0]):04X}) in {ink.text!r} is not in "
            raise LayoutError(f"character {missing[0]!r} {problem}the font")
        if size < limits.min_font_px:
            problem = f"would be {size:g} px, under the "
            problem += f"{limits.min_font_px:g} px minimum"
        elif (ratio := contrast(ink.colour, on)) < limits.min_contrast:
            problem = f"in {ink.colour} on {on} has a contrast ratio of "
            problem += f"{ratio:.2f}, under {limits.min_contrast:g}"
        elif min(ink.left, canvas.width - ink.right + 0.01) < limits.edge:
            problem = f"does not fit in {canvas.width:g} px: shorten it"
        else:
            continue
        raise LayoutError(f"{ink.text!r} {problem}")


def document(
    canvas: Canvas,
    height: float,
    name: str,
    head: list[str],  # the marker comment, the <title> and <desc> texts
    fonts: tuple[Font, ...],
    limits: Limits,
) -> bytes:
    """The SVG, once checked; ``name`` is said in errors."""
    if height > limits.max_height_px:
        why = f"{name} would be {height:.0f} px tall, over the "
        why += f"{limits.max_height_px:g} px maximum: shorten its text"
        raise LayoutError(why, "width")
    check(canvas, fonts[0].info.codepoints, limits)
    (marker, *labels), w, h = head, n(canvas.width), n(height)
    tags = ("title", "desc")[: len(labels)]
    # The base style as attributes, which a text's own attributes override
    # (a CSS rule would override them, and hide every accent colour).
    base = canvas.base
    said = f' font-size="{n(base.size)}" fill="{base.colour}"' if base else ""
    lines = [
        f'<svg xmlns="{SVG_NS}" width="{w}" height="{h}" viewBox="0 0 {w} {h}"'
        f' role="img" aria-labelledby="{" ".join(tags)}"{said}>',
        marker,
        *(f'<{tag} id="{tag}">{escape(label, quote=False)}</{tag}>'
          for tag, label in zip(tags, labels, strict=False)),
        "<style>",
    ]
    for weight, font in zip((400, 700), fonts, strict=False):
        used = [i.text for i in canvas.inks if i.style.bold == (weight > 400)]
        if used:
            lines.append(font_face(font, weight, "".join(used)))
    lines += [
        f'text{{font-family:"{FAMILY}",monospace;font-variant-ligatures:'
        'none;font-feature-settings:"liga" 0,"calt" 0;white-space:pre}',
        "</style>",
        *canvas.parts,
        "</svg>\n",
    ]
    svg = "\n".join(lines).encode()
    if len(svg) > limits.max_kilobytes * 1024:
        why = f"{name} would be {len(svg) / 1024:.1f} KB, over the "
        raise LayoutError(f"{why}{limits.max_kilobytes:g} KB budget", "output")
    return svg


def publish(
    root: Path, assets: Path, check: bool, made: dict[str, tuple[bytes, str]],
    script: str, gone: str,
) -> generator.Changes:
    """Sync ``made`` (output -> SVG, origin) and the orphans of ``script``."""
    outputs = [generator.Output(root / k, k, svg, origin)
               for k, (svg, origin) in made.items()]
    marker = f"<!-- generated by {script}"
    return generator.sync(outputs, root, assets, check, marker=marker,
                          script=script, gone=gone)
