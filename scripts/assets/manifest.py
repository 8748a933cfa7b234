"""Read TOML inputs into pydantic models (``load_model``; the code images'
manifest: ``load_manifest``); every error names the file and the line."""

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, NamedTuple, NoReturn, TypeVar, get_args

import pydantic
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError
from pydantic_core import ErrorDetails

from scripts import files
from scripts.exceptions import InputError

Loc = tuple[str | int, ...]
NAME = re.compile(r'"[^"]*"|\'[^\']*\'|[A-Za-z0-9_-]+')
HEADER = re.compile(r"^\s*(\[\[?)([^\]]+)\]\]?\s*(#.*)?$")
KEY = re.compile(
    rf"^\s*((?:{NAME.pattern})(?:\s*\.\s*(?:{NAME.pattern}))*)\s*="
)
NOUNS = {  # pydantic's error type -> what the value must be
    "int_type": "an integer", "float_type": "a number",
    "string_type": "a string", "bool_type": "true or false",
    "list_type": "a list", "model_type": "a table", "dict_type": "a table",
}
BOUNDS = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "under"}


class Positions:
    """The line of each table and key of a TOML text, by its location
    (pydantic's: ``("image", 2, "width")`` is ``width`` in the third
    ``[[image]]``). Keys inside multi-line arrays or inline tables cite
    the line of the key that holds them."""

    def __init__(self, text: str) -> None:
        self.lines: dict[Loc, int] = {}
        arrays: dict[Loc, int] = {}
        table: Loc = ()
        quote = ""
        for number, line in enumerate(text.splitlines(), start=1):
            if quote:  # inside a multi-line string
                quote = "" if line.count(quote) % 2 else quote
                continue
            if header := HEADER.match(line):
                *parents, last = (
                    n.strip("\"'") for n in NAME.findall(header[2])
                )
                table = ()
                for name in parents:
                    table += (name,)
                    if table in arrays:
                        table += (arrays[table] - 1,)
                table += (last,)
                self.lines.setdefault(table, number)
                if header[1] == "[[":
                    arrays[table] = arrays.get(table, 0) + 1
                    table += (arrays[table] - 1,)
                    self.lines[table] = number
            elif key := KEY.match(line):
                names = [n.strip("\"'") for n in NAME.findall(key[1])]
                for end in range(1, len(names) + 1):
                    self.lines.setdefault((*table, *names[:end]), number)
            quote = next((q for q in ('"""', "'''") if line.count(q) % 2), "")

    def line(self, loc: Loc) -> int:
        """The line of ``loc``, else of the nearest table holding it, or 1."""
        found, path = 1, Loc()
        for part in loc:
            if (*path, part) in self.lines:
                path = (*path, part)
                found = self.lines[path]
        return found


class Model(BaseModel):
    """A TOML table: strict types, no unknown keys, frozen. Once loaded,
    ``cite(key)`` is the line of ``key`` (else of the table), and ``fail``
    raises the InputError that names it."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")
    _where: tuple[str, Positions, Loc] = PrivateAttr(("", Positions(""), ()))

    @property
    def toml_path(self) -> str:  # as messages show it
        return self._where[0]

    def cite(self, key: str = "") -> int:
        _, positions, loc = self._where
        return positions.line((*loc, key))

    def fail(self, key: str, message: str) -> NoReturn:
        raise InputError(self.toml_path, self.cite(key), message)


M = TypeVar("M", bound=BaseModel)


def load_model(path: Path, root: Path, model: type[M]) -> M:
    """Read the TOML file at ``path`` into ``model``; refuse it with an
    InputError at the line of the first error in the file (bad bytes, bad
    TOML, or the key or table a ValidationError is about), in one line."""
    shown = files.shown(path, root)
    text, data = read_toml(path, root)
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
    """Tell each Model in ``value`` where it was read from."""
    if isinstance(value, Model):
        value._where = (shown, positions, loc)
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _locate(getattr(value, name), (*loc, name), shown, positions)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _locate(item, (*loc, index), shown, positions)


def _message(model: type[BaseModel], error: ErrorDetails) -> str:
    """A pydantic error in a line, naming the key at fault."""
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
    """The model of the table at ``loc``, if the locations lead to one."""
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


def read_toml(path: Path, root: Path) -> tuple[str, dict[str, Any]]:
    """The text of a TOML file and its data."""
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


@dataclass(frozen=True)
class FontSpec:
    path: Path
    weight: int
    line: int


class FontTable(Model):
    """[font]: a font file, in an installed package or under the root."""

    package: str = ""
    file: str
    weight: int = Field(ge=1, le=1000)

    def spec(self, root: Path) -> FontSpec:
        folder: Any = root
        if self.package:
            try:
                folder = resources.files(self.package)
            except ModuleNotFoundError:
                self.fail("package", f"no installed package {self.package!r}")
        path = Path(str(folder.joinpath(self.file)))
        return FontSpec(path, self.weight, self.cite("file"))


class Limits(Model):
    """What a code image must respect to stay legible on its slide."""

    min_font_px: int = Field(ge=1, le=200)
    max_height_px: int = Field(ge=1, le=10_000)
    max_columns: int = Field(ge=1, le=1000)
    max_lines: int = Field(ge=1, le=1000)
    slide_width_px: int = Field(ge=1, le=10_000)
    max_kilobytes: int = Field(ge=1, le=100_000)


class ImageSpec(Model):
    """One code image: which lines of which demo, and how it is shown."""

    output: str
    source: str
    region: str | None = None
    highlight: list[Annotated[int, Field(gt=0)]] = []
    title: str
    width: Annotated[int, Field(ge=1)]
    line_numbers: bool

    @pydantic.field_validator("highlight")
    @classmethod
    def _once(cls, lines: list[int]) -> list[int]:
        if len(set(lines)) != len(lines):
            raise ValueError("highlight lists a line twice")
        return sorted(lines)


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
    """Refuse an entry wider than ``widest`` px, or writing no SVG, or one
    another entry writes (entries are Models with output and width)."""
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
    """Read the manifest at ``path``; relative paths in it are to ``root``."""
    data = load_model(path, root, _File)
    check_entries(data.image, data.limits.slide_width_px)
    font = data.font.spec(root)
    return Manifest(data.toml_path, font, data.limits, tuple(data.image))
