"""`--check` and writing, on a copy of the demos, manifest and assets.

A change inside a shown region makes its image stale and `--check` names
it with a diff of the code; a change elsewhere does not. A build rewrites
only what changed; a file it cannot write is one line and exit code 2.
"""

import shutil
import xml.etree.ElementTree as ET
from functools import partial
from pathlib import Path

import pytest

from scripts.pictures import code_images
from tests.pictures.conftest import (
    ROOT,
    banded,
    copy_tree,
    edit,
    run_main,
    snapshot,
)

MANIFEST = code_images.MANIFEST
CONTENT_MD5 = "assets/asgi_innovations/content_md5.svg"
WS = "assets/asgi_innovations/ws.svg"
build = partial(run_main, code_images.main)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of what the build reads and writes."""
    return copy_tree(tmp_path, "demos", MANIFEST, "assets")


def test_a_change_inside_a_region_makes_its_image_stale(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(tree / "demos/content_md5.py", 'b"trailer"', 'b"Trailer"')
    before = snapshot(tree / "assets")
    code, out, err = build(tree, font_cache, capsys, "--check")
    assert code == 1
    assert f"stale: {CONTENT_MD5} (demos/content_md5.py)" in out
    assert (
        '-    headers = [(b"trailer", b"content-md5")] if trailers else []'
        in out
    )
    assert (
        '+    headers = [(b"Trailer", b"content-md5")] if trailers else []'
        in out
    )
    assert out.count("stale:") == 1
    assert "out of date: run `make assets`" in err
    assert snapshot(tree / "assets") == before


def test_a_highlight_follows_its_line_when_the_demo_moves(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line added above the region moves every number, not the band."""
    edit(tree / "demos/ws.py", '"""Close', '# A comment.\n"""Close')
    code, out, _ = build(tree, font_cache, capsys)
    assert code == 0, out
    svg = ET.fromstring((tree / WS).read_bytes())  # noqa: S314  # ours
    assert banded(svg) == ["await websocket.close()"]


def test_a_change_outside_every_region_leaves_the_images_fresh(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(tree / "demos/content_md5.py", "(RFC 1864)", "(see RFC 1864)")
    edit(
        tree / "demos/raise_oserror.py",
        "import asyncio\n",
        "import asyncio  \n",
    )
    # Off the slides since issue #12: docstrings, and the empty-token guard.
    edit(tree / "demos/ws_with_token.py", "parameter is right", "is right")
    edit(tree / "demos/ws_with_token.py", "set but empty", "empty")
    edit(tree / "demos/asgi_app.py", "The bare ASGI", "A bare ASGI")
    code, out, _ = build(tree, font_cache, capsys, "--check")
    assert code == 0, out
    assert "16 code images up to date" in out


def test_a_style_change_is_stale_without_a_code_diff(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = """    '"headers": headers, "trailers": trailers})',\n"""
    edit(tree / MANIFEST, line, "")
    code, out, _ = build(tree, font_cache, capsys, "--check")
    assert code == 1
    assert f"stale: {CONTENT_MD5}" in out
    assert "(same code; highlight, title, width or style changed)" in out


def test_missing_and_orphaned_images(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assets = tree / "assets"
    (assets / "asgi_innovations/ws.svg").unlink()
    shutil.copy2(
        assets / CONTENT_MD5.removeprefix("assets/"), assets / "old.svg"
    )
    # Other generators' SVGs (diagrams, charts) are not ours to judge.
    diagram = '<svg xmlns="http://www.w3.org/2000/svg"><!-- a diagram --></svg>'
    (assets / "diagram.svg").write_text(diagram)
    code, out, _ = build(tree, font_cache, capsys, "--check")
    assert code == 1
    assert "missing: assets/asgi_innovations/ws.svg (demos/ws.py)" in out
    assert "orphaned: assets/old.svg" in out
    assert "diagram" not in out
    assert not (assets / "asgi_innovations/ws.svg").exists()

    code, out, _ = build(tree, font_cache, capsys)
    assert code == 0
    assert (assets / "asgi_innovations/ws.svg").read_bytes() == (
        ROOT / "assets/asgi_innovations/ws.svg"
    ).read_bytes()
    assert not (assets / "old.svg").exists()
    assert (assets / "diagram.svg").read_text() == diagram
    assert build(tree, font_cache, capsys, "--check")[0] == 0


def test_a_build_rewrites_only_the_images_that_changed(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(tree / "demos/content_md5.py", 'b"trailer"', 'b"Trailer"')
    before = snapshot(tree / "assets")
    code, out, _ = build(tree, font_cache, capsys)
    assert code == 0
    assert f"wrote {CONTENT_MD5}" in out
    after = snapshot(tree / "assets")
    changed = {name for name in after if after[name] != before[name]}
    assert changed == {CONTENT_MD5.removeprefix("assets/")}
    assert not list((tree / "assets").rglob(".*.tmp")), "a temporary file"
    assert build(tree, font_cache, capsys, "--check")[0] == 0


def test_an_output_folder_that_is_a_file_is_one_line_and_exit_2(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Writing fails (as root too): say where, once, and exit 2."""
    folder = tree / "assets/asgi_innovations"
    shutil.rmtree(folder)
    folder.write_text("a file where a folder belongs\n")
    code, out, _ = build(tree, font_cache, capsys, "--check")
    assert code == 1
    assert "missing: assets/asgi_innovations/ws.svg (demos/ws.py)" in out
    before = snapshot(tree / "assets")
    code, out, err = build(tree, font_cache, capsys)
    assert code == 2
    assert err == (
        "cannot write assets/asgi_innovations/ws.svg: "
        "assets/asgi_innovations is not a folder\n"
    )
    assert snapshot(tree / "assets") == before


def test_an_unwritable_font_cache_is_one_line_and_exit_2(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not "not a usable font": the font is fine, its cache is not."""
    (tree / ".cache").write_text("a file where a folder belongs\n")
    before = snapshot(tree / "assets")
    code, out, err = build(tree, tree / ".cache/assets", capsys, "--check")
    assert (code, out) == (2, "")
    why = f"{tree}/.cache is not a folder"
    assert err == f"cannot write the font cache: {why}\n"
    assert snapshot(tree / "assets") == before
