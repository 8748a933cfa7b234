"""The deck's pacing, without a browser: no slide gives a later answer
away, the talk tells one story in about 30 slides, and the backup slides
after "Thank You!" show the full matrix and every demo's transcript as
large as a slide allows.
"""

import re

from scripts.pictures.transcripts import backups, live
from tests.deck.slides import ROOT, Deck, Slide


def visible(markdown: str) -> str:
    """What a slide shows: its Markdown without the speaker notes."""
    return re.sub(r"<!--.*?-->", "", markdown, flags=re.DOTALL)


def main_and_appendix(deck: Deck) -> tuple[list[Slide], list[Slide]]:
    """The talk up to "Thank You!", and the backup slides after it."""
    (end,) = deck.titled("Thank You!")
    index = deck.slides.index(end)
    return list(deck.slides[: index + 1]), list(deck.slides[index + 1 :])


def test_no_slide_gives_away_a_later_answer(deck: Deck) -> None:
    """"Why FastAPI follows ASGI?" answers that FastAPI is a Starlette: no
    slide shows it before. "What about FastAPI?" asks, the next slide
    answers with code."""
    (why,) = deck.titled("Why FastAPI follows ASGI?")
    for slide in deck.slides[: deck.slides.index(why)]:
        assert "FastAPI(Starlette)" not in visible(slide.markdown), (
            f"{slide.where()} gives away {why.where()}"
        )
    [question] = [s for s in deck.slides if "about FastAPI?" in s.markdown]
    gives_away = f"{question.where()} shows its answer: it goes on the next"
    assert not question.pictures, gives_away
    assert "```" not in visible(question.markdown), gives_away
    answer = deck.slides[deck.slides.index(question) + 1]
    assert [p.url for p in answer.pictures][:1] == [
        "assets/asgi_innovations/fastapi_trailers.svg"
    ], f"{answer.where()} should answer {question.where()}"


def test_the_main_deck_tells_one_story_and_the_rest_is_an_appendix(
    deck: Deck,
) -> None:
    """The talk up to "Thank You!" (its length: tests/deck/test_timing.py);
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


# themes/asgi.css, section.backup: the content box under the small title.
BACKUP_BOX = (1240, 660)  # px
MIN_TEXT_PX = 20
SIZE = re.compile(r"!\[w:(\d+) h:(\d+)\]\((assets/transcripts/[^)]+)\)")


def test_each_sheet_fills_its_backup_slide_at_20_px(deck: Deck) -> None:
    """A backup slide (small title, no footer) shows its sheet as large as
    the box allows, at the picture's own ratio, its text at 20 px or more."""
    _, appendix = main_and_appendix(deck)
    shown = [(s, m) for s in appendix for m in SIZE.finditer(s.markdown)]
    sheets = [o for r in live(ROOT) for o, _ in backups(ROOT, r)]
    assert [m[3] for _, m in shown] == sheets, [s.where() for s, _ in shown]
    for slide, match in shown:
        assert slide.directives.get("_class") == "backup", slide.where()
        view = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"',
                         (ROOT / match[3]).read_text(encoding="utf-8"))
        assert view, match[3]
        width, height = float(view[1]), float(view[2])
        scale = min(BACKUP_BOX[0] / width, BACKUP_BOX[1] / height)
        best = (round(width * scale), round(height * scale))
        assert (int(match[1]), int(match[2])) == best, (
            f"{slide.where()}: show it at ![w:{best[0]} h:{best[1]}]"
        )
        size = re.search(r"-matrix \{[^}]*font-size:([\d.]+)px",
                         (ROOT / match[3]).read_text(encoding="utf-8"))
        assert size, match[3]
        assert float(size[1]) * scale >= MIN_TEXT_PX, slide.where()


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
