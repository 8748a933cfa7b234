"""Bad input to the code images, on a copy of the demos, manifest and
assets: exit code 2, one line naming the file and line, nothing written."""

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from scripts.pictures import code_images
from tests.pictures.conftest import copy_tree, edit, run_main, snapshot

MANIFEST = code_images.MANIFEST
CONTENT = "demos/content_md5.py"
CONTENT_MD5 = "assets/asgi_innovations/content_md5.svg"
WS = "assets/asgi_innovations/ws.svg"
TRAILERS = (
    "assets/asgi_innovations/fastapi_trailers.svg",
    "assets/asgi_innovations/trailers_response.svg",
)
build = partial(run_main, code_images.main)
Spoil = Callable[[Path], str]  # spoils a tree; returns the error expected


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of what the build reads and writes."""
    return copy_tree(tmp_path, "demos", MANIFEST, "assets")


def manifest_line(tree: Path, output: str, key: str) -> int:
    """The line of ``key`` in the manifest entry that makes ``output``."""
    lines = (tree / MANIFEST).read_text().splitlines()
    start = lines.index(f'output = "{output}"')
    for number in range(start, len(lines)):
        if lines[number].startswith(f"{key} ="):
            return number + 1
    raise AssertionError(f"no {key} after {output}")


def _entry(output: str, key: str, line: str, expected: str) -> Spoil:
    """A spoil that replaces ``key``'s line in ``output``'s manifest entry;
    the error expected is ``expected`` at that line."""

    def spoil(tree: Path) -> str:
        number = manifest_line(tree, output, key)
        lines = (tree / MANIFEST).read_text().splitlines()
        lines[number - 1] = line
        (tree / MANIFEST).write_text("\n".join(lines) + "\n")
        return rf"{MANIFEST}:{number}: {expected}"

    return spoil


def _edited(file: str, old: str, new: str, expected: str) -> Spoil:
    """A spoil that only edits ``file``: ``old`` once becomes ``new``."""

    def spoil(tree: Path) -> str:
        edit(tree / file, old, new)
        return expected

    return spoil


ENTRIES = {
    "missing_demo": _entry(
        WS, "source", 'source = "demos/no.py"', "demos/no.py: no such file"
    ),
    "unknown_region": _entry(
        CONTENT_MD5,
        "region",
        'region = "nope"',
        r"demos/content_md5.py has no region 'nope' \(it has: app\)",
    ),
    "highlight_unknown": _entry(
        WS,
        "highlight",
        'highlight = ["await websocket.accept()"]',
        r"highlight 'await websocket.accept\(\)' must match one line of "
        r"demos/ws.py region 'app'; it matches none",
    ),
    "highlight_ambiguous": _entry(
        WS,
        "highlight",
        'highlight = [" "]',
        r"highlight ' ' must match one line of demos/ws.py region 'app'; "
        r"it matches lines 7, 8",
    ),
    "wrong_width": _entry(
        WS,
        "width",
        "width = 1028",
        r"width 1028 shows the code at 21.6 px, not at the 22 px of \[limits\] "
        r"font_px: make it 1050",
    ),
    "wider_than_the_size": _entry(
        CONTENT_MD5,
        "width",
        "width = 1150",
        r"width 1150 shows the code at 23.2 px, not at the 22 px of \[limits\] "
        r"font_px: make it 1089",
    ),
    "too_many_rows": _entry(
        "assets/asgi_innovations/streaming_response.svg",
        "min_rows",
        "min_rows = 25",
        r"demos/streaming_response.py cannot fit: 25 rows of 72 columns at "
        r"22 px are 1063 px wide and 692 px tall; the limits are 1160 px "
        r"wide and 560 px tall",
    ),
}

EDITS = {
    "unknown_marker": _edited(
        CONTENT,
        "[start:app]",
        "[begin:app]",
        r"demos/content_md5.py:11: unknown marker: # --8<-- \[begin:app\]",
    ),
    "unclosed_marker": _edited(
        CONTENT,
        "# --8<-- [end:app]\n",
        "",
        r"demos/content_md5.py:11: region 'app' is never closed",
    ),
    "duplicate_marker": _edited(
        CONTENT,
        "# --8<-- [end:app]\n",
        "# --8<-- [end:app]\n# --8<-- [start:app]\n# --8<-- [end:app]\n",
        r"demos/content_md5.py:30: duplicate region 'app'",
    ),
    "end_without_start": _edited(
        "demos/ws.py",
        "app = FastAPI()\n",
        "# --8<-- [end:x]\n",
        r"demos/ws.py:6: end of unopened region 'x'",
    ),
    "over_wide_line": _edited(
        CONTENT,
        '"more_body": True})\n',
        '"more_body": True})  # far too wide, far too wide, far too wide\n',
        r"demos/content_md5.py:23: line is 83 columns, the limit is 80",
    ),
    "too_many_lines": _edited(
        CONTENT,
        "        return\n",
        "        return\n" + "    pass\n" * 3,
        r"demos/content_md5.py:12: region 'app' is 20 lines, the limit is 19",
    ),
    "tab": _edited(
        "demos/ws.py",
        "    await websocket.close()",
        "\tawait websocket.close()",
        r"demos/ws.py:11: tab character; use spaces",
    ),
    "bad_toml": _edited(
        str(MANIFEST),
        "max_lines = 19",
        "max_lines = = 19",
        rf"{MANIFEST}:\d+: invalid TOML: .*",
    ),
}


def _garbage_font(tree: Path) -> str:
    (tree / "font.ttf").write_bytes(b"not a font at all")
    edit(tree / MANIFEST, 'package = "fontpkg_jetbrains_mono"', "")
    lines = (tree / MANIFEST).read_text().splitlines()
    number = lines.index("[font]") + 3
    assert lines[number - 1].startswith("file = ")
    lines[number - 1] = 'file = "font.ttf"'
    (tree / MANIFEST).write_text("\n".join(lines) + "\n")
    return (
        rf"{MANIFEST}:{number}: cannot read font "
        rf"{re.escape(str(tree))}/font.ttf: not a usable font \(.*\)"
    )


def _missing_font(tree: Path) -> str:
    edit(tree / MANIFEST, "JetBrainsMono[wght].ttf", "NoSuchFont.ttf")
    return (
        rf"{MANIFEST}:\d+: cannot read font "
        r".*/NoSuchFont.ttf: No such file or directory"
    )


def _cannot_fit(tree: Path) -> str:
    edit(tree / MANIFEST, "max_height_px = 560", "max_height_px = 300")
    number = manifest_line(tree, "assets/asgi.svg", "width")
    return (
        rf"{MANIFEST}:{number}: demos/asgi_app.py cannot fit: "
        r"15 rows of 72 columns at 22 px are 1063 px wide and 439 px tall; "
        r"the limits are 1160 px wide and 300 px tall"
    )


def _no_section(tree: Path) -> str:
    """Alone, ws.py's 59 columns need no more than 891 px at 22 px."""
    number = manifest_line(tree, WS, "section")
    lines = (tree / MANIFEST).read_text().splitlines()
    del lines[number - 1]
    (tree / MANIFEST).write_text("\n".join(lines) + "\n")
    return (
        rf"{MANIFEST}:{manifest_line(tree, WS, 'width')}: width 1050 shows "
        r"the code at 25.9 px, not at the 22 px of \[limits\] font_px: make "
        r"it 891"
    )


