"""The result strips: the recorded run's key rows under the code.

Each committed strip shows rows of its recording, by their text and in its
order, legibly at the width the deck shows its code image, and fits under
it; a fresh build gives the same bytes; a change to a selected row or to
the selection makes it stale; a bad selection is one line naming the
manifest's line, and nothing is written.
"""

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from scripts.assets import code_images, results, transcripts
from scripts.assets.code_images import MANIFEST
from scripts.assets.manifest import ImageSpec, load_manifest
from scripts.transcripts import FOLDER, Row, parse
from tests.assets.conftest import (
    ROOT,
    assert_embeds_a_subset,
    copy_tree,
    edit,
    run_main,
    snapshot,
)

SVG = "http://www.w3.org/2000/svg"
LOADED = load_manifest(ROOT / MANIFEST, ROOT)
SPECS = [spec for spec in LOADED.images if spec.result]
EXPECTED = {  # the code slides the talk does not run live
    "assets/asgi.svg": "assets/results/asgi_app.svg",
    "assets/asgi_innovations/ws.svg": "assets/results/ws.svg",
    "assets/asgi_innovations/ws_send_denial_response.svg":
        "assets/results/ws_send_denial_response.svg",
    "assets/asgi_innovations/ws_http_exception.svg":
        "assets/results/ws_http_exception.svg",
    "assets/asgi_innovations/disconnect_receive.svg":
        "assets/results/disconnect_receive.svg",
    "assets/asgi_innovations/ws_disconnect.svg":
        "assets/results/ws_disconnect.svg",
}
WS = "assets/results/ws.svg"
WS_CODE = "assets/asgi_innovations/ws.svg"
build = partial(run_main, results.main)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of what the build reads and writes."""
    return copy_tree(tmp_path, "demos", MANIFEST, "assets")


@pytest.fixture(scope="module")
def code(font_cache: Path) -> dict[str, code_images.Image]:
    _, built = code_images.build(ROOT, ROOT / MANIFEST, font_cache)
    return {image.spec.output: image for image in built}


def recording(spec: ImageSpec) -> list[Row]:
    path = ROOT / FOLDER / f"{Path(spec.source).stem}.txt"
    return parse(path.read_bytes(), str(path))


def strip_rows(data: bytes) -> list[str]:
    """The rows a strip shows, rebuilt from where each piece of text is."""
    tree = ET.fromstring(data)  # noqa: S314  # our own output
    groups = [g for g in tree.iter(f"{{{SVG}}}g")
              if g.get("class", "").endswith("-matrix")]
    assert len(groups) == 1, "no single text matrix"
    rows: dict[float, dict[int, str]] = {}
    for text in groups[0].iter(f"{{{SVG}}}text"):
        shown = "".join(text.itertext()).replace("\xa0", " ")
        advance = float(text.get("textLength", "0")) / len(shown)
        cells = rows.setdefault(float(text.get("y", "0")), {})
        start = round(float(text.get("x", "0")) / advance)
        cells |= {start + i: c for i, c in enumerate(shown)}
    return [
        "".join(cells.get(i, " ") for i in range(max(cells) + 1)).rstrip()
        for _, cells in sorted(rows.items())
    ]


def geometry(data: bytes) -> tuple[float, float, float, float]:
    """A strip's width, height, rows' and title's font size (its px)."""
    text = data.decode()
    view = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', text)
    rows = re.search(r"-matrix \{[^}]*font-size:([\d.]+)px", text)
    title = re.search(r"-title \{[^}]*font-size:([\d.]+)px", text)
    assert view is not None, "a strip without a viewBox"
    assert rows is not None, "a strip without its rows' size"
    assert title is not None, "a strip without its title's size"
    return (float(view[1]), float(view[2]), float(rows[1]), float(title[1]))


