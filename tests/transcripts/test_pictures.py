"""The recordings drawn (scripts/pictures/transcripts.py): a picture is
offline, small, selectable and drawn the same twice; a live run is drawn in
sheets of a terminal at most; `make check` fails on a stale, missing or
orphaned picture, and refuses a bad row, naming its line."""

import base64
import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

from scripts.common import ROOT
from scripts.pictures import transcripts as pictures
from scripts.pictures.code_images import MANIFEST
from scripts.transcripts import FOLDER, Recording, load, pages, screen_rows
from tests.pictures.conftest import copy_tree, run_main

RECORDED = sorted(p.stem for p in (ROOT / FOLDER).glob("*.txt"))
SVG = "http://www.w3.org/2000/svg"


@pytest.fixture(scope="session")
def font_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "code_images_font_cache"


@pytest.mark.parametrize("name", RECORDED)
def test_its_picture_is_offline_small_selectable_and_stable(
    name: str, font_cache: Path
) -> None:
    made = load(name)
    svg = pictures.render(name, made, ROOT, font_cache)
    assert svg == pictures.render(name, made, ROOT, font_cache)
    assert len(svg) <= pictures.MAX_KILOBYTES * 1024
    urls = set(re.findall(rb"https?://[^\s\"')]+", svg))
    assert urls == {SVG.encode()}
    tree = ET.fromstring(svg)  # noqa: S314  # our own output
    texts = ["".join(t.itertext()) for t in tree.iter(f"{{{SVG}}}text")]
    words = " ".join(row.text.plain for row in made).split()
    assert "".join("".join(texts[1:]).split()) == "".join(words)  # 0: title
    title = f"<title>{Recording.of(name).command}</title>"
    assert title.encode() in svg  # make demo NAME=... [HTTP=...]
    assert re.search(rb"\.t-[\w-]+-matrix \{", svg), "a CSS class, no dot"
    fonts = re.findall(rb"data:font/woff2;base64,([A-Za-z0-9+/=]+)", svg)
    assert len(fonts) == 2  # regular and bold
    for data in fonts:
        covered = set(TTFont(io.BytesIO(base64.b64decode(data))).getBestCmap())
        missing = {c for c in "".join(words) if ord(c) not in covered}
        assert not missing, f"{name}: not in the deck's font: {missing}"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    return copy_tree(tmp_path, MANIFEST, FOLDER)


def check(
    tree: Path, cache: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    return run_main(pictures.main, tree, cache, capsys, *args)


def test_make_check_fails_on_a_stale_missing_or_orphaned_picture(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A live run's sheet goes stale with its recording, a deleted one is
    missing, and a sheet whose recording is gone is an orphan."""
    folder, check_ = tree / FOLDER, ("--check",)
    assert check(tree, font_cache, capsys, *check_)[0] == 0
    txt = folder / "content_md5.txt"
    txt.write_text(txt.read_text().replace("200 OK", "500 Oops"))
    (folder / "ws_with_token.2.svg").unlink()
    (folder / "streaming_response.txt").unlink()
    code, out, err = check(tree, font_cache, capsys, *check_)
    assert code == 1, out + err
    assert "stale: assets/transcripts/content_md5.1.svg" in out
    assert "missing: assets/transcripts/ws_with_token.2.svg" in out
    assert "orphaned: assets/transcripts/streaming_response.1.svg" in out
    assert check(tree, font_cache, capsys)[0] == 0  # a build mends all
    assert not (folder / "streaming_response.1.svg").exists()
    assert "500&#160;Oops" in (folder / "content_md5.1.svg").read_text()
    assert check(tree, font_cache, capsys, *check_)[0] == 0


def test_a_live_run_is_drawn_in_sheets_of_a_terminal_at_most() -> None:
    """Pages packed in order, none split, each sheet at most 24 rows."""
    for live_run in pictures.live(ROOT):
        rows = load(live_run.stem)
        found = pictures.sheets(rows)
        assert [r for sheet in found for r in sheet] == [
            r for r in rows if not r.breaks
        ]
        assert all(screen_rows(sheet) <= pictures.SHEET_ROWS
                   for sheet in found)
        assert len(found) <= len(pages(rows))


def test_a_bad_row_is_refused_naming_its_line(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    txt = tree / FOLDER / "content_md5.txt"
    lines = txt.read_text().splitlines()
    lines[2] = "soon\t" + lines[2].partition("\t")[2]
    txt.write_text("\n".join(lines))
    code, _, err = check(tree, font_cache, capsys, "--check")
    assert code == 2
    assert err.startswith("assets/transcripts/content_md5.txt:3: bad row")
