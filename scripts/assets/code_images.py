"""Build the deck's code images from regions of the demos.

Every entry of scripts/assets/code_images.toml is checked before any image
whose bytes changed is written; an SVG of ours it no longer lists is removed.
"""

import difflib
import math
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path

from scripts.assets import code_svg, generator
from scripts.assets.fonts import Font, FontInfo
from scripts.assets.highlight import highlight
from scripts.assets.manifest import ImageSpec, Limits, Manifest, load_manifest
from scripts.assets.snippets import Excerpt, read_excerpt
from scripts.exceptions import InputError
from scripts.files import shown

ROOT, ASSETS = generator.ROOT, generator.ASSETS
MANIFEST = Path("scripts/assets/code_images.toml")
CACHE = Path("dist/cache/code_images")
DIFF_LINES = 12


@dataclass(frozen=True)
class Image:
    spec: ImageSpec
    excerpt: Excerpt
    box: code_svg.Layout
    svg: bytes


def check_excerpt(
    excerpt: Excerpt, spec: ImageSpec, manifest: Manifest, font: FontInfo
) -> None:
    """Refuse an excerpt that would be illegible, or that the font lacks."""
    limits, path = manifest.limits, excerpt.path
    what = f"region {excerpt.region!r}" if excerpt.region else "the file"
    if len(excerpt.lines) > limits.max_lines:
        hint = "" if excerpt.region else "; mark a region to show"
        size = f"{len(excerpt.lines)} lines, the limit is {limits.max_lines}"
        raise InputError(path, excerpt.first_line, f"{what} is {size}{hint}")
    lines = dict(zip(excerpt.numbers, excerpt.lines, strict=True))
    for number, line in lines.items():
        missing = [c for c in line if ord(c) not in font.codepoints]
        if "\t" in line:
            problem = "tab character; use spaces"
        elif len(line) > (most := limits.max_columns):
            problem = f"line is {len(line)} columns, the limit is {most}"
        elif missing:
            code = f"{missing[0]!r} (U+{ord(missing[0]):04X})"
            problem = f"character {code} is not in the font"
        else:
            continue
        raise InputError(path, number, problem)
    for number in spec.highlight:
        if number not in lines:
            first, last = excerpt.numbers[0], excerpt.numbers[-1]
            shows = f"is not shown: {path} {what} shows lines {first}-{last}"
            spec.fail("highlight", f"highlight line {number} {shows}")
        if not lines[number].strip():
            spec.fail("highlight", f"highlight line {number} is blank")


def check_size(box: code_svg.Layout, spec: ImageSpec, limits: Limits) -> None:
    """Refuse a width that makes the code too small or the image too tall."""
    width, most_px = spec.width, limits.max_height_px
    least_px = limits.min_font_px
    font_px, height = box.font_px(width), box.shown_height(width)
    widest = math.floor(Fraction(most_px * box.width, box.height))
    narrowest = math.ceil(Fraction(least_px * box.width, box.em))
    tall = box.shown_height(narrowest)
    for wrong, message in (
        (
            narrowest > min(widest, limits.slide_width_px),
            f"{spec.source} cannot fit: {box.rows} lines of {box.columns} "
            f"columns need {narrowest} px of width for {least_px} px text, "
            f"which makes them {float(tall):.0f} px tall; the limits are "
            f"{limits.slide_width_px} px wide and {most_px} px tall",
        ),
        (
            font_px < least_px,
            f"width {width} shows the code at {float(font_px):.1f} px, under "
            f"the {least_px} px minimum: make it at least {narrowest}",
        ),
        (
            height > most_px,
            f"width {width} makes the image {float(height):.0f} px tall, over "
            f"the {most_px} px maximum: make it at most {widest}",
        ),
    ):
        if wrong:
            spec.fail("width", message)


def build_image(
    root: Path, manifest: Manifest, spec: ImageSpec, font: Font
) -> Image:
    """Check one manifest entry and draw its SVG, in memory."""
    cite = (manifest.path, spec.cite("source"), spec.cite("region"))
    excerpt = read_excerpt(root, spec.source, spec.region, cite)
    check_excerpt(excerpt, spec, manifest, font.info)
    numbers = excerpt.numbers if spec.line_numbers else None
    advance = font.info.advance_em
    box = code_svg.layout(excerpt.lines, numbers, spec.source, advance)
    check_size(box, spec, manifest.limits)
    shown_text = (*excerpt.lines, spec.source, *map(str, numbers or ()))
    region = f" [{spec.region}]" if spec.region else ""
    edit = f"edit the demo or {manifest.path}, then run `make assets`"
    svg = code_svg.render(
        box,
        highlight(excerpt.lines),
        excerpt.numbers,
        spec,
        family=font.info.family,
        woff2=font.woff2("".join(shown_text)),
        note=f"from {spec.source}{region}; {edit}",
    ).encode()
    if len(svg) > (budget := manifest.limits.max_kilobytes) * 1024:
        over = f"{len(svg) / 1024:.1f} KB, over the {budget} KB budget"
        spec.fail("output", f"{spec.output} would be {over}")
    return Image(spec, excerpt, box, svg)


