"""Every picture's renderer: what a Rich console prints, placed by
export_svg (text to select) in our SVG, in a window or bare on the slide's
black; its one font, JetBrains Mono, an instance without layout tables (no
ligatures), embedded as WOFF2 subsets cached by the font's bytes and
fontTools' and brotli's versions."""

import base64
import hashlib
import io
import math
import re
import zlib
from collections.abc import Callable, Sequence
from contextlib import suppress
from functools import cached_property
from html import escape
from importlib import metadata, resources
from pathlib import Path

from rich.console import Console, RenderableType
from rich.terminal_theme import TerminalTheme

from scripts import style
from scripts.common import ROOT, write_atomic

FAMILY = "JetBrains Mono"
ADVANCE = 0.6  # em: every character's width (600 of 1000 units)
CACHE = ROOT / ".cache/pictures"
CELL, LINE = 20, 20 * 1.22  # px: Rich's character height and row pitch
PAD, BAR = (21, 6), 28  # px: around a window's text (x, y); its title bar
MARGIN = 12  # px: left and right of a bare picture's text
SPARE = re.compile(r' clip-path="[^"]*"|<text [^>]*>\n</text>')  # unneeded
THEME = TerminalTheme((0, 0, 0), (205, 214, 244), [(0, 0, 0)] * 8)


class Font:
    """The font at ``weight``, its files cached in ``cache``."""

    def __init__(self, weight: int = 400, cache: Path = CACHE) -> None:
        self.weight = weight
        files = resources.files("fontpkg_jetbrains_mono") / "files"
        self.source = (files / "JetBrainsMono[wght].ttf").read_bytes()
        versions = [metadata.version(p) for p in ("fonttools", "brotli")]
        key = self.source + repr([weight, *versions]).encode()
        self.folder = cache / hashlib.sha256(key).hexdigest()[:16]

    def _cached(self, name: str, make: Callable[[], bytes]) -> bytes:
        with suppress(OSError):
            return (self.folder / name).read_bytes()
        (self.folder / name).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.folder / name, data := make())
        return data

    @cached_property
    def instance(self) -> bytes:  # the file fontconfig finds (make png)
        return self._cached("instance.ttf", self._instantiate)

    def _instantiate(self) -> bytes:  # a cache miss: 0.1 s
        from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
        from fontTools.varLib import instancer  # type: ignore[import-untyped]

        font = instancer.instantiateVariableFont(TTFont(
            io.BytesIO(self.source), recalcTimestamp=False),
            {"wght": self.weight})
        for tag in {"GSUB", "GPOS", "GDEF", "STAT", "DSIG"} & set(font.keys()):
            del font[tag]
        font.save(output := io.BytesIO())
        return output.getvalue()

    def woff2(self, text: str) -> bytes:
        """A WOFF2 subset with the glyphs ``text`` needs, and a space."""
        characters = "".join(sorted(set(text) - {"\n"} | {" "}))
        digest = hashlib.sha256(characters.encode()).hexdigest()[:16]
        return self._cached(f"subsets/{digest}.woff2",
                            lambda: self._subset(characters))

    def _subset(self, characters: str) -> bytes:
        from fontTools import subset  # type: ignore[import-untyped]

        options = subset.Options(
            hinting=False, flavor="woff2", layout_features=[],
            recalc_bounds=True, name_IDs=[0, 1, 2, 3, 4, 5, 6, 13, 14])
        font = subset.load_font(io.BytesIO(self.instance), options)
        subsetter = subset.Subsetter(options)  # name ID 13, 14: the licence
        subsetter.populate(text=characters)
        subsetter.subset(font)
        subset.save_font(font, output := io.BytesIO(), options)
        return output.getvalue()


FONTS = (Font(400), Font(700))  # every picture's: regular and bold


def console(columns: int) -> Console:
    """A console that records ``columns`` wide, in true colour."""
    return Console(record=True, width=columns, file=io.StringIO(),
                   force_terminal=True, color_system="truecolor",
                   legacy_windows=False, highlight=False, markup=False)