def test_the_manifest_gives_a_result_to_each_slide_not_run_live() -> None:
    assert {spec.output: results.output_of(spec) for spec in SPECS} == EXPECTED


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.output)
def test_a_strip_shows_rows_of_its_recording_in_order(spec: ImageSpec) -> None:
    shown = strip_rows((ROOT / results.output_of(spec)).read_bytes())
    plain = [row.text.plain.rstrip() for row in recording(spec)]
    assert len(shown) == len(spec.result)
    at = [plain.index(row) for row in shown]  # a row of the recording
    assert at == sorted(at), f"out of the recording's order: {at}"
    for row, wanted in zip(shown, spec.result, strict=True):
        assert wanted in row


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.output)
def test_a_strip_is_legible_under_its_code(
    spec: ImageSpec, code: dict[str, code_images.Image]
) -> None:
    """Shown at its code image's width: rows and title at 20 px or more,
    and the two, with the gap between, fit under the slide's title."""
    data = (ROOT / results.output_of(spec)).read_bytes()
    width, height, rows, title = geometry(data)
    scale = spec.width / width
    limits = LOADED.limits
    assert rows * scale >= limits.min_text_px >= 20
    assert title * scale >= limits.min_text_px
    box = code[spec.output].box
    code_height = box.height * spec.width / box.width
    total = code_height + limits.result_gap_px + height * scale
    assert total <= limits.max_height_px <= 560, f"{total:.1f} px"


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.output)
def test_a_strip_is_self_contained_and_ours(spec: ImageSpec) -> None:
    text = (ROOT / results.output_of(spec)).read_text(encoding="utf-8")
    assert text.count(f"<!-- generated by {results.SCRIPT} from ") == 1
    assert transcripts.SCRIPT not in text  # its generator leaves it alone
    assert re.findall(r"https?://[^\"')\s]*", text) == [SVG]
    assert len(text.encode()) <= 60 * 1024
    assert_embeds_a_subset(text, "".join(spec.result))


def test_a_fresh_build_equals_the_committed_strips(font_cache: Path) -> None:
    for cache in (font_cache, None):  # without a cache: the same bytes
        strips = results.build(ROOT, ROOT / MANIFEST, cache)
        assert len(strips) == len(EXPECTED)
        for strip in strips:
            assert (ROOT / strip.output).read_bytes() == strip.svg, strip.output


