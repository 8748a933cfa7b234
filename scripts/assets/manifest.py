"""Load and validate the code images manifest, scripts/assets/code_images.toml.

Every error names the manifest line at fault.
"""

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

from scripts import files
from scripts.exceptions import InputError

KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=")
TABLE = re.compile(r"^\s*(\[\[?)\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\]\]?\s*(#.*)?$")


@dataclass(frozen=True)
class Limits:
    """What a code image must respect to stay legible on its slide."""

    min_font_px: int
    max_height_px: int
    max_columns: int
    max_lines: int
    slide_width_px: int
    max_kilobytes: int


@dataclass(frozen=True)
class FontSpec:
    """The font file to embed, and the weight to instantiate it at."""

    path: Path
    weight: int
    line: int


@dataclass(frozen=True)
class ImageSpec:
    """One code image: which lines of which demo, and how it is shown."""

    output: str
    source: str
    region: str | None
    highlight: tuple[int, ...]
    title: str
    width: int
    line_numbers: bool
    line: int
    key_lines: Mapping[str, int]

    def cite(self, key: str) -> int:
        """The manifest line of ``key`` in this entry (else its header)."""
        return self.key_lines.get(key, self.line)


@dataclass(frozen=True)
class Manifest:
    """The whole manifest: the font, the limits and the images."""

    path: str
    font: FontSpec
    limits: Limits
    images: tuple[ImageSpec, ...]


class _Lines:
    """Where each table and key of a TOML document is, by line number."""

    def __init__(self, text: str) -> None:
        self.tables: dict[str, int] = {}
        self.images: list[int] = []
        self.keys: dict[tuple[str, int], dict[str, int]] = {}
        section: tuple[str, int] = ("", 0)
        for number, line in enumerate(text.splitlines(), start=1):
            if table := TABLE.match(line):
                brackets, name = table.group(1), table.group(2)
                if brackets == "[[" and name == "image":
                    self.images.append(number)
                    section = (name, len(self.images) - 1)
                else:
                    self.tables.setdefault(name, number)
                    section = (name, 0)
            elif key := KEY.match(line):
                keys = self.keys.setdefault(section, {})
                keys.setdefault(key.group(1), number)

    def key(self, table: str, key: str, index: int = 0) -> int:
        header = (
            self.images[index]
            if table == "image" and index < len(self.images)
            else self.tables.get(table, 1)
        )
        return self.keys.get((table, index), {}).get(key, header)


class _Table:
    """Typed access to one TOML table, citing manifest lines on errors."""

    def __init__(
        self,
        path: str,
        lines: _Lines,
        name: str,
        index: int,
        data: Mapping[str, Any],
        known: set[str],
    ) -> None:
        self.path, self.lines, self.name, self.index = path, lines, name, index
        self.data = data
        for key in data:
            if key not in known:
                expected = ", ".join(sorted(known))
                self.fail(key, f"unknown key {key!r} (keys: {expected})")

    def fail(self, key: str, message: str) -> NoReturn:
        raise InputError(
            self.path, self.lines.key(self.name, key, self.index), message
        )

    def get(self, key: str, kind: type, default: Any = None) -> Any:
        if key not in self.data:
            if default is None:
                where = f"[{self.name}]" if self.name else "the manifest"
                self.fail(key, f"{where} needs {key!r}")
            return default
        value = self.data[key]
        if not isinstance(value, kind) or (
            kind is int and isinstance(value, bool)
        ):
            self.fail(key, f"{key} must be a {kind.__name__}")
        return value

    def text(self, key: str, default: str | None = None) -> str:
        value: str = self.get(key, str, default)
        return value

    def integer(self, key: str, low: int, high: int) -> int:
        value: int = self.get(key, int)
        if not low <= value <= high:
            self.fail(key, f"{key} must be from {low} to {high}")
        return value


def _font(root: Path, table: _Table) -> FontSpec:
    file = table.text("file")
    package = table.text("package", "")
    if package:
        try:
            path = Path(str(resources.files(package).joinpath(file)))
        except ModuleNotFoundError:
            table.fail("package", f"no installed package {package!r}")
    else:
        path = root / file
    weight = table.integer("weight", 1, 1000)
    return FontSpec(
        path=path, weight=weight, line=table.lines.key("font", "file")
    )


def _limits(table: _Table) -> Limits:
    return Limits(
        min_font_px=table.integer("min_font_px", 1, 200),
        max_height_px=table.integer("max_height_px", 1, 10_000),
        max_columns=table.integer("max_columns", 1, 1000),
        max_lines=table.integer("max_lines", 1, 1000),
        slide_width_px=table.integer("slide_width_px", 1, 10_000),
        max_kilobytes=table.integer("max_kilobytes", 1, 100_000),
    )


def _image(table: _Table, limits: Limits) -> ImageSpec:
    output = table.text("output")
    if not output.endswith(".svg"):
        table.fail("output", "output must be an .svg file")
    highlight = table.get("highlight", list, [])
    if not all(
        isinstance(n, int) and not isinstance(n, bool) and n > 0
        for n in highlight
    ):
        table.fail("highlight", "highlight must list line numbers")
    if len(set(highlight)) != len(highlight):
        table.fail("highlight", "highlight lists a line twice")
    region = table.text("region", "")
    return ImageSpec(
        output=output,
        source=table.text("source"),
        region=region or None,
        highlight=tuple(sorted(highlight)),
        title=table.text("title"),
        width=table.integer("width", 1, limits.slide_width_px),
        line_numbers=table.get("line_numbers", bool),
        line=table.lines.key("image", "", table.index),
        key_lines=table.lines.keys.get(("image", table.index), {}),
    )


def read_toml(path: Path, root: Path) -> tuple[str, dict[str, Any]]:
    """The text of a TOML file and its data; errors name the file and line."""
    shown = files.shown(path, root)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(shown, 1, f"cannot read: {exc.strerror}") from None
    text = files.decode(data, shown)
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else 1
        reason = str(exc).split(" (at line")[0]
        raise InputError(shown, line, f"invalid TOML: {reason}") from None


def load_manifest(path: Path, root: Path) -> Manifest:
    """Read the manifest at ``path``; relative paths in it are to ``root``."""
    shown = files.shown(path, root)
    text, data = read_toml(path, root)
    lines = _Lines(text)

    def table(name: str, index: int, value: Any, known: set[str]) -> _Table:
        if not isinstance(value, dict):
            raise InputError(shown, lines.key(name, "", index), "not a table")
        return _Table(shown, lines, name, index, value, known)

    top = _Table(shown, lines, "", 0, data, {"font", "limits", "image"})
    font = _font(
        root,
        table("font", 0, top.get("font", dict), {"package", "file", "weight"}),
    )
    limits = _limits(
        table(
            "limits",
            0,
            top.get("limits", dict),
            {
                "min_font_px",
                "max_height_px",
                "max_columns",
                "max_lines",
                "slide_width_px",
                "max_kilobytes",
            },
        )
    )
    known = {
        "output",
        "source",
        "region",
        "highlight",
        "title",
        "width",
        "line_numbers",
    }
    images = tuple(
        _image(table("image", index, entry, known), limits)
        for index, entry in enumerate(top.get("image", list))
    )
    seen: dict[str, ImageSpec] = {}
    for image in images:
        if image.output in seen:
            raise InputError(
                shown,
                image.cite("output"),
                f"{image.output} is also made on line "
                f"{seen[image.output].cite('output')}",
            )
        seen[image.output] = image
    return Manifest(path=shown, font=font, limits=limits, images=images)
