"""The handouts, built as `make pdf`, `make pptx` and `make notes` build
them: in the PDF, one page per slide, each code slide's code as text found
in its demo, and an outline of the talk's sections with their slides; in
the PPTX, one slide per slide (of a deck of slides.md's first slides: a
picture a slide takes Chromium a quarter of a second); in the notes file,
each slide's number, title and notes, as Marp reads them; and in their
folder, only what presenting needs.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from pypdf import PdfReader

from scripts import transcripts
from scripts.common import InputError
from scripts.deck import build
from scripts.deck.slides import SECTIONS
from scripts.pictures.catalog import CODE, Code
from tests.deck.slides import ROOT, Deck, Slide, read_deck

SMALL = 3  # slides of the deck the PPTX is built from
LINKED = (".marprc.yml", "themes", "assets", "node_modules")


class Handouts(NamedTuple):
    pdf: Future[Path]
    pptx: Future[Path]  # of the first SMALL slides
    notes: Future[Path]
    marp_notes: Future[str]  # Marp's own reading of the notes


def small_deck(root: Path) -> Path:
    """``root`` with slides.md's first SMALL slides, as the repository
    serves them (its theme, pictures and node_modules linked)."""
    text = (ROOT / "slides.md").read_text(encoding="utf-8")
    deck = read_deck()
    end = deck.slides[SMALL].line - 2  # the ruler before the next slide
    (root / "slides.md").write_text("\n".join(text.splitlines()[:end]) + "\n")
    for name in LINKED:
        (root / name).symlink_to(ROOT / name)
    return root


@pytest.fixture(scope="module")
def handouts(
    tmp_path_factory: pytest.TempPathFactory, marp: Path, chromium: Path
) -> Iterator[Handouts]:
    """The three builds at once: the PDF and the PPTX print in Chromium
    while the notes are written."""
    out = tmp_path_factory.mktemp("handouts")
    small = small_deck(tmp_path_factory.mktemp("small"))
    with ThreadPoolExecutor(3, "deck-handouts") as pool:
        yield Handouts(
            pool.submit(build.build_pdf, ROOT, out),
            pool.submit(build.build_pdf, small, small / "dist", "pptx"),
            pool.submit(build.build_notes, ROOT, out),
            pool.submit(lambda: build.marp(ROOT, "n.txt", "--notes").decode()),
        )


@pytest.fixture(scope="module")
def pdf_pages(handouts: Handouts) -> list[str]:
    """The text of each page, by pdftotext (poppler)."""
    pdftotext = shutil.which("pdftotext")
    assert pdftotext, "pdftotext is missing: .ci/run installs poppler-utils"
    return subprocess.run(
        [pdftotext, "-raw", "-enc", "UTF-8", str(handouts.pdf.result()), "-"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.split("\f")[:-1]  # a form feed ends each page


def test_the_pdf_has_one_page_per_slide(
    pdf_pages: list[str], deck: Deck
) -> None:
    assert len(pdf_pages) == len(deck.slides)


def words(markdown: str) -> set[str]:
    """The lines a slide's Markdown puts on its page, roughly."""
    text = re.sub(r"<!--.*?-->", "", markdown, flags=re.S)
    markup = r"<[^>]+>|!\[[^\]]*\]\([^)]*\)|^#+ |[*`]"
    text = re.sub(markup, "", text, flags=re.M)
    return {squash(line) for line in text.splitlines() if line.strip()}


def squash(line: str) -> str:
    """A line with its runs of spaces made one: PDF tools differ there."""
    return " ".join(line.split())


FOOTER = re.compile(r"(@marcelotryle)?\s*\d+ / \d+|@marcelotryle|\d+")


def own(line: str, words: set[str]) -> bool:
    """Whether a line of the PDF is the slide's own words: one of them, or
    several set on one line (a title and its aside)."""
    rest = line
    for said in sorted(words, key=len, reverse=True):
        if said:
            rest = rest.replace(said, " ")
    return line in words or not rest.strip()


def recorded(slide: Slide) -> set[str]:
    """The rows of the recordings whose result strips ``slide`` shows,
    and the strips' titles, as the PDF's text has them."""
    found = set()
    for picture in slide.pictures:
        if picture.url.startswith("assets/results/"):
            stem = Path(picture.url).stem
            file = transcripts.path(ROOT, stem)
            rows = transcripts.parse(file.read_bytes(), stem)
            found |= {squash(row.text.plain) for row in rows}
            found.add(squash(f"make demo NAME={stem}"))
    return found


def region(code: Code) -> list[str]:
    """The lines of ``code``'s region of its demo: what its picture shows."""
    text = (ROOT / code.source).read_text(encoding="utf-8")
    marks = [rf"# --8<-- \[{end}:{re.escape(code.region)}\]\n"
             for end in ("start", "end")]
    found = re.search(f"{marks[0]}(.*?){marks[1]}", text, re.DOTALL)
    assert found, f"{code.source} has no region {code.region!r}"
    return [squash(line) for line in found[1].splitlines()
            if line.strip() and "--8<--" not in line]


