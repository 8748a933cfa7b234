"""Read a region of a demo, from ``# --8<-- [start:NAME]`` to
``# --8<-- [end:NAME]`` (pymdownx-snippets sections): dedented, without
marker lines, each line keeping its number in the file.
"""

import re
import textwrap
from pathlib import Path
from typing import NamedTuple

from scripts.exceptions import InputError
from scripts.files import decode

SCISSORS = "--8<--"
MARKER = re.compile(r"^\s*#\s*--8<--\s*\[(start|end):([A-Za-z0-9_.-]+)\]\s*$")


class Excerpt(NamedTuple):
    path: str
    region: str | None
    first_line: int
    lines: tuple[str, ...]
    numbers: tuple[int, ...]


def find_regions(path: str, lines: list[str]) -> dict[str, tuple[int, int]]:
    """Each region's name -> the lines of its start and end markers."""
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
    """Read ``region`` of ``root / source`` (the whole file if None); a
    missing file or region is an error at ``cite``: the manifest, and its
    lines that name the source and the region."""
    manifest, source_line, region_line = cite
    try:
        data = (root / source).read_bytes()
    except FileNotFoundError:
        message = f"{source}: no such file"
        raise InputError(manifest, source_line, message) from None
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
