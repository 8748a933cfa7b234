"""Embed a font: one static instance, subset to the glyphs an image uses.

The variable font is instantiated once (at the manifest's weight) and
stripped of its layout tables, so no renderer can form ligatures. Each
image then gets a WOFF2 subset of only its own characters. The instance
and the subsets are cached on disk, keyed by the font's bytes and the
fontTools and brotli versions: a no-op build does not even import fontTools.
"""

import hashlib
import io
import json
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

from scripts.assets.manifest import FontSpec
from scripts.exceptions import InputError, WriteError
from scripts.files import reason, write_atomic

CACHE_FORMAT = "1"
# Layout tables go: with no GSUB there are no ligatures (`->` stays two
# characters) in Chromium, in cairo, or anywhere else.
DROP_TABLES = ("GSUB", "GPOS", "GDEF", "STAT", "DSIG")
# Name IDs kept in each subset: the default ones, plus the licence (13, 14).
NAME_IDS = (0, 1, 2, 3, 4, 5, 6, 13, 14)
INSTANCE_NAME = "instance.ttf"


@dataclass(frozen=True)
class FontInfo:
    """What the layout needs to know about the font."""

    family: str
    units_per_em: int
    advance: int
    codepoints: frozenset[int]

    @property
    def advance_em(self) -> float:
        """The width of every character, in ems: the font is monospaced."""
        return self.advance / self.units_per_em


class Font:
    """The manifest's font, instantiated, measured and subset on demand."""

    def __init__(
        self, spec: FontSpec, manifest: str, cache_root: Path | None
    ) -> None:
        self.spec = spec
        self.manifest = manifest
        self.cache_root = cache_root
        self.built: list[str] = []

    def fail(self, reason: str) -> InputError:
        return InputError(
            self.manifest,
            self.spec.line,
            f"cannot read font {self.spec.path}: {reason}",
        )

    @cached_property
    def source(self) -> bytes:
        try:
            return self.spec.path.read_bytes()
        except OSError as exc:
            raise self.fail(exc.strerror or str(exc)) from None

    @cached_property
    def key(self) -> str:
        digest = hashlib.sha256(self.source)
        for part in (
            CACHE_FORMAT,
            str(self.spec.weight),
            metadata.version("fonttools"),
            metadata.version("brotli"),
        ):
            digest.update(b"\0" + part.encode())
        return digest.hexdigest()[:16]

    @property
    def cache_dir(self) -> Path | None:
        if self.cache_root is None:
            return None
        return self.cache_root / self.key

    def _cached(self, name: str) -> bytes | None:
        if self.cache_dir is None:
            return None
        try:
            return (self.cache_dir / name).read_bytes()
        except OSError:
            return None

    def _store(self, name: str, data: bytes) -> None:
        if self.cache_dir is None:
            return
        path = self.cache_dir / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, data)
        except OSError as exc:
            where = reason(exc, Path.cwd())
            raise WriteError(f"cannot write the font cache: {where}") from None

    @cached_property
    def instance(self) -> bytes:
        """The static instance, as TrueType bytes."""
        cached = self._cached(INSTANCE_NAME)
        if cached is not None:
            return cached
        data = self._instantiate()
        self._store(INSTANCE_NAME, data)
        return data

    def instance_path(self) -> Path:
        """The static instance as a file on disk (for fontconfig)."""
        if self.cache_dir is None:
            raise RuntimeError("the font has no cache directory")
        self.instance  # noqa: B018  # builds and stores it if need be
        return self.cache_dir / INSTANCE_NAME

    def _instantiate(self) -> bytes:
        from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
        from fontTools.varLib import (  # type: ignore[import-untyped]
            instancer,
        )

        self.built.append(INSTANCE_NAME)
        try:
            font = TTFont(io.BytesIO(self.source), recalcTimestamp=False)
            if "fvar" in font:
                axes = {axis.axisTag for axis in font["fvar"].axes}
                if "wght" not in axes:
                    raise self.fail("a variable font without a wght axis")
                font = instancer.instantiateVariableFont(
                    font, {"wght": self.spec.weight}
                )
            for tag in DROP_TABLES:
                if tag in font:
                    del font[tag]
            output = io.BytesIO()
            font.save(output)
        except InputError:
            raise
        except Exception as exc:  # fontTools raises anything on bad input
            raise self.fail(f"not a usable font ({exc})") from None
        return output.getvalue()

    @cached_property
    def info(self) -> FontInfo:
        cached = self._cached("info.json")
        if cached is not None:
            fields = json.loads(cached)
            return FontInfo(
                family=fields["family"],
                units_per_em=fields["units_per_em"],
                advance=fields["advance"],
                codepoints=frozenset(fields["codepoints"]),
            )
        info = self._measure()
        fields = {
            "family": info.family,
            "units_per_em": info.units_per_em,
            "advance": info.advance,
            "codepoints": sorted(info.codepoints),
        }
        self._store("info.json", json.dumps(fields).encode())
        return info

    def _measure(self) -> FontInfo:
        from fontTools.ttLib import TTFont

        instance = self.instance
        try:
            font = TTFont(io.BytesIO(instance), recalcTimestamp=False)
            cmap: dict[int, str] = font.getBestCmap()
            metrics: dict[str, tuple[int, int]] = font["hmtx"].metrics
            family = _family(font)
            units_per_em: int = font["head"].unitsPerEm
        except Exception as exc:  # fontTools raises anything on bad input
            raise self.fail(f"not a usable font ({exc})") from None
        advances = {metrics[cmap[c]][0] for c in range(0x21, 0x7F) if c in cmap}
        if len(advances) != 1 or not all(c in cmap for c in range(0x20, 0x7F)):
            raise self.fail("not a monospaced font covering ASCII")
        return FontInfo(
            family=family,
            units_per_em=units_per_em,
            advance=advances.pop(),
            codepoints=frozenset(cmap),
        )

    def woff2(self, text: str) -> bytes:
        """A WOFF2 subset of the font with the glyphs ``text`` needs."""
        characters = "".join(sorted(set(text) - {"\n"} | {" "}))
        name = "subsets/" + hashlib.sha256(characters.encode()).hexdigest()[:16]
        cached = self._cached(name + ".woff2")
        if cached is not None:
            return cached
        data = self._subset(characters)
        self._store(name + ".woff2", data)
        return data

    def _subset(self, characters: str) -> bytes:
        from fontTools import subset  # type: ignore[import-untyped]
        from fontTools.ttLib import TTFont

        self.built.append(characters)
        font = TTFont(io.BytesIO(self.instance), recalcTimestamp=False)
        options = subset.Options()
        options.layout_features = []
        options.hinting = False
        options.name_IDs = list(NAME_IDS)
        options.flavor = "woff2"
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=characters)
        subsetter.subset(font)
        font.flavor = "woff2"
        output = io.BytesIO()
        font.save(output)
        return output.getvalue()


def _family(font: Any) -> str:
    """The typographic family name (name ID 16), else the family (ID 1)."""
    name = font["name"]
    for name_id in (16, 1):
        record = name.getDebugName(name_id)
        if record:
            return str(record)
    raise ValueError("the font has no family name")
