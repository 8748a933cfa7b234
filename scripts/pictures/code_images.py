"""Each code slide's picture (catalog.CODE): a demo's region coloured by
Rich's Syntax in a window titled with its path, numbered from the region's
first line (before the code: Syntax's gutter would interleave the numbers
with the code's text), highlights banded, a section's windows one width,
at CODE_PX inside the slide's content box."""

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from pygments import token as tk
from rich.console import Group
from rich.segment import Segment, Segments
from rich.style import Style
from rich.syntax import ANSISyntaxTheme, Syntax

from scripts import style
from scripts.common import InputError, decode
from scripts.pictures import transcripts, window
from scripts.pictures.catalog import Code
from scripts.pictures.fonts import ADVANCE

SCRIPT = "scripts/pictures/code_images.py"
THEME = ANSISyntaxTheme({kind: Style(color=style.TOKENS[key]) for kind, key in (
    (tk.Keyword, "k"), (tk.Keyword.Constant, "c"), (tk.Operator.Word, "k"),
    (tk.Number, "n"), (tk.String, "s"), (tk.String.Doc, "m"),
    (tk.String.Interpol, "i"), (tk.String.Escape, "i"),
    (tk.Name.Function, "f"), (tk.Name.Class, "t"), (tk.Name.Builtin, "b"),
    (tk.Name.Builtin.Pseudo, "p"), (tk.Name.Decorator, "d"),
    (tk.Operator, "o"), (tk.Comment, "m"), (tk.Punctuation, "u"))})


class Excerpt(NamedTuple):  # the lines shown, dedented; rows highlighted
    code: Code
    lines: list[str]
    first: int  # the line number of the first
    marked: list[int]

    @property
    def gutter(self) -> int:  # cells left of the code: the numbers, and 2
        return len(str(self.first + len(self.lines) - 1)) + 2


def excerpt(root: Path, code: Code) -> Excerpt:
    """The lines ``code`` shows, checked, and the rows it highlights."""
    try:
        text = decode((root / code.source).read_bytes(), code.source)
    except OSError as exc:
        code.fail(f"cannot read {code.source}: {exc.strerror}")
    lines = [line.strip() for line in text.splitlines()]
    start, end = (f"# --8<-- [{k}:{code.region}]" for k in ("start", "end"))
    if start not in lines:
        code.fail(f"{code.source} has no region {code.region!r}")
    first = lines.index(start) + 2
    if end not in lines[first:]:
        raise InputError(code.source, first - 1,
                         f"region {code.region!r} is never closed")
    shown = textwrap.dedent("\n".join(text.splitlines()[
        first - 1:lines.index(end, first)])).split("\n")
    for number, line in enumerate(shown, first):
        if why := ("tab character; use spaces" if "\t" in line else
                   f"line is {len(line)} columns, the limit is 80"
                   * (len(line) > 80)):
            raise InputError(code.source, number, why)
    where = f"line of {code.source} region {code.region!r}"
    return Excerpt(code, shown, first, sorted(code.one(
        f"highlight {said!r}", where, first, [
            row for row, line in enumerate(shown)
            if line.strip() == said.strip()]) for said in code.highlight))


def draw(root: Path, excerpt: Excerpt, columns: int) -> dict[str, bytes]:
    """``excerpt`` in a window ``columns`` wide (numbers and code); and the
    result under it, if its code selects one."""
    code, left = excerpt.code, excerpt.gutter
    syntax = Syntax("\n".join(excerpt.lines), "python", theme=THEME,
                    background_color="default")  # runs of a style merged:
    shown = Segments(Segment.simplify(window.console(columns - left).render(
        syntax)))
    blank = [""] * (code.min_rows - len(excerpt.lines))
    x = (2 - left) * window.CELL * ADVANCE
    colours = [style.NUMBER_HIGHLIGHTED if row in excerpt.marked else
               style.NUMBER for row in range(len(excerpt.lines))]
    numbers = "".join(
        f'<text x="{x:g}" y="{row * window.LINE + 20:g}" text-anchor="end" '
        f'fill="{colour}">{excerpt.first + row}</text>'
        for row, colour in enumerate(colours))
    svg, size = window.draw(
        Group(shown, *blank), columns - left, code.output, code.title,
        (SCRIPT, f"{code.source} [{code.region}], as catalog.py says"),
        bar=code.source, bands=excerpt.marked, indent=left,
        under=f'<g class="numbers">{numbers}</g>', px=style.CODE_PX)
    if size[0] > style.CONTENT[0] or size[1] > style.CONTENT[1]:
        rows = max(len(excerpt.lines), code.min_rows)
        code.fail(f"{code.source} cannot fit: {rows} rows at "
                  f"{style.CODE_PX} px are {size[0]} px wide and "
                  f"{size[1]:.0f} px tall; the slide has "
                  f"{style.CONTENT[0]} by {style.CONTENT[1]} px")
    if not code.result:
        return {code.output: svg}
    return dict([(code.output, svg), transcripts.result(
        root, code, columns, size[1])])


def build(root: Path, codes: Sequence[Code], made: dict[str, bytes]) -> None:
    """Every code picture and the result under it, checked, into ``made``
    (by output path: none twice); a section's windows, one width."""
    excerpts = [excerpt(root, code) for code in codes]
    wide: dict[str, int] = {}
    for each in excerpts:
        key = each.code.section or each.code.output
        need = each.gutter + max(map(len, each.lines)) + 1
        wide[key] = max(wide.get(key, 0), need)
    for each in excerpts:
        drawn = draw(root, each, wide[each.code.section or each.code.output])
        for output, svg in drawn.items():
            if output in made:
                each.code.fail(f"{output} is drawn twice")
            made[output] = svg
