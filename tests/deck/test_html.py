"""The built deck in Chromium, as another machine shows it (tests/deck/
conftest.py builds it once, copies its folder elsewhere and opens it with
every non-file request blocked): nothing from the network, every picture
and font loaded, no console error, as many slides as slides.md, every text
colour at 7:1 or more against what is behind it, text and code at 20 px or
more on the 1280x720 slide, nothing outside the slide or over a picture;
and in Marp's presenter view at 1280x720, every note of the main talk
without scrolling.
"""

from __future__ import annotations

import re

from scripts.deck import build
from scripts.deck.slides import words as spoken_words
from scripts.style import contrast
from tests.conftest import Report
from tests.deck.conftest import PNGS, Built
from tests.deck.slides import ROOT, THEME, Deck, svg_size
from tests.deck.walk import SLIDE_HEIGHT, SLIDE_WIDTH

MIN_CONTRAST = 7.0
MIN_CODE_PX = 20.0
MIN_TEXT_PX = 20.0
TOLERANCE = 1.0  # px: sub-pixel rounding of boxes


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


def test_nothing_is_requested_from_the_network(built: Built) -> None:
    assert built.seen.blocked == [], (
        f"{len(built.seen.blocked)} request(s) left the machine: "
        f"{built.seen.blocked[:5]}"
    )
    assert built.seen.escaped == [], (
        f"the deck read files outside its folder: {built.seen.escaped[:5]}"
    )


def test_the_folder_holds_what_it_refers_to_and_nothing_else(
    built: Built,
) -> None:
    html = built.html.read_text(encoding="utf-8")
    refs = re.findall(r'(?:src|href)="([^"]+)"|url\([\'"]?([^\'")]+)', html)
    used = set()
    for url in (a or b for a, b in refs):
        assert "node_modules" not in url, f"the page still points to {url}"
        if not re.match(r"[a-zA-Z][\w+.-]*:|[/#]", url):  # a file of ours
            assert (built.folder / url.split("#")[0]).is_file(), url
            used.add(url.split("#")[0])
    files = {p.relative_to(built.folder).as_posix()
             for p in built.folder.rglob("*") if p.is_file()}
    notices = {f for f in files if f.endswith((".txt", ".html"))}
    assert files - notices == used, sorted(files ^ used)
    assert not PNGS.is_relative_to(ROOT / build.OUT), "screenshots in dist/"


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


def test_as_many_slides_as_slides_md(built: Built, deck: Deck) -> None:
    assert built.seen.slides == len(deck.slides)
    assert built.seen.inactive == [], "slides that never became active"
    assert len(built.seen.pngs) == len(deck.slides)
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


def test_code_and_pictures_are_at_least_20_px(
    built: Built, figure: Report
) -> None:
    """Code on a slide, and the smallest text of each picture as the slide
    shows it: its SVG's size times the picture's width over its viewBox's."""
    sizes = [(t.size, f"slide {t.slide}: `{t.text}`")
             for t in built.seen.texts if t.code]
    for image in built.seen.images:
        if image["src"].startswith("assets/"):
            size = svg_size(built.folder / image["src"])
            sizes.append((image["box"][2] / size.view[0] * size.font,
                          f"slide {image['slide']}: {image['src']}"))
    smallest, where = min(sizes)
    figure("deck", "chromium", f"smallest picture text or code "
           f"{smallest:.1f} px ({where})")
    small = [f"{w} at {s:.1f} px" for s, w in sizes if s < MIN_CODE_PX - 0.05]
    assert small == [], f"under {MIN_CODE_PX} px: {small}"


def test_every_text_is_at_least_20_px(built: Built, figure: Report) -> None:
    smallest = min(built.seen.texts, key=lambda text: text.size)
    where = f"slide {smallest.slide}: {smallest.text!r}"
    figure("deck", "chromium", f"smallest text {smallest.size:g} px ({where})")
    small = [
        f"slide {t.slide}: {t.text!r} at {t.size:g} px"
        for t in built.seen.texts
        if t.size < MIN_TEXT_PX
    ]
    assert small == [], f"text under {MIN_TEXT_PX:g} px: {small[:8]}"


def test_the_cards_are_slide_text(built: Built, deck: Deck) -> None:
    """The spec cards, the pull request and the wordmarks are text of their
    slides, measured like the rest (contrast, size, inside the slide), and
    no longer pictures."""
    cards = {
        slide.number
        for slide in deck.slides
        if re.search(r'class="(card|wordmark)\b', slide.markdown)
    }
    assert len(cards) == 5, cards
    measured = {text.slide for text in built.seen.texts if text.card}
    assert measured == cards
    for image in built.seen.images:
        assert image["slide"] not in cards, f"{image['src']} on a card slide"


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


def test_every_note_of_the_talk_fits_the_presenter_view(
    built: Built, deck: Deck, figure: Report
) -> None:
    """Marp's presenter view in a 1280x720 window shows each slide's note
    in a box beside the slide: the speaker must not scroll it mid-talk."""
    presenter = built.presenter
    notes = {note.slide: note for note in presenter.notes}
    talk = [slide for slide in deck.main_talk() if slide.number in notes]
    assert talk, "the presenter view showed no note of the main talk"
    fullest = max((notes[s.number] for s in talk), key=lambda n: n.text)
    width, height = presenter.box
    figure("deck", "chromium", f"fullest presenter note: slide "
           f"{fullest.slide}, {fullest.text:.0f} of {fullest.client:.0f} px "
           f"(box {width:.0f}x{height:.0f} px, {fullest.size:g} px text)")
    over = []
    for slide in talk:
        note = notes[slide.number]
        if note.overflow > TOLERANCE:
            cut = -(-spoken_words(slide) * note.overflow // note.scroll)
            over.append(
                f"{slide.where()}: {note.overflow:.0f} px over "
                f"({note.scroll:.0f} px of notes in {note.client:.0f} px): "
                f"cut about {cut:.0f} words"
            )
    assert over == [], "notes that scroll in the presenter view:\n" + (
        "\n".join(over))


def test_the_presenter_view_shows_each_slide_s_notes(
    built: Built, deck: Deck
) -> None:
    """A note for each slide with notes, none for the others; the view
    taken to the fullest note's slide shows it, measured as the walk
    through the notes measured it."""
    presenter = built.presenter
    with_notes = [slide.number for slide in deck.slides if slide.notes]
    assert [note.slide for note in presenter.notes] == with_notes
    assert len(presenter.notes) + len(presenter.noteless) == len(deck.slides)
    heaviest = presenter.heaviest()
    assert heaviest is not None
    assert presenter.shown == heaviest, "its slide showed another note"
    assert presenter.png == PNGS / f"presenter-{heaviest.slide:02d}.png"
    assert presenter.png.stat().st_size > 0
