"""Export every code image (as on disk) as a PNG twice its size on the slide.

cairosvg ignores ``@font-face``: a child process, its ``FONTCONFIG_FILE`` a
``fonts.conf`` listing only the font cache's instance, draws them."""

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

from scripts.common import ROOT, InputError, shown, write_atomic
from scripts.pictures.code_images import CACHE
from scripts.pictures.fonts import Font
from scripts.pictures.generator import ASSETS, MANIFEST, parser
from scripts.pictures.manifest import load_manifest

OUT = Path("dist/png")
Job = tuple[Path, Path, int]  # SVG, PNG, width


def prepare_font(font: Font) -> Path:
    conf = font.instance_path().parent / "fonts.conf"
    folder = escape(str(conf.parent.resolve()))
    text = f"""<?xml version="1.0"?>
<fontconfig>
  <dir>{folder}</dir>
  <cachedir>{folder}/fontconfig</cachedir>
  <match target="font">
    <edit name="antialias" mode="assign"><bool>true</bool></edit>
    <edit name="hintstyle" mode="assign"><const>hintslight</const></edit>
    <edit name="rgba" mode="assign"><const>none</const></edit>
  </match>
</fontconfig>
""".encode()
    if not conf.exists() or conf.read_bytes() != text:
        write_atomic(conf, text)
    return conf


def render(jobs: Sequence[Job], conf: Path) -> None:
    command = [sys.executable, "-m", "scripts.pictures.code_images_png"]
    for svg, png, width in jobs:
        command += ["--render", str(svg), str(png), str(width)]
    env = {**os.environ, "FONTCONFIG_FILE": str(conf.resolve())}
    subprocess.run(command, env=env, cwd=ROOT, check=True)  # noqa: S603


def export(root: Path, out: Path, cache: Path, scale: int = 2) -> list[Path]:
    manifest = load_manifest(root / MANIFEST, root)
    assets, jobs = (root / ASSETS).resolve(), list[Job]()
    for spec in manifest.images:
        svg, gone = root / spec.output, f"{spec.output} does not exist"
        if not svg.exists():
            spec.fail("output", f"{gone}: run `make assets`")
        png = out / svg.resolve().relative_to(assets).with_suffix(".png")
        jobs.append((svg, png, spec.width * scale))
    render(jobs, prepare_font(Font(manifest.font, manifest.path, cache)))
    return [png for _, png, _ in jobs]


def main(argv: Sequence[str] | None = None) -> int:
    cli = parser(__name__)
    cli.add_argument(  # the child process's jobs
        "--render", nargs=3, action="append", help=argparse.SUPPRESS
    )
    args = cli.parse_args(argv)
    if args.render:  # the child: with fontconfig set up, cairo may load
        import cairocffi  # type: ignore[import-untyped]
        import cairosvg  # type: ignore[import-untyped]

        # With `text-rendering` unset, cairo rounds each advance to whole
        # pixels (lines shorter than in a browser); `geometricPrecision` would
        # not, but its ANTIALIAS_BEST breaks this font's glyphs in cairo.
        cairosvg.surface.TEXT_HINT_METRICS[None] = cairocffi.HINT_METRICS_OFF
        for svg, png, width in args.render:
            data = cairosvg.svg2png(url=svg, output_width=int(width))
            Path(png).parent.mkdir(parents=True, exist_ok=True)
            write_atomic(Path(png), data)
        return 0
    root: Path = args.root
    try:
        pngs = export(root, root / OUT, root / CACHE)
    except InputError as error:
        print(error, file=sys.stderr)
        return 2
    for png in pngs:
        print(f"wrote {shown(png, root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
