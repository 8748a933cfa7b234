"""Read TOML into pydantic models; every error names the file and line."""

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, NamedTuple, NoReturn, TypeVar, get_args

import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError
from pydantic_core import ErrorDetails

from scripts import common as files
from scripts.common import InputError

Loc = tuple[str | int, ...]
NAME = re.compile(r'"[^"]*"|\'[^\']*\'|[A-Za-z0-9_-]+')
HEADER = re.compile(r"^\s*(\[\[?)([^\]]+)\]\]?\s*(#.*)?$")
DOTTED = rf"(?:{NAME.pattern})(?:\s*\.\s*(?:{NAME.pattern}))*"
KEY = re.compile(rf"^\s*({DOTTED})\s*=")
NOUNS = {  # pydantic's error type -> what the value must be
    "int_type": "an integer",
    "float_type": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "list_type": "a list",
    "model_type": "a table",
    "dict_type": "a table",
}
BOUNDS = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "under"}


def _names(dotted: str) -> list[str]:
    return [name.strip("\"'") for name in NAME.findall(dotted)]


class Positions(dict[Loc, int]):
    """Each table's and key's line, by pydantic loc: ("image", 2, "width")."""

    def __init__(self, text: str) -> None:
        super().__init__()
        arrays: dict[Loc, int] = {}  # array of tables -> its length so far
        table: Loc = ()
        quote = ""  # while inside a multi-line string, its quotes
        for number, line in enumerate(text.splitlines(), start=1):
            if quote:
                quote = "" if line.count(quote) % 2 else quote
                continue
            if header := HEADER.match(line):
                table = ()
                for name in _names(header[2]):  # in an array: its last
                    if table in arrays:
                        table += (arrays[table] - 1,)
                    table += (name,)
                self.setdefault(table, number)
                if header[1] == "[[":
                    arrays[table] = arrays.get(table, 0) + 1
                    table += (arrays[table] - 1,)
                    self[table] = number
            elif key := KEY.match(line):
                names = _names(key[1])
                for end in range(1, len(names) + 1):
                    self.setdefault((*table, *names[:end]), number)
            quote = next((q for q in ('"""', "'''") if line.count(q) % 2), "")

    def line(self, loc: Loc) -> int:  # else the nearest table's, or 1
        found, path = 1, Loc()
        for part in loc:
            if (*path, part) in self:
                path = (*path, part)
                found = self[path]
        return found


