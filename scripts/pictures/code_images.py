"""Build the deck's code images from regions of the demos (``# --8<--
[start:NAME]`` to ``# --8<-- [end:NAME]``): every entry of the manifest is
checked before any is written; an SVG of ours it no longer lists goes."""

import difflib
import math
import re
import sys
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from fractions import Fraction
from functools import partial
from pathlib import Path
from typing import NamedTuple

from scripts.common import InputError, decode, shown
from scripts.pictures import code_svg, generator, theme
from scripts.pictures.fonts import Font
from scripts.pictures.generator import Output
from scripts.pictures.manifest import ImageSpec, Limits, Manifest, load_manifest

MANIFEST = generator.MANIFEST
CACHE = Path(".cache/assets/code_images")
DIFF_LINES = 12
SCISSORS = "--8<--"
MARKER = re.compile(r"^\s*#\s*--8<--\s*\[(start|end):([A-Za-z0-9_.-]+)\]\s*$")


class Image(NamedTuple):
    spec: ImageSpec
    lines: tuple[str, ...]  # dedented, as shown
    numbers: tuple[int, ...]  # each line's in the file
    box: code_svg.Layout
    svg: bytes


def find_regions(path: str, lines: list[str]) -> dict[str, tuple[int, int]]:
    """Each region's name -> the lines of its start and end markers."""
    starts: dict[str, int] = {}
    regions: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(lines, start=1):
        if SCISSORS not in line:
            continue
        if (match := MARKER.match(line)) is None:
            raise InputError(path, number, f"unknown marker: {line.strip()}")
        kind, name = match.groups()
        if kind == "start":
            if name in starts or name in regions:
                raise InputError(path, number, f"duplicate region {name!r}")
            starts[name] = number
        elif name not in starts:
            raise InputError(path, number, f"end of unopened region {name!r}")
        else:
            regions[name] = (starts.pop(name), number)
    for name, number in starts.items():
        raise InputError(path, number, f"region {name!r} is never closed")
    return regions


def marked_lines(spec: ImageSpec, shown: dict[int, str], what: str) -> set[int]:
    """The numbers of the lines ``spec.highlight`` names by their text."""
    marked = set()
    for text in spec.highlight:
        found = [n for n, line in shown.items() if line.strip() == text.strip()]
        if len(found) != 1:
            where = f"lines {', '.join(map(str, found))}" if found else "none"
            of = f"{spec.source} {what}"
            problem = f"highlight {text!r} must match one line of {of}"
            spec.fail("highlight", f"{problem}; it matches {where}")
        marked.add(found[0])
    return marked


def read_excerpt(
    root: Path, spec: ImageSpec, manifest: Manifest, font: Font
) -> code_svg.Excerpt:
    """The lines ``spec`` shows, their numbers, and the marked ones;
    refused if illegible."""
    source, region, limits = spec.source, spec.region, manifest.limits
    try:
        data = (root / source).read_bytes()
    except FileNotFoundError:
        spec.fail("source", f"{source}: no such file")
    except OSError as exc:
        raise InputError(source, 1, f"cannot read: {exc.strerror}") from None
    lines = decode(data, source).splitlines()
    regions = find_regions(source, lines)
    if region is not None and region not in regions:
        has = f"(it has: {', '.join(sorted(regions)) or 'none'})"
        spec.fail("region", f"{source} has no region {region!r} {has}")
    start, end = regions[region] if region else (0, len(lines) + 1)
    first, kept = start + 1, range(start + 1, end)
    numbers = tuple(n for n in kept if SCISSORS not in lines[n - 1])
    if not numbers:
        raise InputError(source, first, "the region is empty")
    text = textwrap.dedent("\n".join(lines[n - 1] for n in numbers))
    shown = dict(zip(numbers, text.split("\n"), strict=True))
    what = f"region {region!r}" if region else "the file"
    if len(shown) > limits.max_lines:
        hint = "" if region else "; mark a region to show"
        size = f"{len(shown)} lines, the limit is {limits.max_lines}"
        raise InputError(source, first, f"{what} is {size}{hint}")
    for number, line in shown.items():
        missing = [c for c in line if ord(c) not in font.info.codepoints]
        if "\t" in line:
            raise InputError(source, number, "tab character; use spaces")
        if len(line) > (most := limits.max_columns):
            wide = f"line is {len(line)} columns, the limit is {most}"
            raise InputError(source, number, wide)
        if missing:
            code = f"{missing[0]!r} (U+{ord(missing[0]):04X})"
            problem = f"character {code} is not in the font"
            raise InputError(source, number, problem)
    marked = frozenset(marked_lines(spec, shown, what))
    return code_svg.Excerpt(tuple(shown.values()), numbers, marked)


def shown_width(box: code_svg.Layout, font_px: int) -> int:
    """The narrowest width that shows the code at ``font_px`` or more."""
    return math.ceil(Fraction(font_px * box.width, box.em))


