"""The built deck, in a real browser and in its PDF.

Once per session: `make html`'s build writes the deck into a temporary
folder, which is copied elsewhere (another machine, as far as the deck can
tell) and opened there in the system Chromium with every non-file request
blocked; meanwhile `make pdf`'s build prints the PDF. Each slide is shown,
measured and saved as dist/slides/NN.png for a person to look at.

The rules measured: nothing from the network, every picture and font
loaded, no console error, as many slides as slides.md, every text colour at
7:1 or more against what is behind it, code at 20 px or more on the
1280x720 slide, nothing outside the slide; and in the PDF, one page per
slide, with each code slide's code as text found in its demo.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.assets import pictures as deck_pictures
from scripts.assets.code_images import code_lines
from scripts.assets.colour import contrast
from scripts.assets.manifest import ImageSpec, load_manifest
from scripts.deck import build as deck_build
from tests.conftest import Report
from tests.deck.conftest import (
    ROOT,
    SLIDE_HEIGHT,
    SLIDE_WIDTH,
    THEME,
    Measured,
    measure_deck,
    need_chromium,
    need_node_modules,
    read_deck,
    region_lines,
    svg_geometry,
)

MIN_CONTRAST = 7.0
MIN_CODE_PX = 20.0
TOLERANCE = 1.0  # px: sub-pixel rounding of boxes
PNGS = ROOT / "dist" / "slides"


def theme_fonts() -> set[tuple[str, str]]:
    """The (family, weight) of every @font-face the theme declares."""
    css = THEME.read_text(encoding="utf-8")
    faces = set()
    for block in re.findall(r"@font-face\s*\{([^}]*)\}", css):
        family = re.search(r"font-family:\s*['\"]?([^;'\"]+)", block)
        weight = re.search(r"font-weight:\s*(\d+)", block)
        assert family, f"an @font-face without a family: {block}"
        faces.add((family.group(1), weight.group(1) if weight else "400"))
    return faces


@dataclass
class Built:
    """The deck as built by this session."""

    html: Path  # in a copy of the built folder
    folder: Path
    pdf: Path | None
    pdf_error: BaseException | None
    seen: Measured


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Build the HTML and the PDF, and show the HTML in Chromium, once."""
    need_node_modules()
    chromium = need_chromium()
    base = tmp_path_factory.mktemp("deck")
    result: dict[str, object] = {}

    def print_pdf() -> None:
        try:
            result["pdf"] = deck_build.build_pdf(ROOT, base / "pdf", quiet=True)
        except BaseException as error:  # reported by the PDF tests
            result["error"] = error

    printer = threading.Thread(target=print_pdf, name="deck-pdf")
    printer.start()
    try:
        deck_build.build_html(ROOT, base / "built", quiet=True)
        # Present it from somewhere else: nothing may point back here.
        shutil.copytree(base / "built", base / "elsewhere")
        html = base / "elsewhere" / "slides.html"
        seen = measure_deck(html, chromium, PNGS)
    finally:
        printer.join()
    pdf = result.get("pdf")
    error = result.get("error")
    return Built(
        html=html,
        folder=html.parent,
        pdf=pdf.main if isinstance(pdf, deck_build.Built) else None,
        pdf_error=error if isinstance(error, BaseException) else None,
        seen=seen,
    )


def slide_count() -> int:
    return len(read_deck().slides)


def test_nothing_is_requested_from_the_network(built: Built) -> None:
    assert built.seen.blocked == [], (
        f"{len(built.seen.blocked)} request(s) left the machine: "
        f"{built.seen.blocked[:5]}"
    )
    assert built.seen.escaped == [], (
        f"the deck read files outside its folder: {built.seen.escaped[:5]}"
    )


def test_the_folder_holds_everything_it_refers_to(built: Built) -> None:
    html = built.html.read_text(encoding="utf-8")
    refs = re.findall(r'(?:src|href)="([^"]+)"|url\([\'"]?([^\'")]+)', html)
    for url in (a or b for a, b in refs):
        if deck_build.local(url):
            assert (built.folder / url.split("#")[0]).is_file(), url
    assert "node_modules" not in html, "the page still points to node_modules"


def test_every_image_loaded(built: Built) -> None:
    assert built.seen.images, "no image on any slide"
    for image in built.seen.images:
        where = f"slide {image['slide']}: {image['src']} did not load"
        assert image["complete"], where
        assert image["natural"] > 0, where


def test_the_theme_fonts_loaded(built: Built) -> None:
    faces = {(f["family"], f["weight"]): f["status"] for f in built.seen.fonts}
    declared = theme_fonts()
    assert declared, "the theme declares no font"
    for face in declared:
        assert faces.get(face) == "loaded", (
            f"font {face} is {faces.get(face, 'not declared')}"
        )
    failed = [face for face, status in faces.items() if status == "error"]
    assert failed == [], f"fonts failed to load: {failed}"


def test_no_console_errors(built: Built) -> None:
    assert built.seen.console == []


def test_as_many_slides_as_slides_md(built: Built) -> None:
    assert built.seen.slides == slide_count()
    assert built.seen.inactive == [], "slides that never became active"
    assert len(built.seen.pngs) == slide_count()
    assert all(png.stat().st_size > 0 for png in built.seen.pngs)


def test_every_text_has_a_contrast_of_seven_to_one(
    built: Built, figure: Report
) -> None:
    assert built.seen.unmeasurable == []
    texts = built.seen.texts
    assert texts
    ratios = [(contrast(text.colour, text.background), text) for text in texts]
    worst, _ = min(ratios, key=lambda pair: pair[0])
    figure("deck", "chromium", f"lowest text contrast {worst:.2f}:1")
    low = [
        f"slide {t.slide}: {t.text!r} {r:.2f}:1"
        for r, t in ratios
        if r < MIN_CONTRAST
    ]
    assert low == [], f"text under {MIN_CONTRAST}:1: {low[:8]}"


