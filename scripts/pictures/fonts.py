"""A static instance of the font without layout tables (no ligatures), and
WOFF2 subsets; cached by the font's bytes and fontTools'/brotli's versions."""

import hashlib
import io
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import cached_property, partial
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from scripts.common import InputError, WriteError, reason, write_atomic
from scripts.pictures.manifest import FontSpec

CACHE_FORMAT = "1"
# With no GSUB there are no ligatures (`->` stays two characters) anywhere.
DROP_TABLES = ("GSUB", "GPOS", "GDEF", "STAT", "DSIG")
NAME_IDS = (0, 1, 2, 3, 4, 5, 6, 13, 14)  # the default ones, and the licence
INSTANCE_NAME = "instance.ttf"


class FontInfo(BaseModel, frozen=True):  # what the layout needs to know
    family: str
    units_per_em: int
    advance: int
    codepoints: frozenset[int]

    @property
    def advance_em(self) -> float:
        return self.advance / self.units_per_em


def _open(data: bytes) -> Any:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    return TTFont(io.BytesIO(data), recalcTimestamp=False)


def _save(font: Any) -> bytes:
    font.save(output := io.BytesIO())
    return output.getvalue()


@dataclass
class Font:
    """The font, built on demand (a no-op build does not import fontTools)."""

    spec: FontSpec
    manifest: str
    cache_root: Path | None

    def fail(self, reason: str) -> InputError:
        message = f"cannot read font {self.spec.path}: {reason}"
        return InputError(self.manifest, self.spec.line, message)

    @cached_property
    def source(self) -> bytes:
        try:
            return self.spec.path.read_bytes()
        except OSError as exc:
            raise self.fail(exc.strerror or str(exc)) from None

    @cached_property
    def cache_dir(self) -> Path | None:
        if self.cache_root is None:
            return None
        digest = hashlib.sha256(self.source)
        versions = (metadata.version(p) for p in ("fonttools", "brotli"))
        for part in (CACHE_FORMAT, str(self.spec.weight), *versions):
            digest.update(b"\0" + part.encode())
        return self.cache_root / digest.hexdigest()[:16]

    def _cached(self, name: str, make: Callable[[], bytes]) -> bytes:
        if self.cache_dir is None:
            return make()
        path = self.cache_dir / name
        with suppress(OSError):
            return path.read_bytes()
        data = make()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)
        except OSError as exc:
            where = reason(exc, Path.cwd())
            raise WriteError(f"cannot write the font cache: {where}") from None
        return data

    @cached_property
    def instance(self) -> bytes:
        return self._cached(INSTANCE_NAME, self._instantiate)

    def instance_path(self) -> Path:  # for fontconfig
        if self.cache_dir is None:
            raise RuntimeError("the font has no cache directory")
        self.instance  # noqa: B018  # builds and stores it if need be
        return self.cache_dir / INSTANCE_NAME

    def _instantiate(self) -> bytes:
        from fontTools.varLib import instancer  # type: ignore[import-untyped]

        try:
            font = _open(self.source)
            if "fvar" in font:
                if "wght" not in {axis.axisTag for axis in font["fvar"].axes}:
                    raise self.fail("a variable font without a wght axis")
                weight = {"wght": self.spec.weight}
                font = instancer.instantiateVariableFont(font, weight)
            for tag in set(DROP_TABLES) & set(font.keys()):
                del font[tag]
            return _save(font)
        except InputError:
            raise
        except Exception as exc:  # fontTools raises anything on bad input
            raise self.fail(f"not a usable font ({exc})") from None

    @cached_property
    def info(self) -> FontInfo:
        return FontInfo.model_validate_json(
            self._cached("info.json", self._measure)
        )

    def _measure(self) -> bytes:
        instance = self.instance  # its errors are its own
        try:
            font = _open(instance)
            cmap: dict[int, str] = font.getBestCmap()
            metrics: dict[str, tuple[int, int]] = font["hmtx"].metrics
            names = font["name"]
            family = names.getDebugName(16) or names.getDebugName(1)
            units_per_em: int = font["head"].unitsPerEm
        except Exception as exc:  # fontTools raises anything on bad input
            raise self.fail(f"not a usable font ({exc})") from None
        advances = {metrics[cmap[c]][0] for c in range(0x21, 0x7F) if c in cmap}
        if len(advances) != 1 or not all(c in cmap for c in range(0x20, 0x7F)):
            raise self.fail("not a monospaced font covering ASCII")
        if not family:
            raise self.fail("not a usable font (it has no family name)")
        info = FontInfo(
            family=str(family),
            units_per_em=units_per_em,
            advance=advances.pop(),
            codepoints=frozenset(cmap),
        )
        return info.model_dump_json().encode()

    def woff2(self, text: str) -> bytes:
        """A WOFF2 subset of the font with the glyphs ``text`` needs."""
        characters = "".join(sorted(set(text) - {"\n"} | {" "}))
        digest = hashlib.sha256(characters.encode()).hexdigest()[:16]
        make = partial(self._subset, characters)
        return self._cached(f"subsets/{digest}.woff2", make)

    def _subset(self, characters: str) -> bytes:
        from fontTools import subset  # type: ignore[import-untyped]

        font = _open(self.instance)
        options = subset.Options(hinting=False, flavor="woff2")
        options.layout_features, options.name_IDs = [], list(NAME_IDS)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=characters)
        subsetter.subset(font)
        font.flavor = "woff2"
        return _save(font)