def build(
    root: Path, manifest_path: Path, cache: Path | None
) -> tuple[Manifest, list[Image]]:
    """Check every entry and build every image, in memory."""
    manifest = load_manifest(manifest_path, root)
    font = Font(manifest.font, manifest.path, cache)
    return manifest, [
        build_image(root, manifest, spec, font) for spec in manifest.images
    ]


def claims(root: Path) -> list[generator.Claim]:
    """What ``run`` would write, by manifest line; reads only the manifest."""
    manifest = load_manifest(root / MANIFEST, root)
    return [
        generator.Claim.of(root, s.output, manifest.path, s.cite("output"))
        for s in manifest.images
    ]


def code_lines(svg: bytes, group: str = "code") -> list[str]:
    """The text of an SVG of ours, line by line: its code, or its numbers."""
    tree = ET.fromstring(svg)  # noqa: S314  # our own output, in our repo
    ns = {"svg": code_svg.SVG_NS}
    found = tree.find(f"svg:g[@class='{group}']", ns)
    texts = [] if found is None else found.findall("svg:text", ns)
    return ["".join(text.itertext()) for text in texts]


def _diff(old: bytes, image: Image) -> list[str]:
    """A short unified diff of the code, with the file's line numbers."""
    try:
        before, shown = code_lines(old), code_lines(old, "numbers")
    except ET.ParseError:
        return ["  (the file is not valid XML)"]
    after, now = list(image.excerpt.lines), list(image.excerpt.numbers)
    if before == after:
        return ["  (same code; highlight, title, width or style changed)"]
    was = [int(n) for n in shown] if len(shown) == len(before) else now

    def renumber(match: re.Match[str]) -> str:  # excerpt rows -> file lines
        numbers, index = was if match[1] == "-" else now, int(match[2])
        found = numbers[index - 1] if 1 <= index <= len(numbers) else index
        return f"{match[1]}{found}"

    names = f"{image.spec.output} (shows)", f"{image.spec.source} (now)"
    diff = difflib.unified_diff(before, after, *names, n=1, lineterm="")
    hunk = partial(re.sub, r"([-+])(\d+)", renumber)
    lines = [f"  {hunk(line) if line[:2] == '@@' else line}" for line in diff]
    return [*lines[:DIFF_LINES], "  ..."] if len(lines) > DIFF_LINES else lines


def run(
    root: Path, manifest_path: Path, assets: Path, cache: Path | None,
    check: bool, summary: bool = False,
) -> int:
    """Build (or with ``check``, verify) every image; return the exit code."""
    manifest, images = build(root, manifest_path, cache)
    outputs = {}
    for image in images:
        spec, path = image.spec, (root / image.spec.output).resolve()
        if not path.is_relative_to(assets.resolve()):
            under = shown(assets, root)
            spec.fail("output", f"{spec.output} is not under {under}/")
        explain = partial(_diff, image=image)
        outputs[path] = generator.Output(
            path, spec.output, image.svg, spec.source, explain
        )
    changes = generator.sync(
        [*outputs.values()], root, assets, check, marker=code_svg.GENERATED,
        script="scripts/assets/code_images.py", gone=f"not in {manifest.path}",
    )
    if summary:
        print_summary(images)
    built = [image.svg for image in images]
    return generator.verdict(changes, built, "code image", check)


def print_summary(images: list[Image]) -> None:
    """A Markdown table of the images: where from, how big, how legible."""
    print("| Image | Source | Width | Font | Height | Size |")
    print("|---|---|---:|---:|---:|---:|")
    for image in images:
        spec, box = image.spec, image.box
        region = f" `[{spec.region}]`" if spec.region else ""
        print(
            f"| `{spec.output}` | `{spec.source}`{region} | {spec.width} px "
            f"| {float(box.font_px(spec.width)):.1f} px "
            f"| {float(box.shown_height(spec.width)):.0f} px "
            f"| {len(image.svg) / 1024:.1f} KB |"
        )
    total = sum(len(image.svg) for image in images)
    print(f"| total | | | | | {total / 1024:.1f} KB |")


main = generator.Main(run, MANIFEST, CACHE, option="manifest")

if __name__ == "__main__":
    sys.exit(main())
