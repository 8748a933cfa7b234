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

from scripts.assets import generator
from scripts.assets.code_images import ASSETS, CACHE, MANIFEST, ROOT
from scripts.assets.fonts import Font
from scripts.assets.manifest import load_manifest
from scripts.exceptions import InputError
from scripts.files import shown, write_atomic

OUT = Path("dist/png")
SCALE = 2
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
    command = [sys.executable, "-m", "scripts.assets.code_images_png"]
    for svg, png, width in jobs:
        command += ["--render", str(svg), str(png), str(width)]
    env = {**os.environ, "FONTCONFIG_FILE": str(conf.resolve())}
    subprocess.run(command, env=env, cwd=ROOT, check=True)  # noqa: S603


def _render_here(jobs: Sequence[Sequence[str]]) -> None:
    """The child's side: with fontconfig set up, cairo may load."""
    import cairocffi  # type: ignore[import-untyped]
    import cairosvg  # type: ignore[import-untyped]

    # Where the SVG leaves `text-rendering` unset, cairo rounds each advance
    # to whole pixels: lines come out shorter than in a browser. Make it
    # exact (`geometricPrecision` would, but its ANTIALIAS_BEST breaks this
    # font's glyphs in cairo).
    cairosvg.surface.TEXT_HINT_METRICS[None] = cairocffi.HINT_METRICS_OFF
    for svg, png, width in jobs:
        data = cairosvg.svg2png(url=svg, output_width=int(width))
        if not isinstance(data, bytes):
            raise TypeError("cairosvg returned no PNG")
        Path(png).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(Path(png), data)


def export(
    root: Path,
    manifest_path: Path,
    assets: Path,
    out: Path,
    cache: Path,
    scale: int = SCALE,
) -> list[Path]:
    manifest = load_manifest(manifest_path, root)
    jobs: list[Job] = []
    for spec in manifest.images:
        svg = root / spec.output
        if not svg.exists():
            spec.fail(
                "output", f"{spec.output} does not exist: run `make assets`"
            )
        png = out / svg.resolve().relative_to(assets.resolve())
        jobs.append((svg, png.with_suffix(".png"), spec.width * scale))
    render(jobs, prepare_font(Font(manifest.font, manifest.path, cache)))
    return [png for _, png, _ in jobs]


def main(argv: Sequence[str] | None = None) -> int:
    parser = generator.parser(
        __name__,
        manifest=f"default: ROOT/{MANIFEST}",
        assets=f"the SVGs' root (default: ROOT/{ASSETS})",
        out=f"where the PNGs go (default: ROOT/{OUT})",
        cache_dir=f"font cache (default: ROOT/{CACHE})",
    )
    scale = "PNG width over the width on the slide (default: %(default)s)"
    parser.add_argument("--scale", type=int, default=SCALE, help=scale)
    parser.add_argument(  # the child process's jobs
        "--render", nargs=3, action="append", help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.render:
        _render_here(args.render)
        return 0
    root: Path = args.root
    try:
        pngs = export(
            root,
            args.manifest or root / MANIFEST,
            args.assets or root / ASSETS,
            args.out or root / OUT,
            args.cache_dir or root / CACHE,
            args.scale,
        )
    except InputError as error:
        print(error, file=sys.stderr)
        return 2
    for png in pngs:
        print(f"wrote {shown(png, root)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