def _too_wide(tree: Path) -> str:
    """The trailers' frame, 74 columns at 22 px, is 1089 px wide."""
    edit(tree / MANIFEST, "max_width_px = 1160", "max_width_px = 1080")
    lines = (tree / MANIFEST).read_text().splitlines()
    for output in (CONTENT_MD5, *TRAILERS):
        lines[manifest_line(tree, output, "width") - 1] = "width = 1000"
    (tree / MANIFEST).write_text("\n".join(lines) + "\n")
    number = manifest_line(tree, CONTENT_MD5, "width")
    return (
        rf"{MANIFEST}:{number}: demos/content_md5.py cannot fit: "
        r"17 rows of 74 columns at 22 px are 1089 px wide and 490 px tall; "
        r"the limits are 1080 px wide and 560 px tall"
    )


def _small_caption(tree: Path) -> str:
    edit(tree / MANIFEST, "min_text_px = 20", "min_text_px = 21")
    number = manifest_line(tree, "assets/asgi.svg", "width")
    return (
        rf"{MANIFEST}:{number}: its title bar would show demos/asgi_app.py "
        r"at 20.2 px, under the 21 px minimum: raise TITLE_SIZE in "
        r"scripts/pictures/theme.py"
    )


def _not_utf8_demo(tree: Path) -> str:
    path = tree / "demos/ws.py"
    lines = path.read_bytes().split(b"\n")
    assert lines[8] == b'@app.websocket("/ws")', lines[8]
    lines[8] += b"  # caf\xe9"  # Latin-1, not UTF-8
    path.write_bytes(b"\n".join(lines))
    return r"demos/ws.py:9: not UTF-8: byte 0xe9 in column 29"


def _not_utf8_manifest(tree: Path) -> str:
    path = tree / MANIFEST
    lines = path.read_bytes().split(b"\n")
    lines[2] += b" \xff"
    path.write_bytes(b"\n".join(lines))
    column = len(lines[2])
    return rf"{MANIFEST}:3: not UTF-8: byte 0xff in column {column}"


BAD_INPUTS = {
    **ENTRIES,
    **EDITS,
    "garbage_font": _garbage_font,
    "missing_font": _missing_font,
    "cannot_fit": _cannot_fit,
    "too_wide": _too_wide,
    "no_section": _no_section,
    "small_caption": _small_caption,
    "not_utf8_demo": _not_utf8_demo,
    "not_utf8_manifest": _not_utf8_manifest,
}


@pytest.mark.parametrize("spoil", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_fails_with_file_and_line_and_writes_nothing(
    spoil: Spoil,
    tree: Path,
    font_cache: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The first image would change too (its width need not): nothing may
    # be written before every entry has been checked.
    edit(tree / "demos/asgi_app.py", "Hello, world!", "Hello, World!")
    expected = spoil(tree)
    before = snapshot(tree / "assets")
    code, out, err = build(tree, font_cache, capsys)
    assert code == 2
    assert out == ""
    assert re.fullmatch(expected + "\n", err), err
    assert snapshot(tree / "assets") == before
