"""The code images: each shows its demo's code exactly, legibly, alone.

The committed SVGs are checked against the demos (text line for line),
against a fresh build (byte for byte, twice over), and as PNGs drawn by
cairosvg with the embedded font (the code stays inside its window).
"""

import importlib
import re
import shutil
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image as PILImage
from PIL import ImageChops

from scripts import style
from scripts.pictures import code_images, code_images_png, code_svg, theme
from scripts.pictures.code_images import Image
from scripts.pictures.fonts import Font
from scripts.pictures.manifest import ImageSpec, load_manifest
from scripts.style import contrast
from tests.pictures.conftest import ROOT, assert_embeds_a_subset, banded

MANIFEST = ROOT / code_images.MANIFEST
SVG = {"svg": code_svg.SVG_NS}
SPECS = load_manifest(MANIFEST, ROOT).images
EXPECTED_OUTPUTS = {
    "assets/asgi.svg",
    *(
        f"assets/asgi_innovations/{stem}.svg"
        for stem in (
            "ws",
            "ws_send_denial_response",
            "ws_http_exception",
            "ws_with_token",
            "content_md5",
            "streaming_response",
            "disconnect_receive",
            "raise_oserror",
            "ws_disconnect",
            "fastapi_trailers",
            "trailers_response",
            "oserror_protocols",
            "oserror_trap",
            "oserror_chain",
            "fastapi_streaming",
        )
    ),
}


@pytest.fixture(scope="module")
def images(font_cache: Path) -> dict[str, Image]:
    """A fresh in-memory build of every image, by output path."""
    _, built = code_images.build(ROOT, MANIFEST, font_cache)
    return {image.spec.output: image for image in built}


def region_of(source: str, region: str | None) -> tuple[list[str], list[int]]:
    """The lines a region shows, found here independently of scripts/."""
    lines = (ROOT / source).read_text(encoding="utf-8").splitlines()
    first, last = 1, len(lines)
    if region is not None:
        stripped = [line.strip() for line in lines]
        first = stripped.index(f"# --8<-- [start:{region}]") + 2
        last = stripped.index(f"# --8<-- [end:{region}]")
    numbers = [
        n for n in range(first, last + 1) if "--8<--" not in lines[n - 1]
    ]
    shown = textwrap.dedent("\n".join(lines[n - 1] for n in numbers))
    return shown.split("\n"), numbers


def parse(path: Path) -> ET.Element:
    return ET.fromstring(path.read_bytes())  # noqa: S314  # our own file


def texts(tree: ET.Element, group: str) -> list[str]:
    found = tree.find(f"svg:g[@class='{group}']", SVG)
    assert found is not None, f"no <g class={group!r}>"
    return ["".join(text.itertext()) for text in found.findall("svg:text", SVG)]


def test_the_manifest_lists_every_code_slide() -> None:
    assert {spec.output for spec in SPECS} == EXPECTED_OUTPUTS


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.output)
def test_the_image_shows_the_region_exactly(
    spec: ImageSpec,
) -> None:
    tree = parse(ROOT / spec.output)
    lines, numbers = region_of(spec.source, spec.region)
    assert texts(tree, "code") == lines
    if spec.line_numbers:
        assert texts(tree, "numbers") == [str(n) for n in numbers]
    path = tree.find("svg:text[@class='path']", SVG)
    assert path is not None
    assert path.text == spec.source
    assert sorted(banded(tree)) == sorted(x.strip() for x in spec.highlight)
    title = tree.find("svg:title", SVG)
    assert title is not None
    assert title.text == spec.title


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.output)
def test_the_image_is_self_contained_and_small(
    spec: ImageSpec,
) -> None:
    data = (ROOT / spec.output).read_bytes()
    text = data.decode()
    assert len(data) <= 60 * 1024
    assert code_svg.GENERATED in text
    assert re.findall(r"https?://[^\"')\s]*", text) == [code_svg.SVG_NS]
    assert "font-variant-ligatures:none" in text
    code = "".join(texts(parse(ROOT / spec.output), "code"))
    assert_embeds_a_subset(text, code)


def test_a_fresh_build_equals_the_committed_images(
    images: dict[str, Image],
) -> None:
    for output, image in images.items():
        assert (ROOT / output).read_bytes() == image.svg, output


def test_a_build_without_any_cache_is_byte_identical(
    images: dict[str, Image],
) -> None:
    """Instantiating and subsetting the font again gives the same bytes."""
    _, again = code_images.build(ROOT, MANIFEST, None)
    assert {image.spec.output: image.svg for image in again} == {
        output: image.svg for output, image in images.items()
    }


SCRIPTS = ("generator", "code_images", "code_images_png", "timing", "results")


