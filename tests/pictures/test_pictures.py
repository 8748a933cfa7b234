"""The ASGI diagram: built from scripts/pictures/pictures.toml, legible,
self-contained, byte for byte the same on every run; stale, missing and
orphaned pictures are found; bad input fails cleanly, naming the line.
"""

import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from scripts.pictures import pictures
from scripts.pictures.code_images import CACHE, MANIFEST
from scripts.pictures.svg import SVG_NS
from tests.pictures.conftest import ROOT, copy_tree, edit, run_main, snapshot

DATA = pictures.DATA
DIAGRAM = "assets/diagrams/asgi_stack.svg"


@pytest.fixture(scope="module")
def font_cache() -> Path:
    """The build's own font cache (`make check` fills it before pytest)."""
    return ROOT / CACHE


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of what the generator reads and writes (the manifest: font)."""
    return copy_tree(tmp_path, DATA, MANIFEST, "assets")


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> Run:
    return partial(run_main, pictures.main, tree, font_cache, capsys)


def texts(svg: bytes) -> str:
    tree = ET.fromstring(svg)  # noqa: S314  # our own output
    return " ".join(
        "".join(node.itertext()) for node in tree.iter(f"{{{SVG_NS}}}text")
    )


def test_the_pictures_are_up_to_date(font_cache: Path) -> None:
    assert pictures.main(["--check", "--cache-dir", str(font_cache)]) == 0


def test_a_rebuild_is_byte_for_byte_the_same(font_cache: Path) -> None:
    _, first = pictures.build(ROOT, ROOT / DATA, font_cache)
    _, again = pictures.build(ROOT, ROOT / DATA, font_cache)
    assert [p.svg for p in first] == [p.svg for p in again]
    for picture in first:
        assert (ROOT / picture.entry.output).read_bytes() == picture.svg


def test_the_pictures_are_legible_and_self_contained(font_cache: Path) -> None:
    data, built = pictures.build(ROOT, ROOT / DATA, font_cache)
    assert len(built) == len(data.diagram) >= 1
    for picture in built:
        name = picture.entry.output
        assert picture.min_font_px >= data.limits.min_font_px >= 20, name
        assert picture.min_contrast >= data.limits.min_contrast >= 7, name
        svg = picture.svg.decode()
        urls = re.findall(r"https?://[^\s\"')]+", svg)
        assert set(urls) <= {SVG_NS}, f"{name} refers to {urls}"
        assert "href" not in svg, name
        assert "<image" not in svg, name
        assert "data:font/woff2;base64," in svg, f"{name} embeds no font"
        assert svg.startswith("<svg"), name
        assert pictures.GENERATED in svg[:1024], name
        tree = ET.fromstring(picture.svg)  # noqa: S314  # our own output
        title = tree.find(f"{{{SVG_NS}}}title")
        assert title is not None, name
        assert title.text == picture.entry.title, name
        assert texts(picture.svg).strip(), f"{name} has no <text>"


def test_the_text_is_the_data_file_s(font_cache: Path) -> None:
    _, built = pictures.build(ROOT, ROOT / DATA, font_cache)
    for picture in built:
        shown = texts(picture.svg).split()
        entry = picture.entry
        wanted: list[str] = [entry.server.name, entry.server.role, entry.app]
        wanted += entry.server.notes
        for layer in entry.layers:
            wanted += [layer.name, layer.role, layer.relation or ""]
        for channel in entry.channels:
            wanted += [channel.name, channel.caption]
        for word in " ".join(wanted).replace("`", "").split():
            assert word in shown, f"{entry.output}: {word!r} is not drawn"


def test_the_server_calls_the_app_per_request_or_connection(
    font_cache: Path,
) -> None:
    """For HTTP once per request; once per connection holds for WebSocket
    (asgiref, specs/www.rst)."""
    _, built = pictures.build(ROOT, ROOT / DATA, font_cache)
    shown = " ".join(texts(built[0].svg).split())
    assert "once per HTTP request, once per WebSocket connection" in shown
    assert "app once per connection" not in shown


def test_a_changed_point_makes_its_picture_stale(tree: Path, run: Run) -> None:
    edit(tree / DATA, "type, path, headers", "type, path, messages")
    before = snapshot(tree / "assets")
    code, out, err = run("--check")
    assert code == 1
    assert f"stale: {DIAGRAM}" in out
    assert out.count("stale:") == 1
    assert "out of date" in err
    assert snapshot(tree / "assets") == before
    code, out, _ = run()
    assert (code, out.count("wrote ")) == (0, 1)
    assert "messages" in texts((tree / DIAGRAM).read_bytes())
    assert run("--check")[0] == 0
    assert run()[1].count("wrote ") == 0  # a no-op build writes nothing


def test_a_missing_picture_is_found(tree: Path, run: Run) -> None:
    (tree / DIAGRAM).unlink()
    code, out, _ = run("--check")
    assert (code, f"missing: {DIAGRAM}" in out) == (1, True)


def test_an_orphan_is_found_then_removed(tree: Path, run: Run) -> None:
    orphan = tree / "assets/diagrams/old.svg"
    shutil.copy2(tree / DIAGRAM, orphan)
    foreign = tree / "assets/foreign.svg"
    foreign.write_text('<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    code, out, _ = run("--check")
    assert code == 1
    assert "orphaned: assets/diagrams/old.svg" in out
    assert "foreign" not in out  # not ours: left alone
    code, out, _ = run()
    assert code == 0
    assert not orphan.exists()
    assert foreign.exists()
    assert "removed assets/diagrams/old.svg" in out


CAPTION = 'caption = "the request or connection: type, path, headers"'
BAD_INPUTS = [
    pytest.param(
        'app = "the ASGI app"',
        'app = "the ASGI app"\ncolour = "red"',
        'colour = "red"',
        r"unknown key 'colour'",
        id="unknown-key",
    ),
    pytest.param(
        'role = "ASGI server"',
        "role = ASGI server",
        "role = ASGI server",
        r"invalid TOML",
        id="invalid-toml",
    ),
    pytest.param(
        CAPTION,
        'caption = "the `a_very_long_identifier_that_cannot_wrap_at_all`"',
        "a_very_long_identifier",
        r"wider than the \d+ the picture has room for",
        id="word-too-long",
    ),
    pytest.param(
        CAPTION,
        'caption = "the `connection: type, path, headers"',
        "the `connection",
        r"unbalanced backtick",
        id="unbalanced-backtick",
    ),
    pytest.param(
        CAPTION,
        'caption = "the connection \U0001f680"',
        "[[diagram]]",
        r"'\U0001f680' \(U\+1F680\) .* is not in the font",
        id="character-not-in-font",
    ),
    pytest.param(
        "min_contrast = 7.0",
        "min_contrast = 12.0",
        "[[diagram]]",
        r"contrast ratio of [\d.]+, under 12",
        id="low-contrast",
    ),
    pytest.param(
        "min_font_px = 20",
        "min_font_px = 24",
        "[[diagram]]",
        r"px, under the 24 px minimum",
        id="small-text",
    ),
    pytest.param(
        "width = 1100",
        "width = 1200",
        "width = 1200",
        r"width must be from 1 to 1160",
        id="too-wide",
    ),
    pytest.param(
        'app = "the ASGI app"',
        'app = "the ASGI app"\napp = "x"',
        'app = "x"',
        r"invalid TOML",
        id="duplicate-key",
    ),
    pytest.param(
        'direction = "to_server"',
        'direction = "sideways"',
        'direction = "sideways"',
        r"direction",
        id="not-a-direction",
    ),
    pytest.param(
        'relation = "is a subclass of"',
        "",
        "[[diagram.layers]]",
        r"every layer but the last needs a relation",
        id="missing-relation",
    ),
]


@pytest.mark.parametrize(("old", "new", "cited", "message"), BAD_INPUTS)
def test_bad_input_fails_cleanly(
    tree: Path, run: Run, old: str, new: str, cited: str, message: str
) -> None:
    data = tree / DATA
    edit(data, old, new)
    lines = data.read_text(encoding="utf-8").splitlines()
    if cited.startswith("[["):
        line = lines.index(cited) + 1  # the first such table
    else:
        line = next(n for n, text in enumerate(lines, 1) if cited in text)
    before = snapshot(tree / "assets")
    code, out, err = run()
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"scripts/pictures/pictures.toml:{line}: "), err
    assert re.search(message, err), err
    assert snapshot(tree / "assets") == before


NOTE_LINE = (  # the server's second note
    '    "calls the app once per HTTP request, '
    'once per WebSocket connection",\n'
)


def test_a_too_tall_picture_is_refused(tree: Path, run: Run) -> None:
    line = edit(
        tree / DATA,
        NOTE_LINE,
        NOTE_LINE
        + '    "one more note, and another, and another one",\n' * 8,
    )
    code, _, err = run("--check")
    assert code == 2
    width_line = next(
        n
        for n, text in enumerate((tree / DATA).read_text().splitlines(), 1)
        if text.startswith("width = ") and n < line
    )
    assert err.startswith(f"scripts/pictures/pictures.toml:{width_line}: ")
    assert re.search(r"would be \d+ px tall, over the 560 px maximum", err)


def test_a_byte_that_is_not_utf8_is_cited_at_its_line(
    tree: Path, run: Run
) -> None:
    line = edit(tree / DATA, 'role = "ASGI server"', "role = ")
    data = (
        (tree / DATA)
        .read_bytes()
        .replace(b"role = ", b'role = "ASGI s\xe9rver"', 1)
    )
    (tree / DATA).write_bytes(data)
    before = snapshot(tree / "assets")
    code, out, err = run()
    assert (code, out) == (2, "")
    assert err == f"{DATA}:{line}: not UTF-8: byte 0xe9 in column 15\n"
    assert snapshot(tree / "assets") == before