def code_images() -> dict[str, ImageSpec]:
    manifest = load_manifest(ROOT / "scripts/assets/code_images.toml", ROOT)
    return {spec.output: spec for spec in manifest.images}


def test_code_is_at_least_20_px(built: Built, figure: Report) -> None:
    sizes: list[tuple[float, str]] = []
    for text in built.seen.texts:
        if text.code:
            sizes.append((text.size, f"slide {text.slide}: `{text.text}`"))
    specs = code_images()
    ours = set(specs) | {
        entry.output
        for entry in deck_pictures.load(ROOT / deck_pictures.DATA, ROOT).entries
    }
    measured = set()
    for image in built.seen.images:
        src = image["src"]
        if src not in ours:
            continue  # the other generators' charts have rules of their own
        width, _, font = svg_geometry(built.folder / src)
        size = image["box"][2] / width * font
        measured.add(src)
        sizes.append((size, f"slide {image['slide']}: {src}"))
    assert measured >= set(specs), "some code images were not measured"
    smallest, where = min(sizes)
    figure("deck", "chromium", f"smallest code {smallest:.1f} px ({where})")
    small = [f"{w} at {s:.1f} px" for s, w in sizes if s < MIN_CODE_PX - 0.05]
    assert small == [], f"code under {MIN_CODE_PX} px: {small}"


def test_nothing_leaves_the_slide(built: Built) -> None:
    outside = []
    for number, tag, (x, y, w, h) in built.seen.boxes:
        if (
            x < -TOLERANCE
            or y < -TOLERANCE
            or x + w > SLIDE_WIDTH + TOLERANCE
            or y + h > SLIDE_HEIGHT + TOLERANCE
        ):
            outside.append(
                f"slide {number}: <{tag}> at {x:.0f},{y:.0f} {w:.0f}x{h:.0f}"
            )
    for text in built.seen.texts:
        for x, y, w, h in text.boxes:
            if (
                x < -TOLERANCE
                or y < -TOLERANCE
                or x + w > SLIDE_WIDTH + TOLERANCE
                or y + h > SLIDE_HEIGHT + TOLERANCE
            ):
                outside.append(f"slide {text.slide}: text {text.text!r}")
    for number, (scroll_w, scroll_h, client_w, client_h) in built.seen.scrolls:
        if scroll_w > client_w or scroll_h > client_h:
            outside.append(f"slide {number}: content scrolls")
    assert outside == [], outside[:8]


def test_text_does_not_overlap_pictures(built: Built) -> None:
    """Titles, footers and asides stay clear of the pictures."""
    clashes = []
    for image in built.seen.images:
        ix, iy, iw, ih = image["box"]
        for text in built.seen.texts:
            if text.slide != image["slide"]:
                continue
            for x, y, w, h in text.boxes:
                if x < ix + iw and ix < x + w and y < iy + ih and iy < y + h:
                    clashes.append(f"slide {text.slide}: {text.text!r}")
    assert clashes == [], clashes[:8]


@pytest.fixture(scope="module")
def pdf_pages(built: Built) -> list[str]:
    """The text of each page: by pdftotext (poppler), else by pypdf."""
    if built.pdf_error is not None:
        raise built.pdf_error
    assert built.pdf is not None
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        result = subprocess.run(  # poppler, found on PATH
            [pdftotext, "-raw", "-enc", "UTF-8", str(built.pdf), "-"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return result.stdout.split("\f")[:-1]  # a form feed ends each page
    from pypdf import PdfReader

    return [page.extract_text() for page in PdfReader(built.pdf).pages]


def test_the_pdf_has_one_page_per_slide(pdf_pages: list[str]) -> None:
    assert len(pdf_pages) == slide_count()


def words(markdown: str) -> set[str]:
    """The lines a slide's Markdown puts on its page, roughly."""
    text = re.sub(r"<!--.*?-->", "", markdown, flags=re.S)
    text = re.sub(r"<[^>]+>|!\[[^\]]*\]\([^)]*\)|[#*`]", "", text)
    return {squash(line) for line in text.splitlines() if line.strip()}


def squash(line: str) -> str:
    """A line with its runs of spaces made one: PDF tools differ there."""
    return " ".join(line.split())


FOOTER = re.compile(r"(@marcelotryle)?\s*\d+ / \d+|@marcelotryle|\d+")


def test_the_pdf_code_is_text_from_the_demos(pdf_pages: list[str]) -> None:
    specs = code_images()
    checked = 0
    for slide in read_deck().slides:
        for picture in slide.pictures:
            spec = specs.get(picture.url)
            if spec is None:
                continue
            page = pdf_pages[slide.number - 1]
            lines = [squash(line) for line in page.splitlines() if line.strip()]
            source = {squash(line) for line in region_lines(ROOT / spec.source)}
            shown = [
                squash(line)
                for line in code_lines((ROOT / spec.output).read_bytes())
                if line.strip()
            ]
            for line in shown:
                assert line in lines, (
                    f"{slide.where()}: {line!r} is not text in the PDF"
                )
            # Whatever else the page says is the slide's own words.
            other = words(slide.markdown) | {spec.source}
            for line in lines:
                if FOOTER.fullmatch(line) or line in other:
                    continue
                assert line in source, (
                    f"{slide.where()}: the PDF shows {line!r}, which is not "
                    f"in {spec.source}"
                )
            checked += 1
    assert checked == len(specs), "some code images are not in the PDF"