def test_the_pdf_code_is_text_from_the_demos(
    pdf_pages: list[str], deck: Deck
) -> None:
    """Each code slide's page has its demo's region as text, line by line,
    and nothing else but the slide's own words, the file's path, and the
    rows of the recording its result strip shows."""
    codes = {code.output: code for code in CODE}
    checked = set()
    for slide in deck.slides:
        for code in (codes[p.url] for p in slide.pictures if p.url in codes):
            page = pdf_pages[slide.number - 1]
            lines = [squash(line) for line in page.splitlines() if line.strip()]
            for line in region(code):
                assert line in lines, (
                    f"{slide.where()}: {line!r} is not text in the PDF"
                )
            source = {squash(line) for line in
                      (ROOT / code.source).read_text("utf-8").splitlines()}
            other = words(slide.markdown) | {code.source} | recorded(slide)
            for line in lines:
                if FOOTER.fullmatch(line) or own(line, other):
                    continue
                assert line in source, (
                    f"{slide.where()}: the PDF shows {line!r}, which is not "
                    f"in {code.source}"
                )
            checked.add(code.output)
    assert checked == set(codes), "some code pictures are not in the PDF"


def test_the_pptx_has_one_slide_per_slide(
    handouts: Handouts, deck: Deck
) -> None:
    with zipfile.ZipFile(handouts.pptx.result()) as pptx:
        names = pptx.namelist()
    slides = [n for n in names if re.fullmatch(r"ppt/slides/slide\d+\.xml", n)]
    assert len(slides) == SMALL < len(deck.slides)


def test_the_notes_file_gives_each_slide_its_number_title_and_notes(
    handouts: Handouts, deck: Deck
) -> None:
    """Every slide, in order, under "Slide N: Title", with the notes Marp
    reads from it (its presenter view's), or a word that it has none."""
    pages = handouts.notes.result().read_text("utf-8").split("\n---\n")
    marp_pages = handouts.marp_notes.result().split("\n---\n")
    assert len(pages) == len(marp_pages) == len(deck.slides)
    assert any(slide.notes for slide in deck.slides)
    for slide, page, marp in zip(deck.slides, pages, marp_pages, strict=True):
        heading, _, body = page.strip().partition("\n\n")
        assert heading == f"Slide {slide.number}: {slide.title}", page[:80]
        said = squash(marp) or build.NO_NOTES
        assert squash(body) == said, f"{slide.where()}: {body[:80]!r}"


def test_the_pdf_outline_is_the_talk_s_sections(
    handouts: Handouts, deck: Deck
) -> None:
    """An entry per section (notes/talk-plan.md), at its first slide, and
    beneath it each of its slides as "N. Title": every slide once."""
    reader = PdfReader(handouts.pdf.result())
    sections: list[tuple[Any, list[Any]]] = []
    for entry in reader.outline:  # an entry, then a list of its children
        if isinstance(entry, list):
            sections[-1][1].extend(entry)
        else:
            sections.append((entry, []))

    def page(entry: Any) -> int:
        found = reader.get_destination_page_number(entry)
        assert found is not None, f"{entry.title!r} points to no page"
        return found + 1

    names = [entry.title for entry, _ in sections]
    assert names == list(SECTIONS), f"the outline's top: {names}"
    numbers = []
    for (entry, slides), section in zip(sections, SECTIONS, strict=True):
        assert slides, f"{section!r} has no slides beneath it"
        assert deck.slides[page(entry) - 1].title == SECTIONS[section]
        assert page(slides[0]) == page(entry), section
        for slide in slides:
            assert not isinstance(slide, list), f"{section}: nested"
            title = deck.slides[page(slide) - 1].title
            assert slide.title == f"{page(slide)}. {title}"
            numbers.append(page(slide))
    assert numbers == list(range(1, len(deck.slides) + 1))


@pytest.mark.parametrize(("url", "why"), [
    ("assets/nowhere.svg", "does not exist"),
    ("../slides.md", "is outside the repository"),
])
def test_a_bad_picture_is_refused_naming_its_line(
    tmp_path: Path, marp: Path, url: str, why: str
) -> None:
    """`make html` on a slides.md that shows a picture it may not: one
    line naming the line that shows it, and no page written."""
    root = small_deck(tmp_path)
    with (root / "slides.md").open("a", encoding="utf-8") as slides:
        slides.write(f"\n![w:100]({url})\n")
    line = len((root / "slides.md").read_text(encoding="utf-8").splitlines())
    with pytest.raises(InputError) as refused:
        build.build_html(root, root / "dist")
    assert str(refused.value) == f"slides.md:{line}: {url}: {why}"
    assert not (root / "dist" / "slides.html").exists()


def test_the_handouts_folders_hold_only_the_handouts(
    handouts: Handouts,
) -> None:
    made = [handouts.pdf.result().parent, handouts.pptx.result().parent]
    names = {path.name for folder in made for path in folder.iterdir()}
    assert names == {"slides.pdf", "slides.pptx", "slides.txt"}
