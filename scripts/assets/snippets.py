"""Read a named region of a demo, marked as pymdownx-snippets sections.

A region runs from ``# --8<-- [start:NAME]`` to ``# --8<-- [end:NAME]``.
Marker lines never show; the region is dedented, and every line keeps its
original line number.
"""

import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

from scripts.exceptions import InputError
from scripts.files import decode

SCISSORS = "--8<--"
MARKER = re.compile(r"^\s*#\s*--8<--\s*\[(start|end):([A-Za-z0-9_.-]+)\]\s*$")


@dataclass(frozen=True)
class Excerpt:
    """The lines an image shows, with their line numbers in the file."""

    path: str
    region: str | None
    first_line: int
    lines: tuple[str, ...]
    numbers: tuple[int, ...]


def find_regions(path: str, lines: list[str]) -> dict[str, tuple[int, int]]:
    """Map each region name to the line numbers of its start and end markers.

    Refuse a malformed marker, an end without a start, a region started
    twice and a region never closed.
    """
    starts: dict[str, int] = {}
    regions: dict[str, tuple[int, int]] = {}
    for number, line in enumerate(lines, start=1):
        if SCISSORS not in line:
            continue
        match = MARKER.match(line)
        if match is None:
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


def read_excerpt(
    root: Path, source: str, region: str | None, cite: tuple[str, int, int]
) -> Excerpt:
    """Read ``region`` of ``root / source`` (the whole file if None).

    ``cite`` is the manifest, and its lines that name the source and the
    region: cited when the file or the region does not exist.
    """
    manifest, source_line, region_line = cite
    try:
        data = (root / source).read_bytes()
    except FileNotFoundError:
        raise InputError(
            manifest, source_line, f"{source}: no such file"
        ) from None
    except OSError as exc:
        raise InputError(source, 1, f"cannot read: {exc.strerror}") from None
    lines = decode(data, source).splitlines()
    regions = find_regions(source, lines)
    first, last = 1, len(lines)
    if region in regions:
        first, last = regions[region][0] + 1, regions[region][1] - 1
    elif region is not None:
        known = ", ".join(sorted(regions)) or "none"
        message = f"{source} has no region {region!r} (it has: {known})"
        raise InputError(manifest, region_line, message)
    numbers = tuple(
        n for n in range(first, last + 1) if SCISSORS not in lines[n - 1]
    )
    if not numbers:
        raise InputError(source, first, "the region is empty")
    shown = textwrap.dedent("\n".join(lines[n - 1] for n in numbers))
    return Excerpt(source, region, first, tuple(shown.split("\n")), numbers)