def check_size(box: code_svg.Layout, spec: ImageSpec, limits: Limits) -> None:
    """Refuse a width that does not show the code at the manifest's one
    size, an image that is then too big, or a caption too small."""
    size, width = limits.font_px, shown_width(box, limits.font_px)
    height = box.on_slide(width)[1]
    caption = theme.TITLE_SIZE * box.on_slide(width)[0]
    key = "width"
    if width > limits.max_width_px or height > limits.max_height_px:
        key = "min_rows" if box.rows == spec.min_rows else key
        problem = (
            f"{spec.source} cannot fit: {box.rows} rows of {box.columns} "
            f"columns at {size} px are {width} px wide and "
            f"{float(height):.0f} px tall; the limits are "
            f"{limits.max_width_px} px wide and {limits.max_height_px} px tall"
        )
    elif spec.width != width:
        shown = float(box.on_slide(spec.width)[0])
        problem = (
            f"width {spec.width} shows the code at {shown:.1f} px, not at "
            f"the {size} px of [limits] font_px: make it {width}"
        )
    elif caption < limits.min_text_px:
        problem = (
            f"its title bar would show {spec.source} at "
            f"{float(caption):.1f} px, under the {limits.min_text_px} px "
            "minimum: raise TITLE_SIZE in scripts/pictures/theme.py"
        )
    else:
        return
    spec.fail(key, problem)


def layouts(
    specs: Sequence[ImageSpec], excerpts: Sequence[code_svg.Excerpt], em: float
) -> list[code_svg.Layout]:
    """Each excerpt's window; the images of a section share one width."""
    gutters = [e.numbers if s.line_numbers else None
               for s, e in zip(specs, excerpts, strict=True)]
    alone = [code_svg.layout(e.lines, g, s.source, em, 0, s.min_rows)
             for s, e, g in zip(specs, excerpts, gutters, strict=True)]
    spans: dict[str, int] = {}
    for spec, box in zip(specs, alone, strict=True):
        if spec.section is not None:
            span = box.columns + box.number_columns
            spans[spec.section] = max(spans.get(spec.section, 0), span)
    return [
        code_svg.layout(e.lines, g, s.source, em, spans[s.section],
                        s.min_rows)
        if s.section is not None else box
        for s, e, g, box in zip(specs, excerpts, gutters, alone, strict=True)
    ]


def build_image(
    manifest: Manifest,
    spec: ImageSpec,
    excerpt: code_svg.Excerpt,
    box: code_svg.Layout,
    font: Font,
) -> Image:
    check_size(box, spec, manifest.limits)
    region = f" [{spec.region}]" if spec.region else ""
    edit = f"edit the demo or {manifest.path}, then run `make assets`"
    note = f"from {spec.source}{region}; {edit}"
    svg = code_svg.render(box, excerpt, spec, font, note).encode()
    if len(svg) > (budget := manifest.limits.max_kilobytes) * 1024:
        over = f"{len(svg) / 1024:.1f} KB, over the {budget} KB budget"
        spec.fail("output", f"{spec.output} would be {over}")
    return Image(spec, excerpt.lines, excerpt.numbers, box, svg)


def build(
    root: Path, manifest_path: Path, cache: Path | None
) -> tuple[Manifest, list[Image]]:
    manifest = load_manifest(manifest_path, root)
    font = Font(manifest.font, manifest.path, cache)
    specs = manifest.images
    excerpts = [read_excerpt(root, s, manifest, font) for s in specs]
    boxes = layouts(specs, excerpts, font.info.advance_em)
    return manifest, [
        build_image(manifest, *parts, font)
        for parts in zip(specs, excerpts, boxes, strict=True)
    ]


def claims(root: Path) -> list[generator.Claim]:
    """What ``run`` would write; reads only the manifest."""
    manifest = load_manifest(root / MANIFEST, root)
    return generator.Claim.each(root, manifest.path, manifest.images)


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
    after, now = list(image.lines), list(image.numbers)
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
    root: Path,
    source: Path,
    assets: Path,
    cache: Path | None,
    check: bool,
) -> int:
    manifest, images = build(root, source, cache)
    outputs = {}
    for image in images:
        spec, path = image.spec, (root / image.spec.output).resolve()
        if not path.is_relative_to(assets.resolve()):
            under = shown(assets, root)
            spec.fail("output", f"{spec.output} is not under {under}/")
        why = partial(_diff, image=image)  # it is stale
        outputs[path] = Output(path, spec.output, image.svg, spec.source, why)
    made, marker = [*outputs.values()], code_svg.GENERATED
    script, gone = "scripts/pictures/code_images.py", f"not in {manifest.path}"
    changes = generator.sync(
        made, root, assets, check, marker=marker, script=script, gone=gone
    )
    svgs = [image.svg for image in images]
    return generator.verdict(changes, svgs, "code image", check)


main = generator.Main(run, MANIFEST, CACHE)

if __name__ == "__main__":
    sys.exit(main())
