"""`--check` and bad input, on a copy of the demos, manifest and assets.

A change inside a shown region makes its image stale and `--check` names
it with a diff of the code; a change elsewhere does not. Bad input ends
with exit code 2 and one line naming the file and line, and writes nothing.
"""

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scripts.assets import build as assets
from scripts.assets import code_images

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = Path("scripts/assets/code_images.toml")
DECK_DATA = Path("scripts/assets/pictures.toml")
CONTENT_MD5 = "assets/asgi_innovations/content_md5.svg"
DIAGRAM = "assets/diagrams/asgi_stack.svg"  # a deck picture

Snapshot = dict[str, tuple[bytes, int]]
Spoil = Callable[[Path], str]  # spoils a tree; returns the error expected


@pytest.fixture(scope="module")
def font_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One font cache for the session (the same path in every module)."""
    return tmp_path_factory.getbasetemp() / "code_images_font_cache"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of what the build reads and writes."""
    shutil.copytree(
        ROOT / "demos",
        tmp_path / "demos",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (tmp_path / "scripts" / "assets").mkdir(parents=True)
    shutil.copy2(ROOT / MANIFEST, tmp_path / MANIFEST)
    shutil.copytree(ROOT / "assets", tmp_path / "assets")
    return tmp_path


def build(
    tree: Path,
    font_cache: Path,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> tuple[int, str, str]:
    """Run the script on ``tree``; return its exit code, stdout, stderr."""
    code = code_images.main(
        ["--root", str(tree), "--cache-dir", str(font_cache), *args]
    )
    out, err = capsys.readouterr()
    return code, out, err


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def snapshot(folder: Path) -> Snapshot:
    return {
        str(path.relative_to(folder)): (
            path.read_bytes(),
            path.stat().st_mtime_ns,
        )
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


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


def test_a_change_outside_every_region_leaves_the_images_fresh(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(tree / "demos/content_md5.py", "(RFC 1864)", "(see RFC 1864)")
    edit(
        tree / "demos/raise_oserror.py",
        "import asyncio\n",
        "import asyncio  \n",
    )
    code, out, _ = build(tree, font_cache, capsys, "--check")
    assert code == 0, out
    assert "12 code images up to date" in out


def test_a_whole_file_image_shows_the_docstring_too(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(tree / "demos/ws.py", "only sees HTTP 403", "only sees a 403")
    code, out, _ = build(tree, font_cache, capsys, "--check")
    assert code == 1
    assert "stale: assets/asgi_innovations/ws.svg (demos/ws.py)" in out


def test_a_style_change_is_stale_without_a_code_diff(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(tree / MANIFEST, "highlight = [15, 21, 33]", "highlight = [15, 33]")
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


def manifest_line(tree: Path, output: str, key: str) -> int:
    """The line of ``key`` in the manifest entry that makes ``output``."""
    lines = (tree / MANIFEST).read_text().splitlines()
    start = lines.index(f'output = "{output}"')
    for number in range(start, len(lines)):
        if lines[number].startswith(f"{key} ="):
            return number + 1
    raise AssertionError(f"no {key} after {output}")


def edit_entry(tree: Path, output: str, key: str, line: str) -> int:
    """Replace ``key``'s line in ``output``'s entry; return its number."""
    number = manifest_line(tree, output, key)
    lines = (tree / MANIFEST).read_text().splitlines()
    lines[number - 1] = line
    (tree / MANIFEST).write_text("\n".join(lines) + "\n")
    return number


def _missing_demo(tree: Path) -> str:
    number = edit_entry(
        tree,
        "assets/asgi_innovations/ws.svg",
        "source",
        'source = "demos/no.py"',
    )
    return rf"{MANIFEST}:{number}: demos/no.py: no such file"


def _unknown_region(tree: Path) -> str:
    number = edit_entry(tree, CONTENT_MD5, "region", 'region = "nope"')
    return (
        rf"{MANIFEST}:{number}: demos/content_md5.py has no "
        r"region 'nope' \(it has: app\)"
    )


def _edited(file: str, old: str, new: str, expected: str) -> Spoil:
    """A spoil that only edits ``file``: ``old`` once becomes ``new``."""

    def spoil(tree: Path) -> str:
        edit(tree / file, old, new)
        return expected

    return spoil


CONTENT = "demos/content_md5.py"
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
        r"demos/content_md5.py:35: duplicate region 'app'",
    ),
    "end_without_start": _edited(
        "demos/ws.py",
        "app = FastAPI()\n",
        "# --8<-- [end:x]\n",
        r"demos/ws.py:5: end of unopened region 'x'",
    ),
    "over_wide_line": _edited(
        CONTENT,
        '"more_body": True}',
        '"more_body": True}  # too wide',
        r"demos/content_md5.py:27: line is 88 columns, the limit is 80",
    ),
    "too_many_lines": _edited(
        CONTENT,
        "        return\n",
        "        return\n" + "    pass\n" * 3,
        r"demos/content_md5.py:12: region 'app' is 25 lines, the limit is 22",
    ),
    "tab": _edited(
        "demos/ws.py",
        "    await websocket.close()",
        "\tawait websocket.close()",
        r"demos/ws.py:10: tab character; use spaces",
    ),
    "bad_toml": _edited(
        str(MANIFEST),
        "max_lines = 22",
        "max_lines = = 22",
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


def _highlight_outside(tree: Path) -> str:
    number = edit_entry(tree, CONTENT_MD5, "highlight", "highlight = [5]")
    return (
        rf"{MANIFEST}:{number}: highlight line 5 is not shown: "
        r"demos/content_md5.py region 'app' shows lines 12-33"
    )


def _too_narrow(tree: Path) -> str:
    output = "assets/asgi_innovations/ws.svg"
    number = edit_entry(tree, output, "width", "width = 900")
    return (
        rf"{MANIFEST}:{number}: width 900 shows the code at "
        r"18.0 px, under the 20 px minimum: make it at least 1002"
    )


def _too_tall(tree: Path) -> str:
    number = edit_entry(tree, CONTENT_MD5, "width", "width = 1150")
    return (
        rf"{MANIFEST}:{number}: width 1150 makes the image "
        r"633 px tall, over the 560 px maximum: make it at most 1017"
    )


def _cannot_fit(tree: Path) -> str:
    edit(tree / MANIFEST, "max_height_px = 560", "max_height_px = 300")
    number = manifest_line(tree, "assets/asgi.svg", "width")
    return (
        rf"{MANIFEST}:{number}: demos/asgi_app.py cannot fit: "
        r"20 lines of 76 columns need 1014 px of width for 20 px text, which "
        r"makes them 512 px tall; the limits are 1280 px wide and 300 px tall"
    )


def _not_utf8_demo(tree: Path) -> str:
    path = tree / "demos/ws.py"
    lines = path.read_bytes().split(b"\n")
    assert lines[7] == b'@app.websocket("/ws")', lines[7]
    lines[7] += b"  # caf\xe9"  # Latin-1, not UTF-8
    path.write_bytes(b"\n".join(lines))
    return r"demos/ws.py:8: not UTF-8: byte 0xe9 in column 29"


def _not_utf8_manifest(tree: Path) -> str:
    path = tree / MANIFEST
    lines = path.read_bytes().split(b"\n")
    lines[2] += b" \xff"
    path.write_bytes(b"\n".join(lines))
    column = len(lines[2])
    return rf"{MANIFEST}:3: not UTF-8: byte 0xff in column {column}"


BAD_INPUTS = {
    "missing_demo": _missing_demo,
    "unknown_region": _unknown_region,
    **EDITS,
    "garbage_font": _garbage_font,
    "missing_font": _missing_font,
    "highlight_outside": _highlight_outside,
    "too_narrow": _too_narrow,
    "too_tall": _too_tall,
    "cannot_fit": _cannot_fit,
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
    # The first image would change too: nothing may be written before
    # every entry has been checked.
    edit(tree / "demos/asgi_app.py", "Hello, world!", "Hello, you!")
    expected = spoil(tree)
    before = snapshot(tree / "assets")
    code, out, err = build(tree, font_cache, capsys)
    assert code == 2
    assert out == ""
    assert re.fullmatch(expected + "\n", err), err
    assert snapshot(tree / "assets") == before


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


# -- Every generator at once: `make assets` and `make check` ------------------


@pytest.fixture
def whole_tree(tree: Path) -> Path:
    """``tree``, plus the deck pictures' data and the font caches."""
    shutil.copy2(ROOT / DECK_DATA, tree / DECK_DATA)
    if (ROOT / "dist/cache").is_dir():
        shutil.copytree(ROOT / "dist/cache", tree / "dist/cache")
    return tree


def build_all(
    tree: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run `python -m scripts.assets` in-process on ``tree``."""
    code = assets.main(["--root", str(tree), *args])
    out, err = capsys.readouterr()
    return code, out, err


def deck_pictures() -> int:
    """How many pictures the deck pictures' data lists."""
    lines = (ROOT / DECK_DATA).read_text(encoding="utf-8").splitlines()
    return sum(line.startswith("output = ") for line in lines)


def line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    (number,) = [n for n, line in enumerate(lines, 1) if text in line]
    return number


def _deck_makes_a_code_image(tree: Path) -> str:
    edit(
        tree / DECK_DATA,
        f'output = "{DIAGRAM}"',
        'output = "assets/./asgi.svg"',
    )
    deck = line_of(tree / DECK_DATA, '"assets/./asgi.svg"')
    code = line_of(tree / MANIFEST, '"assets/asgi.svg"')
    return (
        f"scripts/assets/pictures.toml:{deck}: assets/./asgi.svg is also made "
        f"by scripts/assets/code_images.toml:{code}"
    )


def _a_code_image_is_a_measured_picture(tree: Path) -> str:
    edit(
        tree / MANIFEST,
        f'output = "{CONTENT_MD5}"',
        'output = "assets/bench_wasted.svg"',
    )
    code = line_of(tree / MANIFEST, '"assets/bench_wasted.svg"')
    measured = line_of(
        ROOT / "scripts/assets/charts.py", '"assets/bench_wasted.svg"'
    )
    return (
        f"scripts/assets/charts.py:{measured}: assets/bench_wasted.svg "
        f"is also made by scripts/assets/code_images.toml:{code}"
    )


@pytest.mark.parametrize(
    "share", [_deck_makes_a_code_image, _a_code_image_is_a_measured_picture]
)
@pytest.mark.parametrize("check", [False, True], ids=["build", "check"])
def test_two_generators_sharing_an_output_are_refused(
    share: Callable[[Path], str],
    check: bool,
    whole_tree: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = share(whole_tree)
    before = snapshot(whole_tree / "assets")
    code, out, err = build_all(whole_tree, capsys, *["--check"] * check)
    assert code == 2
    assert err == expected + "\n"
    assert snapshot(whole_tree / "assets") == before
    # Both sharers are refused; the generator that shares nothing runs.
    assert "code image" not in out
    uninvolved = "deck" if "charts.py" in expected else "measured"
    assert f"{uninvolved} pictures up to date" in out
    assert out.count("up to date") == 1


def test_python_m_scripts_assets_refuses_a_shared_output(
    whole_tree: Path,
) -> None:
    """The one subprocess: `python -m` reaches main() and its exit code."""
    expected = _deck_makes_a_code_image(whole_tree)
    command = ["-m", "scripts.assets", "--check", "--root", str(whole_tree)]
    result = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (2, expected + "\n")


def test_a_malformed_manifest_is_said_once_and_the_rest_still_run(
    whole_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every generator draws in the code images' font: all wait for it."""
    edit(whole_tree / MANIFEST, "max_lines = 22", "max_lines = = 22")
    line = line_of(whole_tree / MANIFEST, "max_lines = = 22")
    before = snapshot(whole_tree / "assets")
    for args in ([], ["--check"]):
        code, out, err = build_all(whole_tree, capsys, *args)
        assert code == 2
        assert re.fullmatch(
            rf"{MANIFEST}:{line}: invalid TOML: [^\n]*\n", err
        ), err
        assert "up to date" not in out
    assert snapshot(whole_tree / "assets") == before


def test_a_malformed_picture_manifest_leaves_the_code_images_running(
    whole_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The code images and the charts do not read pictures.toml."""
    text = (whole_tree / DECK_DATA).read_text(encoding="utf-8")
    (whole_tree / DECK_DATA).write_text("[[ =\n" + text, encoding="utf-8")
    for args in ([], ["--check"]):
        code, out, err = build_all(whole_tree, capsys, *args)
        assert code == 2
        assert re.fullmatch(rf"{DECK_DATA}:1: invalid TOML: [^\n]*\n", err)
        assert "12 code images up to date" in out
        assert "measured pictures up to date" in out


def dead_pid() -> int:
    """A process id no process can have: above the kernel's maximum."""
    if sys.platform != "linux":
        return 100_000  # macOS's process ids stop at 99,999
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


def test_leftover_temporary_files_fail_the_check_and_a_build_sweeps_them(
    whole_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = whole_tree / "assets"
    # A build killed between writing its temporary file and the rename.
    killed = folder / f"asgi_innovations/.ws.svg.{dead_pid()}.tmp"
    killed.write_bytes(b"<svg xmlns=")
    # A temporary file of a live process, but an hour old: its id was reused.
    stale = folder / f".asgi.svg.{os.getpid()}.tmp"
    stale.write_bytes(b"<svg")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    # A build writing right now, in another process: not ours to judge.
    writing = folder / f"diagrams/.asgi_stack.svg.{os.getpid()}.tmp"
    writing.write_bytes(b"<svg")
    names = [str(p.relative_to(whole_tree)) for p in (killed, stale)]

    code, out, err = build_all(whole_tree, capsys, "--check")
    assert code == 1
    for name in names:
        assert f"leftover: {name} (" in out
    assert "asgi_stack" not in out
    assert "2 leftover temporary file(s): run `make assets`" in err
    assert killed.exists()
    assert stale.exists()

    code, out, _ = build_all(whole_tree, capsys)
    assert code == 0
    for name in names:
        assert f"removed {name} (" in out
    assert not killed.exists()
    assert not stale.exists()
    assert writing.exists()
    assert build_all(whole_tree, capsys, "--check")[0] == 0


def test_an_unwritable_font_cache_is_one_line_and_exit_2(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not "not a usable font": the font is fine, its cache is not."""
    (tree / "dist").write_text("a file where a folder belongs\n")
    before = snapshot(tree / "assets")
    code, out, err = build(tree, tree / "dist/cache", capsys, "--check")
    assert (code, out) == (2, "")
    assert err == f"cannot write the font cache: {tree}/dist is not a folder\n"
    assert snapshot(tree / "assets") == before
