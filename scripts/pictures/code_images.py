"""Each code slide's picture (catalog.CODE): a demo's region coloured by
Rich's Syntax in a window titled with its path, numbered apart from the
code, highlights banded, a section's windows one width. Run (``make png``):
each as a PNG twice its size, in dist/png/, by cairosvg, which ignores
``@font-face``: its process's fontconfig finds the font's instance only."""

import os
import textwrap
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from pygments import token as tk
from rich.console import Group
from rich.segment import Segment, Segments
from rich.style import Style
from rich.syntax import ANSISyntaxTheme, Syntax

from scripts import style
from scripts.common import InputError, command, decode, write_atomic
from scripts.pictures import transcripts, window
from scripts.pictures.catalog import CODE, Code

SCRIPT = "scripts/pictures/code_images.py"
THEME = ANSISyntaxTheme({kind: Style(color=style.TOKENS[key]) for kind, key in (
    (tk.Keyword, "k"), (tk.Keyword.Constant, "n"), (tk.Operator.Word, "k"),
    (tk.Number, "n"), (tk.String, "s"), (tk.String.Doc, "m"),
    (tk.String.Interpol, "i"), (tk.String.Escape, "i"),
    (tk.Name.Function, "f"), (tk.Name.Class, "t"), (tk.Name.Builtin, "b"),
    (tk.Name.Builtin.Pseudo, "p"), (tk.Name.Decorator, "n"),
    (tk.Operator, "b"), (tk.Comment, "m"), (tk.Punctuation, "u"))})


def excerpt(root: Path, code: Code) -> tuple[list[str], int, int]:
    """The lines ``code`` shows, checked, the first one's number, and the
    cells left of the code: the numbers, and 2."""
    text = decode(code.read(root, code.source), code.source)
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
    return shown, first, len(str(first + len(shown) - 1)) + 2


def draw(root: Path, code: Code, lines: list[str], first: int, left: int,
         columns: int) -> dict[str, bytes]:
    """``code``'s ``lines`` in a window ``columns`` wide (``left`` of them
    numbers), highlights banded; the result under it, if it selects one."""
    where = f"line of {code.source} region {code.region!r}"
    marked = sorted(code.one(f"highlight {said!r}", where, first, [
        row for row, line in enumerate(lines)
        if line.strip() == said.strip()]) for said in code.highlight)
    syntax = Syntax("\n".join(lines), "python", theme=THEME,
                    background_color="default")  # runs of a style merged:
    shown = Segments(Segment.simplify(window.console(columns - left).render(
        syntax)))
    x = (2 - left) * window.CELL * window.ADVANCE
    numbers = "".join(
        f'<text x="{x:g}" y="{row * window.LINE + 20:g}" text-anchor="end" '
        f'fill="{style.NUMBER_HIGHLIGHTED if row in marked else style.NUMBER}'
        f'">{first + row}</text>' for row in range(len(lines)))
    svg, size = window.draw(
        Group(shown, *[""] * (code.min_rows - len(lines))), columns - left,
        code.output, code.title,
        (SCRIPT, f"{code.source} [{code.region}], as catalog.py says"),
        bar=code.source, bands=marked, indent=left,
        under=f'<g class="numbers">{numbers}</g>', px=style.CODE_PX)
    if size[0] > style.CONTENT[0] or size[1] > style.CONTENT[1]:
        code.fail(f"{code.source} cannot fit: {max(len(lines), code.min_rows)}"
                  f" rows at {style.CODE_PX} px are {size[0]} px wide and "
                  f"{size[1]:.0f} px tall; the slide has {style.CONTENT[0]} "
                  f"by {style.CONTENT[1]} px")
    if not code.result:
        return {code.output: svg}
    return dict([(code.output, svg), transcripts.result(
        root, code, columns, size[1])])


def build(root: Path, codes: Sequence[Code], made: dict[str, bytes]) -> None:
    """Every code picture and the result under it, checked, into ``made``
    (by output path: none twice); a section's windows, one width."""
    excerpts = [(code, *excerpt(root, code)) for code in codes]
    wide: dict[str, int] = defaultdict(int)
    for code, lines, _, left in excerpts:
        key = code.section or code.output
        wide[key] = max(wide[key], left + max(map(len, lines)) + 1)
    for code, lines, first, left in excerpts:
        columns = wide[code.section or code.output]
        for output, svg in draw(root, code, lines, first, left,
                                columns).items():
            if output in made:
                code.fail(f"{output} is drawn twice")
            made[output] = svg


def fontconfig(font: window.Font) -> Path:
    """A fonts.conf beside the font's instance, that finds it only."""
    font.instance  # noqa: B018  # made and cached if need be
    folder, conf = font.folder.resolve(), font.folder.resolve() / "fonts.conf"
    write_atomic(conf, f'<?xml version="1.0"?>\n<fontconfig><dir>{folder}'
                 f"</dir><cachedir>{folder}/fontconfig</cachedir></fontconfig>"
                 "\n".encode())
    return conf


def main(argv: Sequence[str] | None = None) -> None:
    """Draw the (SVG, PNG, scale) triples of ``argv``, else every code
    slide's at twice its size."""
    cli = command("scripts.pictures.code_images", __doc__ or "", "2 bad input")
    cli.add_argument("jobs", nargs="*", metavar="SVG PNG SCALE")
    argv = cli.parse_args(argv).jobs
    if len(argv) % 3:
        cli.error("give SVG PNG SCALE, three at a time")
    os.environ["FONTCONFIG_FILE"] = str(fontconfig(window.FONTS[0]))
    import cairocffi  # type: ignore[import-untyped]
    import cairosvg  # type: ignore[import-untyped]

    # With `text-rendering` unset, cairo rounds each advance to whole pixels
    # (lines shorter than in a browser); `geometricPrecision` would not, but
    # its ANTIALIAS_BEST breaks this font's glyphs in cairo.
    cairosvg.surface.TEXT_HINT_METRICS[None] = cairocffi.HINT_METRICS_OFF
    jobs = list(zip(*[iter(argv)] * 3, strict=True)) or [
        (c.output, f"dist/png/{Path(c.output).stem}.png", "2") for c in CODE]
    for svg, png, scale in jobs:
        Path(png).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(Path(png), cairosvg.svg2png(url=svg, scale=float(scale)))
        print(f"wrote {png}")


if __name__ == "__main__":
    main()
