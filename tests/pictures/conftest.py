"""What the asset tests share: a font cache, copies of the repository to
spoil, snapshots of a folder, running a generator, and the embedded font."""

import base64
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from scripts.pictures import charts
from scripts.pictures.svg import SVG_NS

ROOT = Path(__file__).resolve().parents[2]
NS = {"svg": SVG_NS}

Snapshot = dict[str, tuple[bytes, int]]
Main = Callable[[Sequence[str]], int]


@pytest.fixture(scope="session")
def font_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One font cache for the session (on each xdist worker)."""
    return tmp_path_factory.getbasetemp() / "code_images_font_cache"


def banded(tree: ET.Element) -> list[str]:
    """The text of each code line a highlight band covers, top to bottom."""
    code = tree.find("svg:g[@class='code']", NS)
    assert code is not None
    rows = [(float(t.get("y", "0")), "".join(t.itertext())) for t in code]
    found = []
    for band in tree.findall("svg:rect[@class='band']", NS):
        top = float(band.get("y", "0"))
        bottom = top + float(band.get("height", "0"))
        found += [text.strip() for y, text in rows if top < y <= bottom]
    return found


def copy_tree(into: Path, *names: str | Path) -> Path:
    """Copy these files and folders of the repository into ``into``."""
    for name in names:
        source, target = ROOT / name, into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(source, target, ignore=ignore)
        else:
            shutil.copy2(source, target)
    return into


def snapshot(folder: Path) -> Snapshot:
    """Every file under ``folder``: its bytes and modification time."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def edit(path: Path, old: str, new: str) -> int:
    """Replace ``old`` (once) by ``new``; the line where ``new`` starts."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return text[: text.index(new)].count("\n") + 1


def run_main(
    main: Main,
    tree: Path,
    font_cache: Path,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> tuple[int, str, str]:
    """Run a generator on ``tree``; its exit code, stdout and stderr."""
    code = main(["--root", str(tree), "--cache-dir", str(font_cache), *args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_embeds_a_subset(svg: str, shown: str) -> None:
    """``svg`` embeds a WOFF2 subset with the glyphs of ``shown`` and no
    layout tables (nothing can turn `->` into a ligature)."""
    found = re.search(r"url\(data:font/woff2;base64,([A-Za-z0-9+/=]+)\)", svg)
    assert found is not None, "no embedded WOFF2 font"
    font = TTFont(io.BytesIO(base64.b64decode(found.group(1))))
    assert font.flavor == "woff2"
    assert not {"GSUB", "GPOS"} & set(font.keys())
    covered = set(font.getBestCmap())
    assert {ord(c) for c in shown} <= covered
    assert len(covered) < 120, "the font is not subset"


NS = {"svg": SVG_NS}


@pytest.fixture(scope="module")
def built(font_cache: Path) -> dict[str, bytes]:
    """The measured pictures (charts.py), built afresh: path -> SVG."""
    return charts.build(ROOT, font_cache)


def parse(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314  # our own output


def texts(data: bytes) -> list[str]:
    return [
        "".join(t.itertext()) for t in parse(data).iter(f"{{{SVG_NS}}}text")
    ]


@pytest.fixture(scope="module")
def matrix() -> dict[str, Any]:
    """The committed support matrix."""
    data: dict[str, Any] = json.loads(
        (ROOT / "assets/support_matrix.json").read_text()
    )
    return data


def strip_rows(data: bytes) -> list[str]:
    """The rows a result strip (Rich's SVG export) shows, rebuilt from
    where each piece of its text is: Rich leaves out runs of spaces."""
    tree = ET.fromstring(data)  # noqa: S314  # our own output
    groups = [g for g in tree.iter(f"{{{SVG_NS}}}g")
              if g.get("class", "").endswith("-matrix")]
    assert len(groups) == 1, "no single text matrix"
    rows: dict[float, dict[int, str]] = {}
    for text in groups[0].iter(f"{{{SVG_NS}}}text"):
        shown = "".join(text.itertext()).replace("\xa0", " ")
        advance = float(text.get("textLength", "0")) / len(shown)
        cells = rows.setdefault(float(text.get("y", "0")), {})
        start = round(float(text.get("x", "0")) / advance)
        cells |= {start + i: c for i, c in enumerate(shown)}
    return [
        "".join(cells.get(i, " ") for i in range(max(cells) + 1)).rstrip()
        for _, cells in sorted(rows.items())
    ]
