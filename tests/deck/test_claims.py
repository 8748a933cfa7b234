"""The figures in the speaker notes are the ones the benchmark measured.

When ``make bench`` measures something else, these tests fail and name the
slide whose notes to update.
"""

import json
from pathlib import Path

import pytest

from tests.deck.slides import Slide, read_deck

ROOT = Path(__file__).resolve().parents[2]
BENCH = json.loads((ROOT / "assets/bench_disconnect.json").read_text())


def slide_showing(picture: str) -> Slide:
    [slide] = [
        slide
        for slide in read_deck().slides
        if any(p.url == picture for p in slide.pictures)
    ]
    return slide


def ms(seconds: float) -> str:
    """A duration as the notes write it: 228 ms, or 1.3 ms under 10 ms."""
    value = seconds * 1000
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


def messages(count: float) -> str:
    return f"{count:.0f} message" + ("" if count == 1 else "s")


def wasted_work_claims() -> list[str]:
    results = {
        (r["transport"], r["pattern"]): r
        for r in BENCH["wasted_work"]["results"]
    }
    claims = []
    for (transport, pattern), label in [
        (("http", "send_only"), "send only"),
        (("http", "catch_oserror"), "Catch OSError"),
        (("http", "listen"), "Listen for http.disconnect"),
        (("websocket", "send_only"), "send only"),
    ]:
        result = results[transport, pattern]
        claims.append(
            f"{label}: {messages(result['chunks_after']['median'])}, "
            f"{ms(result['seconds_after']['median'])}"
        )
    return claims


def throughput_claims() -> list[str]:
    results = {r["variant"]: r for r in BENCH["throughput"]["results"]}
    ratios = BENCH["throughput"]["ratios_2_4_over_2_3"]
    claims = []
    for framework, label in [
        ("starlette", "Starlette"),
        ("fastapi", "FastAPI"),
    ]:
        before = results[f"{framework}-2.3"]
        after = results[f"{framework}-2.4"]
        claims.append(
            f"{label}: {before['rps']['median']:,.0f} → "
            f"{after['rps']['median']:,.0f} req/s "
            f"(\N{MULTIPLICATION SIGN}{ratios[framework]['rps']:.2f}), "
            f"p99 {before['p99_ms']['median']:.0f} ms → "
            f"{after['p99_ms']['median']:.0f} ms"
        )
    return claims


@pytest.mark.parametrize(
    ("picture", "claims"),
    [
        ("assets/bench_wasted.svg", wasted_work_claims()),
        ("assets/bench_fastapi.svg", throughput_claims()),
    ],
)
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
