"""Editorial lints: the deck's words checked against the sources and the
measurements. The notes give the benchmark's figures as measured, the
claims a review corrected stay corrected (tests/deck/claims.py), what the
notes say a demo does is what it does (tests/deck/facts.py); notes are one
paragraph a line; no slide gives a later answer away and the talk tells
its story in order, the backups after it; the seed's slides are all here,
with no to-do, and event text only in the front matter.

When a measurement, a demo or a source changes, these fail naming the
slide whose words to update.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette

from scripts.deck.slides import MARKDOWN
from scripts.pictures.transcripts import backups, live
from tests.deck.claims import BENCH, CORRECTED, MEASURED, shown, slide_showing
from tests.deck.facts import FACTS
from tests.deck.slides import ROOT, SEED, SLIDES, Deck, Slide, read_deck


@pytest.mark.parametrize(("picture", "claims"), MEASURED,
                         ids=[p for p, _ in MEASURED])
def test_notes_give_the_measured_figures(
    picture: str, claims: list[str]
) -> None:
    slide = slide_showing(picture)
    notes = " ".join(" ".join(note.split()) for note in slide.notes)
    for claim in claims:
        assert claim in notes, (
            f"{slide.where()}: its notes should say {claim!r}, as "
            "assets/bench_disconnect.json measured"
        )


def test_the_benchmark_notes_say_what_was_measured() -> None:
    """What was measured: the machine, and the one difference."""
    slide = slide_showing("assets/bench_fastapi.svg")
    notes = " ".join(slide.notes)
    cores = BENCH["measured"]["machine"]["cores"]
    for claim in (f"on a {cores}-core machine", "What was measured",
                  "The only difference is Starlette's listener task"):
        assert claim in notes, f"{slide.where()}: notes should say {claim!r}"


@pytest.mark.parametrize(
    ("where", "text", "says", "never"),
    CORRECTED,
    ids=[where.split(":")[0] for where, *_ in CORRECTED],
)
def test_corrected_claims_stay_corrected(
    where: str, text: Callable[[], str], says: list[str], never: list[str]
) -> None:
    found = " ".join(text().split())
    for words in says:
        assert words in found, f"{where}: should say {words!r}"
    for words in never:
        assert words not in found, f"{where}: says {words!r} again"


@pytest.mark.parametrize(
    ("picture", "facts"), FACTS, ids=[Path(p).stem for p, _ in FACTS]
)
def test_notes_state_what_the_demo_does(
    picture: str, facts: Callable[[], list[str]]
) -> None:
    slide = slide_showing(picture)
    notes = " ".join(slide.notes)
    for fact in facts():
        assert fact in notes, (
            f"{slide.where()}: its notes should say {fact!r}, as the demo does"
        )


def test_notes_hold_one_paragraph_per_line() -> None:
    """The presenter view wraps the notes itself: a line that goes on with
    the sentence of the line before it is a hard wrap. Only a list item,
    or a line after one that ends with a colon, may follow a line."""
    wrapped = []
    for slide in read_deck().slides:
        for note in slide.notes:
            lines = note.splitlines()
            for before, line in itertools.pairwise(lines):
                if not (before.strip() and line.strip()):
                    continue
                if line.lstrip().startswith("- ") or before.endswith(":"):
                    continue
                wrapped.append(f"{slide.where()}: {line.strip()[:50]!r}")
    assert wrapped == [], f"{len(wrapped)} hard-wrapped lines: {wrapped[:6]}"


PLAIN = {"paragraph_open", "paragraph_close", "inline", "text", "softbreak"}


def test_the_talks_notes_are_plain_words(deck: Deck) -> None:
    """The presenter view shows the notes as typed: in the main talk, a
    backtick, an asterisk, a link or a list would be read out as a mark,
    so markdown-it finds nothing but paragraphs of text in them."""
    marked = [
        f"{slide.where()}: {token.type} {token.markup or token.content!r}"
        for slide in deck.main_talk() for note in slide.notes
        for block in MARKDOWN.parse(note)
        for token in [block, *(block.children or [])]
        if token.type not in PLAIN
    ]
    assert marked == [], f"{len(marked)} marks in spoken notes: {marked[:6]}"


def test_fastapi_is_a_starlette() -> None:
    """Slides 'OSS Maintainer' and 'Why FastAPI follows ASGI?' say so."""
    assert issubclass(FastAPI, Starlette)


def main_and_appendix(deck: Deck) -> tuple[list[Slide], list[Slide]]:
    """The talk up to "Thank You!", and the backup slides after it."""
    main = list(deck.main_talk())
    return main, list(deck.slides[len(main):])


def test_no_slide_gives_away_a_later_answer(deck: Deck) -> None:
    """"Why FastAPI follows ASGI?" answers that FastAPI is a Starlette: no
    slide shows it before. "What about FastAPI?" asks, the next slide
    answers with code."""
    (why,) = deck.titled("Why FastAPI follows ASGI?")
    for slide in deck.slides[: deck.slides.index(why)]:
        assert "FastAPI(Starlette)" not in shown(slide), (
            f"{slide.where()} gives away {why.where()}"
        )
    [question] = [s for s in deck.slides if "about FastAPI?" in s.markdown]
    gives_away = f"{question.where()} shows its answer: it goes on the next"
    assert not question.pictures, gives_away
    assert "```" not in shown(question), gives_away
    answer = deck.slides[deck.slides.index(question) + 1]
    assert [p.url for p in answer.pictures][:1] == [
        "assets/asgi_innovations/fastapi_trailers.svg"
    ], f"{answer.where()} should answer {question.where()}"


def test_the_main_deck_tells_one_story_and_the_rest_is_an_appendix(
    deck: Deck,
) -> None:
    """The talk up to "Thank You!" (its length: `make timing`);
    after it, the full matrix, how to run the demos, and the recordings of
    the live runs as backup slides, a sheet a slide."""
    main, appendix = main_and_appendix(deck)
    shown = {p.url for s in main for p in s.pictures}
    assert "assets/support_matrix_simple.svg" in shown, "no simple matrix"
    assert "assets/support_matrix.svg" not in shown, (
        "the full matrix belongs in the appendix"
    )
    assert not [s for s in main if s.title == "Run the demos live"]
    backup = {p.url for s in appendix for p in s.pictures}
    expected = {"assets/support_matrix.svg"} | {
        output for recording in live(ROOT)
        for output, _ in backups(ROOT, recording)
    }
    assert expected <= backup, f"the appendix misses {expected - backup}"
    assert [s for s in appendix if s.title == "Run the demos live"]


def test_the_talk_goes_problem_spec_servers_payoff(deck: Deck) -> None:
    """The main deck's story in order: the spec, the innovations and their
    demos, the servers measured, the spec-2.4 prototype, its payoff, the
    conclusion."""
    main, _ = main_and_appendix(deck)

    def first(found: str) -> int:
        hits = [i for i, s in enumerate(main)
                if found in s.markdown or found == s.title]
        assert hits, f"the talk has no slide with {found!r}"
        return hits[0]

    story = ["What is ASGI?", "assets/asgi_innovations/ws.svg",
             "assets/asgi_innovations/content_md5.svg",
             "assets/asgi_innovations/streaming_response.svg",
             "assets/support_matrix_simple.svg",
             "assets/asgi_innovations/oserror_protocols.svg",
             "assets/bench_fastapi.svg", "Conclusion", "Thank You!"]
    at = [first(found) for found in story]
    assert at == sorted(at), list(zip(story, at, strict=True))


def seed_deck() -> None:
    if not SEED.is_file():
        pytest.skip(f"the seed deck is not at {SEED}")


def seed_title(title: str) -> str:
    """A seed slide's title as ours says it: the seed's mangled 🚀 mended,
    and its 2024 promo code gone (event text lives in the front matter)."""
    return title.replace("ðŸš€", "🚀").replace(" (PYCONPT2024)", "")


def test_every_seed_slide_is_here_in_order(deck: Deck) -> None:
    seed_deck()
    ours = [slide.title for slide in deck.slides]
    position = 0
    for slide in read_deck(SEED).slides:
        title = seed_title(slide.title or "")
        if not title:
            continue  # the seed's untitled slide now has its section's title
        assert title in ours[position:], (
            f"seed slide {slide.number} {title!r} is missing, or out of order"
        )
        position = ours.index(title, position) + 1


def test_notes_have_no_placeholders(deck: Deck) -> None:
    text = SLIDES.read_text(encoding="utf-8")
    for marker in ("TODO", "TBD", "Talk about", "???", "fuck", "ð", "Ÿ"):
        assert marker not in text, f"slides.md still says {marker!r}"
    (logfire,) = [s for s in deck.slides if s.title and "Logfire" in s.title]
    assert logfire.title, logfire.where()
    assert logfire.title.endswith("🚀"), logfire.where()


# An event's name, or a promo code such as PYCONPT2024.
EVENT = re.compile(r"\b(?:PyCon|EuroPython|DjangoCon|PyData|[A-Z]{4,}20\d\d)")


def test_event_text_lives_in_the_front_matter_only(deck: Deck) -> None:
    """Giving the talk elsewhere means changing one line: the front
    matter's footer (the README says so), never a slide."""
    for slide in deck.slides:
        found = EVENT.search(slide.markdown)
        assert found is None, (
            f"{slide.where()} says {found and found[0]!r}: event text belongs "
            "in the footer: line of slides.md's front matter"
        )
    assert "footer" in deck.front_matter


def test_the_front_matter_keeps_the_seeds_feel(deck: Deck) -> None:
    assert deck.front_matter["theme"] == "asgi"
    assert deck.front_matter["paginate"] == "true"
    assert deck.front_matter["footer"] == "@marcelotryle"
    assert "backgroundImage" not in deck.front_matter