@pytest.mark.parametrize("module", [f"pictures.{name}" for name in SCRIPTS])
def test_every_script_has_help(
    module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """In-process; test_code_images_check.py runs `python -m` once."""
    main = importlib.import_module(f"scripts.{module}").main
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    prog = f"scripts.{module}".removesuffix(".generator")
    assert out.startswith(f"usage: python -m {prog}")


def _ink_box(png: PILImage.Image) -> tuple[int, int, int, int] | None:
    """The bounding box of what is neither window nor band colour."""
    rgb = png.convert("RGB")

    def far_from(colour: str) -> PILImage.Image:
        solid = PILImage.new("RGB", rgb.size, colour)
        distance = ImageChops.difference(rgb, solid).convert("L")
        return distance.point(lambda value: 255 if value > 40 else 0)

    ink = ImageChops.multiply(far_from(style.WINDOW), far_from(style.BAND))
    return ink.getbbox()


def test_the_pngs_keep_the_code_inside_the_window(
    images: dict[str, Image], font_cache: Path, tmp_path: Path
) -> None:
    pngs = code_images_png.export(ROOT, tmp_path, font_cache, scale=1)
    assert len(pngs) == len(images)
    for png_path, image in zip(pngs, images.values(), strict=True):
        box, name = image.box, image.spec.output
        png = PILImage.open(png_path)
        scale = image.spec.width / box.width
        assert png.size == (image.spec.width, round(box.height * scale)), name
        colours = png.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None
        assert len(colours) > 50, f"{name} is blank"
        assert png.getpixel((0, 0)) == (0, 0, 0, 0), f"{name}: square corner"
        # Every glyph of the code lies in the code area: nothing past the
        # end of the longest line, and that line reaches into its last
        # character cell, so glyph widths match the layout (a window padded
        # to its section's width has blank columns after it).
        code = png.crop(
            (
                round(box.code_left * scale) - 2,
                round(box.code_top * scale),
                round((box.width - theme.PAD_X * box.em / 2) * scale),
                round(box.line_top(box.rows) * scale),
            )
        )
        ink = _ink_box(code)
        assert ink is not None, f"{name}: no code drawn"
        right = round(box.code_left * scale) - 2 + ink[2]
        assert right <= box.code_right * scale + 1, f"{name}: overruns"
        longest = max(len(line) for line in image.lines)
        assert right <= (box.code_left + longest * box.advance) * scale + 1
        last_cell = (box.code_left + (longest - 1) * box.advance) * scale
        assert right >= last_cell, f"{name}: text narrower than its layout"


def test_the_pngs_are_drawn_in_the_embedded_font(font_cache: Path) -> None:
    """fontconfig, as the PNG export sets it up, finds only our font."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        pytest.skip("fc-match is not installed")
    manifest = load_manifest(MANIFEST, ROOT)
    font = Font(manifest.font, manifest.path, font_cache)
    conf = code_images_png.prepare_font(font)
    result = subprocess.run(
        [fc_match, "--format=%{file}", font.info.family],
        env={"FONTCONFIG_FILE": str(conf)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(result.stdout) == font.instance_path()


TEXT_ON = [
    *[(f"token {kind}", c, "window") for kind, c in style.TOKENS.items()],
    *[(f"token {kind}", c, "band") for kind, c in style.TOKENS.items()],
    ("text", style.TEXT, "window"),
    ("text", style.TEXT, "band"),
    ("line number", style.NUMBER, "window"),
    ("highlighted line number", style.NUMBER_HIGHLIGHTED, "band"),
    ("title", style.TITLE, "bar"),
]
BACKGROUNDS = {"window": style.WINDOW, "band": style.BAND, "bar": style.BAR}


@pytest.mark.parametrize(("what", "colour", "on"), TEXT_ON)
def test_every_text_colour_has_7_to_1_contrast(
    what: str, colour: str, on: str
) -> None:
    """The deck's rule holds inside the code images too."""
    ratio = contrast(colour, BACKGROUNDS[on])
    assert ratio >= 7, f"{what} {colour} on the {on}: {ratio:.2f}:1"


IMPORT = re.compile(r"^\s*(?:from\s+\S+\s+)?import\s")
# `type X = ...`, `X: TypeAlias = ...`, or `X = Generic[...]`.
ALIAS = re.compile(
    r"^(?:type\s+\w+\s*=|\w+\s*:\s*TypeAlias\b|\w+\s*=\s*[A-Z]\w*\[)"
)


def test_shown_code_has_no_docstring_import_or_rest_markup(
    images: dict[str, Image],
) -> None:
    """Slides 7-9 ask what the client gets: their docstrings said it. No
    slide shows an import or a docstring (issue #12); the ASGI slide shows
    its type aliases, as they are its point, and nothing above them."""
    for output, image in images.items():
        code = "\n".join(image.lines)
        assert "``" not in code, output
        assert '"""' not in code, output
        assert not [line for line in image.lines if IMPORT.match(line)], output
        aliases = [line for line in image.lines if ALIAS.match(line)]
        assert not aliases or output == "assets/asgi.svg", (output, aliases)
    asgi = images["assets/asgi.svg"].lines
    assert asgi[0].startswith("Scope = "), asgi[0]
    assert asgi[-1].strip().startswith("await send("), asgi[-1]
    token = images["assets/asgi_innovations/ws_with_token.svg"].lines
    assert token[0].startswith("TOKEN = "), token[0]  # it uses TOKEN
    assert token[1] == "app = FastAPI()", token[1]
    assert "SystemExit" not in "\n".join(token)  # the empty-token guard
    receive = images["assets/asgi_innovations/disconnect_receive.svg"].lines
    assert not [line for line in receive if "Spec 2.3" in line]


def test_the_open_source_slide_shows_the_body_then_the_trailers(
    images: dict[str, Image],
) -> None:
    """Short enough for #3566's caption under it: the body loop, the end
    of the body, then the trailers message."""
    shown = images["assets/asgi_innovations/trailers_response.svg"].lines
    assert shown[0] == "async for chunk in self.body_iterator:", shown[0]
    assert '"http.response.trailers"' in shown[-1], shown[-1]
    assert len(shown) <= 16, len(shown)


SECTIONS = {  # consecutive code slides: one frame width each
    "denial": ("ws", "ws_send_denial_response", "ws_http_exception",
               "ws_with_token"),
    "trailers": ("content_md5", "fastapi_trailers", "trailers_response"),
    "disconnection": ("streaming_response", "disconnect_receive",
                      "raise_oserror", "ws_disconnect", "oserror_protocols",
                      "oserror_trap", "oserror_chain", "fastapi_streaming"),
}


@pytest.mark.parametrize("section", SECTIONS)
def test_a_section_shows_its_code_at_one_width(
    section: str, images: dict[str, Image]
) -> None:
    """At one font size, one frame width: the narrower code gets blank
    columns, so the windows of a section do not jump from slide to slide."""
    outputs = [f"assets/asgi_innovations/{s}.svg" for s in SECTIONS[section]]
    assert [images[o].spec.section for o in outputs] == [section] * len(
        outputs
    )
    found = {(images[o].spec.width, images[o].box.width) for o in outputs}
    assert len(found) == 1, f"{section}: widths {sorted(found)}"
    members = {spec.output for spec in SPECS if spec.section == section}
    assert members == set(outputs)


def on_slide(spec: ImageSpec) -> tuple[float, float, float, float]:
    """From the committed SVG shown ``spec.width`` wide: the code's and
    the title bar's font sizes, the image's width and height, in px."""
    text = (ROOT / spec.output).read_text(encoding="utf-8")
    view = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', text)
    code = re.search(r"\ntext\{[^}]*font-size:([\d.]+)px", text)
    caption = re.search(r"\n\.path\{font-size:([\d.]+)px", text)
    assert view is not None, spec.output
    assert code is not None, spec.output
    assert caption is not None, spec.output
    scale = spec.width / float(view[1])
    return (float(code[1]) * scale, float(caption[1]) * scale, spec.width,
            float(view[2]) * scale)


def test_the_manifest_says_one_code_size_from_22_to_23_px() -> None:
    limits = load_manifest(MANIFEST, ROOT).limits
    assert 22 <= limits.font_px <= 23
    assert limits.min_text_px >= 20
    assert limits.max_height_px <= 560
    assert limits.max_width_px <= 1160


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.output)
def test_the_image_shows_its_code_at_the_one_size_and_fits(
    spec: ImageSpec, images: dict[str, Image]
) -> None:
    """On every slide the code is at the manifest's size (its width is the
    narrowest that shows it so), the caption is legible, the image fits."""
    limits = load_manifest(MANIFEST, ROOT).limits
    code, caption, width, height = on_slide(spec)
    assert limits.font_px <= code < limits.font_px + 0.1, f"{code:.2f} px"
    box = images[spec.output].box
    narrower = box.on_slide(spec.width - 1)[0]
    assert narrower < limits.font_px, "not the narrowest width"
    assert caption >= limits.min_text_px, f"its caption at {caption:.1f} px"
    assert width <= limits.max_width_px
    assert height <= limits.max_height_px, f"{height:.0f} px tall"


def test_the_before_and_after_streams_sit_at_the_same_lines(
    images: dict[str, Image],
) -> None:
    before = images["assets/asgi_innovations/streaming_response.svg"]
    after = images["assets/asgi_innovations/raise_oserror.svg"]
    assert before.spec.width == after.spec.width
    assert before.box.width == after.box.width  # so the same font size
    # One height: a slide centres its picture under the title.
    assert before.box.height == after.box.height
    assert before.numbers[0] == after.numbers[0]
    shared = dict(zip(before.numbers, before.lines, strict=True))
    same = [n for n, line in zip(after.numbers, after.lines, strict=True)
            if shared.get(n) == line]
    assert len(same) >= 6, same  # DELAY and the app's first lines
    assert [shared[n] for n in same] == list(before.lines[: len(same)])