def chrome(width: float, height: float, bar: str | None) -> str:
    """A window titled ``bar``, its frame and dots; else the slide's black."""
    w, h, r = f"{width:g}", f"{height:g}", 8
    if bar is None:
        return f'<rect width="{w}" height="{h}" fill="#000000"/>'
    dots = "".join(f'<circle cx="{18 + 20 * i}" cy="{BAR // 2}" r="6" '
                   f'fill="{c}"/>' for i, c in enumerate(style.DOTS))
    return (f'<rect width="{w}" height="{h}" rx="{r}" fill="{style.WINDOW}"'
            f'/>\n<path d="M0 {BAR}V{r}A{r} {r} 0 0 1 {r} 0H{width - r:g}'
            f'A{r} {r} 0 0 1 {w} {r}V{BAR}Z" fill="{style.BAR}"/>{dots}\n'
            f'<text x="{width / 2:g}" y="{BAR // 2 + 6}" text-anchor="middle"'
            f' fill="{style.TITLE}">{escape(bar)}</text>\n<rect x="0.5" '
            f'y="0.5" width="{width - 1:g}" height="{height - 1:g}" '
            f'rx="{r - 0.5}" fill="none" stroke="{style.FRAME}"/>')


def width(columns: int, bar: str | None = None, indent: int = 0) -> float:
    """A picture's width in its own units: ``columns`` cells (``indent``
    more), in a window's padding if it has a ``bar``, else its margins."""
    side = PAD[0] if bar else MARGIN
    return round(2 * side + (indent + columns) * CELL * ADVANCE, 2)


def draw(
    content: RenderableType, columns: int, name: str, title: str,
    made: tuple[str, str], *, bar: str | None = None,
    bands: Sequence[int] = (), under: str = "", indent: int = 0,
    px: float = CELL,
) -> tuple[bytes, tuple[int, float]]:
    """``content`` printed ``columns`` wide as the SVG ``name``, ``title``,
    made by ``made`` (script, source); in a window titled ``bar``, or bare;
    ``bands``: rows to band; ``under``: SVG under the text, ``indent`` cells
    right. With its size on the slide, where its text is ``px`` tall."""
    recorded = console(columns)
    recorded.print(content)
    text = recorded.export_text(clear=False)
    uid = f"p{zlib.crc32(name.encode()) & 0xFFFF:x}"  # its CSS classes'
    cell, side = CELL * ADVANCE, PAD[0] if bar else MARGIN
    left, top = side + indent * cell, BAR + 2 if bar else PAD[1]
    wide = width(columns, bar, indent)
    height = round(top + len(text.splitlines()) * LINE + PAD[1], 2)
    shown = math.ceil(round(wide * px / CELL, 6))  # 1160.0000001: 1160
    styles, backgrounds, matrix = recorded.export_svg(
        theme=THEME, code_format="{styles}\0{backgrounds}\0{matrix}",
        unique_id=uid, font_aspect_ratio=ADVANCE).split("\0")
    used = text + (bar or "") + re.sub("<[^>]*>", "", under)
    faces = [f'@font-face{{font-family:"{FAMILY}";font-weight:{font.weight};'
             f'src:url(data:font/woff2;base64,{data}) format("woff2")}}'
             for font in FONTS if font.weight == 400 or "bold" in styles
             for data in [base64.b64encode(font.woff2(used)).decode()]]
    banded = "".join(f'<rect x="{-left:g}" y="{row * LINE + 1.5:g}" '
                     f'width="{wide:g}" height="{LINE:g}" '
                     f'fill="{style.BAND if bar else style.WINDOW}"/>'
                     for row in bands)
    tall = round(height * shown / wide, 2)
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{shown}" \
height="{tall:.2f}" viewBox="0 0 {wide:g} {height:g}" role="img">
<!-- generated by {made[0]} from {made[1]}; run `make assets` -->
<title>{escape(title)}</title>
<style>
{chr(10).join(faces)}
text{{font-family:"{FAMILY}",monospace;font-size:{CELL}px;\
font-variant-ligatures:none;white-space:pre}}
{styles}
</style>
{chrome(wide, height, bar)}
<g transform="translate({left:g} {top:g})">
{banded}{under}{backgrounds}
<g class="{uid}-matrix">{SPARE.sub("", matrix)}</g>
</g>
</svg>
""".encode(), (shown, tall)
