"""What the picture tests share: the pictures built afresh (once a
session) and rasterised as `make png` does, copies of the repository to
spoil, the generator run on one, and readers of our SVGs that do not use
scripts/pictures."""

import base64
import io
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from scripts.common import ROOT
from scripts.pictures import generator

SVG = "http://www.w3.org/2000/svg"
NS = {"svg": SVG}
Run = Callable[..., tuple[int, str, str]]
Snapshot = dict[str, tuple[bytes, int]]


@pytest.fixture(scope="session")
def built() -> dict[str, bytes]:
    """Every picture drawn afresh from the repository: path -> SVG."""
    return generator.pictures(ROOT)


@pytest.fixture(scope="session")
def pngs(
    built: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Every code picture and chart as a PNG at its size on the slide,
    drawn by cairosvg as `make png` draws (one process for all)."""
    folder, jobs = tmp_path_factory.mktemp("png"), {}
    for n, output in enumerate(o for o in built if "/results/" not in o
                               and "/transcripts/" not in o):
        (folder / f"{n}.svg").write_bytes(built[output])
        jobs[output] = (folder / f"{n}.svg", folder / f"{n}.png", 1.0)
    command = [sys.executable, "-m", "scripts.pictures.code_images"]
    command += [str(part) for job in jobs.values() for part in job]
    subprocess.run(command, cwd=ROOT, check=True, timeout=120)
    return {output: png_ for output, (_, png_, _) in jobs.items()}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of what the generator reads and writes."""
    for name in ("demos", "assets"):
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / name, tmp_path / name, ignore=ignore)
    return tmp_path


def run_main(
    tree: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """`python -m scripts.pictures` in-process on ``tree``: its exit code,
    stdout and stderr."""
    code = generator.main(["--root", str(tree), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def run(tree: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    return partial(run_main, tree, capsys)


def snapshot(folder: Path) -> Snapshot:
    """Every file under ``folder``: its bytes and modification time."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old``, found once, by ``new``."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def parse(svg: bytes) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314  # our own output


def rows(svg: bytes) -> list[str]:
    """The rows of text a picture of ours shows (Rich's, in the group whose
    class ends -matrix), rebuilt from where each run of text is: Rich
    leaves out runs of spaces."""
    (group,) = [g for g in parse(svg).iter(f"{{{SVG}}}g")
                if g.get("class", "").endswith("-matrix")]
    found: dict[int, dict[int, str]] = {}
    for text in group.iter(f"{{{SVG}}}text"):
        shown = "".join(text.itertext()).replace("\xa0", " ")
        advance = float(text.get("textLength", "0")) / len(shown)
        row = round((float(text.get("y", "0")) - 20) / 24.4)  # Rich's pitch
        start = round(float(text.get("x", "0")) / advance)
        found.setdefault(row, {}).update(enumerate(shown, start))
    return ["".join(found.get(row, {}).get(i, " ") for i in range(
        max(found.get(row, {0: ""})) + 1)).rstrip()
        for row in range(max(found) + 1)]


def size(svg: bytes) -> tuple[float, float, float]:
    """A picture's width and height on the slide, and its text's size
    there (its width and height attributes over its viewBox)."""
    root = parse(svg)
    _, _, width, _ = map(float, root.get("viewBox", "").split())
    shown = float(root.get("width", "0"))
    return shown, float(root.get("height", "0")), 20 * shown / width


def fills(svg: bytes) -> set[str]:
    """Every colour Rich draws a text of ``svg`` in (its CSS classes)."""
    return set(re.findall(r"\{ fill: (#[0-9a-f]{6})", svg.decode()))


def assert_embeds_a_subset(svg: bytes, shown: str) -> None:
    """``svg`` embeds a WOFF2 subset with the glyphs of ``shown`` and no
    layout tables (nothing can turn `->` into a ligature)."""
    found = re.search(rb"url\(data:font/woff2;base64,([A-Za-z0-9+/=]+)\)", svg)
    assert found is not None, "no embedded WOFF2 font"
    font = TTFont(io.BytesIO(base64.b64decode(found.group(1))))
    assert font.flavor == "woff2"
    assert not {"GSUB", "GPOS"} & set(font.keys())
    covered = set(font.getBestCmap())
    assert {ord(c) for c in shown} <= covered
    assert len(covered) < 120, "the font is not subset"
