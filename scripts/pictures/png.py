"""``make png``: each code slide's picture as a PNG twice its size, in
dist/png/, by cairosvg. It ignores ``@font-face``: its process's
fontconfig finds the font's instance, and that font only."""

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from scripts.common import command, write_atomic
from scripts.pictures.catalog import CODE
from scripts.pictures.window import FONTS, Font


def fontconfig(font: Font) -> Path:
    """A fonts.conf beside the font's instance, that finds it only."""
    font.instance  # noqa: B018  # made and cached if need be
    folder, conf = font.folder.resolve(), font.folder.resolve() / "fonts.conf"
    write_atomic(conf, f'<?xml version="1.0"?>\n<fontconfig><dir>{folder}'
                 f"</dir><cachedir>{folder}/fontconfig</cachedir></fontconfig>"
                 "\n".encode())
    return conf


def main(argv: Sequence[str]) -> None:
    """Draw the (SVG, PNG, scale) triples of ``argv`` (the tests' one
    process for all), else every code slide's at twice its size."""
    cli = command("scripts.pictures.png", __doc__ or "", "2 bad input")
    cli.add_argument("jobs", nargs="*", metavar="SVG PNG SCALE")
    argv = cli.parse_args(argv).jobs
    if len(argv) % 3:
        cli.error("give SVG PNG SCALE, three at a time")
    os.environ["FONTCONFIG_FILE"] = str(fontconfig(FONTS[0]))
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
    main(sys.argv[1:])