class Model(BaseModel):
    """A strict, frozen TOML table; ``cite``/``fail`` at a key's line."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")
    _where: tuple[str, Positions, Loc] = PrivateAttr(("", Positions(""), ()))

    @property
    def toml_path(self) -> str:  # as messages show it
        return self._where[0]

    def cite(self, key: str = "") -> int:
        return self._where[1].line((*self._where[2], key))

    def fail(self, key: str, message: str) -> NoReturn:
        raise InputError(self.toml_path, self.cite(key), message)


M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, root: Path, model: type[M]) -> M:
    """Read a TOML file into ``model``; InputError at its first error."""
    shown = files.shown(path, root)
    try:
        text = files.decode(path.read_bytes(), shown)
    except OSError as exc:
        raise InputError(shown, 1, f"cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        reason, _, at = str(exc).partition(" (at line ")
        line = int(at.split(",")[0]) if at else 1
        raise InputError(shown, line, f"invalid TOML: {reason}") from None
    positions = Positions(text)
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        error = min(  # a misspelt key before the key it misses
            exc.errors(),
            key=lambda e: (e["type"] == "missing", positions.line(e["loc"])),
        )
        line = positions.line(error["loc"])
        raise InputError(shown, line, _message(model, error)) from None
    _locate(result, (), shown, positions)
    return result


def _locate(value: object, loc: Loc, shown: str, positions: Positions) -> None:
    if isinstance(value, Model):
        value._where = (shown, positions, loc)
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _locate(getattr(value, name), (*loc, name), shown, positions)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _locate(item, (*loc, index), shown, positions)


def _message(model: type[BaseModel], error: ErrorDetails) -> str:
    loc, kind, ctx = error["loc"], error["type"], error.get("ctx", {})
    name = ""
    for part in loc:  # ("image", 0, "highlight", 2) -> "highlight[2]"
        name = f"{name}[{part}]" if isinstance(part, int) else part
    table = _model_at(model, loc[:-1])
    if kind == "extra_forbidden" and table is not None:
        known = ", ".join(sorted(table.model_fields))
        return f"unknown key {name!r} (keys: {known})"
    if kind == "missing":
        keys = [part for part in loc[:-1] if isinstance(part, str)]
        where = f"[{'.'.join(keys)}]" if keys else "the file"
        return f"{where} needs {name!r}"
    if kind in NOUNS:
        return f"{name} must be {NOUNS[kind]}"
    if kind == "value_error":
        return str(ctx["error"])
    field = table.model_fields.get(str(loc[-1])) if table else None
    bounds = dict(ctx)
    for m in field.metadata if field else []:
        bounds |= {k: getattr(m, k) for k in ("ge", "le") if hasattr(m, k)}
    if {"ge", "le"} <= bounds.keys():
        return f"{name} must be from {bounds['ge']} to {bounds['le']}"
    for bound, words in BOUNDS.items():
        if bound in ctx:
            return f"{name} must be {words} {ctx[bound]}"
    return f"{name}: {error['msg'][0].lower()}{error['msg'][1:]}"


def _model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    kind: Any = model
    for part in (*loc, None):
        while not (isinstance(kind, type) and issubclass(kind, BaseModel)):
            args = [a for a in get_args(kind) if a is not type(None)]
            if not args:
                return None
            kind = args[0]  # list[X], tuple[X, ...], X | None
        if isinstance(part, str):
            if part not in kind.model_fields:
                return None
            kind = kind.model_fields[part].annotation
    return kind if isinstance(kind, type) else None


@dataclass(frozen=True)
class FontSpec:
    path: Path
    weight: int
    line: int


class FontTable(Model):  # in an installed package, or under the root
    package: str = ""
    file: str
    weight: int = Field(ge=1, le=1000)


class Limits(Model):  # what keeps a code image legible on its slide
    font_px: int = Field(ge=1, le=200)
    min_text_px: int = Field(ge=1, le=200)
    max_height_px: int = Field(ge=1, le=10_000)
    max_width_px: int = Field(ge=1, le=10_000)
    result_gap_px: int = Field(ge=0, le=1000)
    max_columns: int = Field(ge=1, le=1000)
    max_lines: int = Field(ge=1, le=1000)
    max_kilobytes: int = Field(ge=1, le=100_000)


class ImageSpec(Model):  # which lines of which demo, and how shown
    output: str
    source: str
    region: str | None = None
    highlight: list[Annotated[str, Field(min_length=1)]] = []
    title: str
    width: Annotated[int, Field(ge=1)]
    line_numbers: bool
    section: Annotated[str, Field(min_length=1)] | None = None
    min_rows: Annotated[int, Field(ge=0, le=1000)] = 0
    result: list[Annotated[str, Field(min_length=1)]] = []

    @pydantic.field_validator("highlight")
    @classmethod
    def _once(cls, lines: list[str]) -> list[str]:
        if len({line.strip() for line in lines}) != len(lines):
            raise ValueError("highlight lists a line twice")
        return lines

    @pydantic.field_validator("result")
    @classmethod
    def _distinct(cls, rows: list[str]) -> list[str]:
        if len(set(rows)) != len(rows):
            raise ValueError("result lists a row twice")
        return rows


class _File(Model):
    font: FontTable
    limits: Limits
    image: list[ImageSpec]


class Manifest(NamedTuple):
    path: str
    font: FontSpec
    limits: Limits
    images: tuple[ImageSpec, ...]


def check_entries(entries: Sequence[Any], widest: int) -> None:
    """Refuse an entry too wide, not an SVG, or another entry's output."""
    seen: dict[str, int] = {}
    for entry in entries:
        if entry.width > widest:
            entry.fail("width", f"width must be from 1 to {widest}")
        if not entry.output.endswith(".svg"):
            entry.fail("output", "output must be an .svg file")
        if made := seen.get(entry.output):
            entry.fail("output", f"{entry.output} is also made on line {made}")
        seen[entry.output] = entry.cite("output")


def load_manifest(path: Path, root: Path) -> Manifest:
    """Read the code images' manifest; its paths are under ``root``."""
    data = load_model(path, root, _File)
    check_entries(data.image, data.limits.max_width_px)
    font = data.font
    folder: Traversable = root
    if font.package:
        try:
            folder = resources.files(font.package)
        except ModuleNotFoundError:
            font.fail("package", f"no installed package {font.package!r}")
    path = Path(str(folder.joinpath(font.file)))
    spec = FontSpec(path, font.weight, font.cite("file"))
    return Manifest(data.toml_path, spec, data.limits, tuple(data.image))