def test_a_changed_row_or_selection_makes_the_strip_stale(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded = tree / FOLDER / "ws.txt"
    edit(recorded, "Content-Type: text/plain", "Content-Type: text/html")
    assert build(tree, font_cache, capsys, "--check")[0] == 0  # not shown
    edit(recorded, "HTTP/1.1 [bold #f6a6bc]403", "HTTP/1.0 [bold #f6a6bc]403")
    before = snapshot(tree / "assets")
    code, out, err = build(tree, font_cache, capsys, "--check")
    assert (code, out.count("stale:")) == (1, 1), out
    assert f"stale: {WS} (assets/transcripts/ws.txt)" in out
    assert "out of date: run `make assets`" in err
    assert snapshot(tree / "assets") == before
    assert build(tree, font_cache, capsys)[0] == 0
    assert "HTTP/1.0 403 Forbidden" in strip_rows((tree / WS).read_bytes())[0]
    edit(tree / MANIFEST, '''    "body: b''",\n''', "")
    code, out, _ = build(tree, font_cache, capsys, "--check")
    assert code == 1
    assert f"stale: {WS}" in out


def test_a_strip_no_entry_lists_is_removed_and_transcripts_keep_theirs(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (tree / MANIFEST).read_text(encoding="utf-8").splitlines()
    start = lines.index(f'output = "{WS_CODE}"')
    first = lines.index("result = [", start)
    end = lines.index("]", first)
    kept = lines[:first] + lines[end + 1:]
    (tree / MANIFEST).write_text("\n".join(kept) + "\n", encoding="utf-8")
    code, out, _ = build(tree, font_cache, capsys, "--check")
    assert code == 1
    assert f"orphaned: {WS} (generated by {results.SCRIPT}" in out
    code, out, _ = build(tree, font_cache, capsys)
    assert (code, (tree / WS).exists()) == (0, False)
    assert f"removed {WS}" in out
    # The transcripts' pictures, drawn by the same code, are not orphans.
    assert (tree / FOLDER / "ws.svg").exists()
    # Nor are the strips orphans of the transcripts' generator.
    code, out, _ = run_main(transcripts.main, tree, font_cache, capsys,
                            "--check")
    assert (code, "results" in out) == (0, False), out


def _spoil(tree: Path, output: str, rows: list[str]) -> int:
    """Give ``output``'s entry these result rows; the line of `result`."""
    path = tree / MANIFEST
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(f'output = "{output}"')
    first = lines.index("result = [", start)
    end = lines.index("]", first)
    new = ["result = [", *(f"    {row}," for row in rows), "]"]
    path.write_text("\n".join([*lines[:first], *new, *lines[end + 1:]])
                    + "\n", encoding="utf-8")
    return first + 1


ASGI = "assets/asgi.svg"
DENIAL = "assets/asgi_innovations/ws_send_denial_response.svg"
STEM = "ws_send_denial_response"
Case = tuple[str, list[str], str]  # output, its result rows, the error


def lines_of(stem: str, wanted: str) -> list[int]:
    """The lines of recording ``stem`` whose row shows ``wanted``."""
    path = ROOT / FOLDER / f"{stem}.txt"
    first = 2 if path.read_bytes().startswith(b"# ") else 1
    rows = parse(path.read_bytes(), str(path))
    return [n for n, row in enumerate(rows, first) if wanted in row.text.plain]


def _none() -> Case:
    where = "assets/transcripts/ws.txt"
    why = rf"must match one row of {where}; it matches none"
    return WS_CODE, ['"418 Teapot"'], rf"result\[0\] '418 Teapot' {why}"


def _two() -> Case:
    lines = ", ".join(map(str, lines_of("ws", "client")))
    assert "," in lines, "the recording shows the client once"
    where = "assets/transcripts/ws.txt"
    why = rf"must match one row of {where}; it matches lines {lines}"
    return WS_CODE, ['"client"'], rf"result\[0\] 'client' {why}"


def _order() -> Case:
    spec = next(s for s in SPECS if s.output == DENIAL)
    last, first = spec.result[-1], spec.result[0]
    (below,), (above,) = lines_of(STEM, last), lines_of(STEM, first)
    where = f"assets/transcripts/{STEM}.txt"
    return DENIAL, [f'"{last}"', f'"{first}"'], (
        rf"result\[1\] {re.escape(repr(first))} is line {above} of "
        rf"{where}, above line {below}: list the rows in the recording's order"
    )


def _too_tall() -> Case:
    """Every row of the recording that is shown once: far too many."""
    path = ROOT / FOLDER / "asgi_app.txt"
    texts = [row.text.plain.strip()
             for row in parse(path.read_bytes(), str(path))]
    once = [t for t in texts if t and texts.count(t) == 1
            and sum(t in u for u in texts) == 1 and '"' not in t]
    assert len(once) >= 3
    return ASGI, [f'"{t}"' for t in once], (
        r"the code \(439 px\), the 12 px gap and the result \(\d+ px\) are "
        r"\d+ px tall, over the 560 px maximum: select fewer rows, or "
        r"shorten the region of demos/asgi_app.py"
    )


BAD = {
    "none": _none,
    "two": _two,
    "order": _order,
    "twice": lambda: (
        WS_CODE, ['"body"', '"body"'], "result lists a row twice"
    ),
    "empty": lambda: (
        WS_CODE, ['""'], r"result\[0\]: string should have at least 1 "
        "character"
    ),
    "too_tall": _too_tall,
}


@pytest.mark.parametrize("case", BAD.values(), ids=BAD.keys())
def test_a_bad_selection_is_one_line_naming_the_manifest_line(
    case: Callable[[], Case],
    tree: Path,
    font_cache: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    output, rows, expected = case()
    (tree / WS).unlink()  # it would be written: nothing may be
    line = _spoil(tree, output, rows)
    before = snapshot(tree / "assets")
    for args in ([], ["--check"]):
        code, out, err = build(tree, font_cache, capsys, *args)
        assert (code, out) == (2, "")
        assert re.fullmatch(rf"{MANIFEST}:{line}: {expected}\n", err), err
    assert snapshot(tree / "assets") == before


def test_a_missing_recording_names_the_manifest_line(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tree / FOLDER / "ws.txt").unlink()
    line = _spoil(tree, WS_CODE, ['"403"'])
    code, out, err = build(tree, font_cache, capsys)
    assert (code, out) == (2, "")
    assert err == (f"{MANIFEST}:{line}: cannot read assets/transcripts/ws.txt:"
                   " No such file or directory\n")
