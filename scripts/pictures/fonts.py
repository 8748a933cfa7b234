"""The pictures' one font, JetBrains Mono (fontpkg_jetbrains_mono): an
instance at a weight without layout tables (no ligatures), and its WOFF2
subsets, cached by the font's bytes and fontTools' and brotli's versions."""

import hashlib
import io
from collections.abc import Callable
from contextlib import suppress
from functools import cached_property
from importlib import metadata, resources
from pathlib import Path

from scripts.common import ROOT, write_atomic

FAMILY = "JetBrains Mono"
ADVANCE = 0.6  # em: every character's width (600 of 1000 units)
CACHE = ROOT / ".cache/pictures"


class Font:
    """The font at ``weight``, its files cached in ``cache``."""

    def __init__(self, weight: int = 400, cache: Path = CACHE) -> None:
        self.weight = weight
        files = resources.files("fontpkg_jetbrains_mono") / "files"
        self.source = (files / "JetBrainsMono[wght].ttf").read_bytes()
        versions = [metadata.version(p) for p in ("fonttools", "brotli")]
        key = self.source + repr([weight, *versions]).encode()
        self.folder = cache / hashlib.sha256(key).hexdigest()[:16]

    def _cached(self, name: str, make: Callable[[], bytes]) -> bytes:
        with suppress(OSError):
            return (self.folder / name).read_bytes()
        (self.folder / name).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.folder / name, data := make())
        return data

    @cached_property
    def instance(self) -> bytes:  # the file fontconfig finds (make png)
        return self._cached("instance.ttf", self._instantiate)

    def _instantiate(self) -> bytes:  # a cache miss: 0.1 s
        from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
        from fontTools.varLib import instancer  # type: ignore[import-untyped]

        font = instancer.instantiateVariableFont(TTFont(
            io.BytesIO(self.source), recalcTimestamp=False),
            {"wght": self.weight})
        for tag in {"GSUB", "GPOS", "GDEF", "STAT", "DSIG"} & set(font.keys()):
            del font[tag]
        font.save(output := io.BytesIO())
        return output.getvalue()

    def woff2(self, text: str) -> bytes:
        """A WOFF2 subset with the glyphs ``text`` needs, and a space."""
        characters = "".join(sorted(set(text) - {"\n"} | {" "}))
        digest = hashlib.sha256(characters.encode()).hexdigest()[:16]
        return self._cached(f"subsets/{digest}.woff2",
                            lambda: self._subset(characters))

    def _subset(self, characters: str) -> bytes:
        from fontTools import subset  # type: ignore[import-untyped]

        options = subset.Options(
            hinting=False, flavor="woff2", layout_features=[],
            recalc_bounds=True, name_IDs=[0, 1, 2, 3, 4, 5, 6, 13, 14])
        font = subset.load_font(io.BytesIO(self.instance), options)
        subsetter = subset.Subsetter(options)  # name ID 13, 14: the licence
        subsetter.populate(text=characters)
        subsetter.subset(font)
        subset.save_font(font, output := io.BytesIO(), options)
        return output.getvalue()


FONTS = (Font(400), Font(700))  # every picture's: regular and bold
