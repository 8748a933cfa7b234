"""The figures in the speaker notes are the ones the benchmark measured,
rounded as the charts and the README round them (scripts/readme.py).

When ``make bench`` measures something else, these tests fail and name the
slide whose notes to update.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from scripts.readme import milliseconds, rounded
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


def waste(result: dict[str, Any]) -> str:
    """Messages and time after the client left, as the notes write them:
    10 messages, 228 ms (1.3 ms under 10 ms)."""
    count = int(rounded(result["chunks_after"]["median"]))
    said = f"{count} message" + ("" if count == 1 else "s")
    return f"{said}, {milliseconds(result['seconds_after'])}"


def wasted_work_claims() -> list[str]:
    work = BENCH["wasted_work"]
    results = {(r["server"], r["transport"], r["pattern"]): r
               for r in work["results"]}
    claims = [
        f"{work['clients_per_round'] * work['rounds']} clients per pattern and "
        f"server, each leaving after {work['read_before_leaving']} of "
        f"{work['stream_messages']} messages sent {work['delay'] * 1000:g} ms "
        "apart"
    ]
    for server, title in (("uvicorn", "Stock uvicorn"),
                          ("prototype", "Prototype of #3085")):
        said = "; ".join(
            f"{label} {waste(results[server, 'http', pattern])}"
            for pattern, label in (
                ("send_only", "send only"),
                ("catch_oserror", "catch OSError"),
                ("listen", "listen for http.disconnect"),
                ("fastapi", "FastAPI demo"),
            )
        )
        claims.append(f"{title}, HTTP: {said}.")
    send_only = results["uvicorn", "websocket", "send_only"]
    return [*claims, f"WebSocket, stock uvicorn: send only {waste(send_only)}"]


def throughput_claims() -> list[str]:
    cost = BENCH["throughput"]
    results = {r["variant"]: r for r in cost["results"]}
    load, stream = cost["load"], cost["stream"]
    claims = [
        f"many small streams ({stream['chunks']} chunks of "
        f"{stream['chunk_bytes']} bytes)",
        f"{load['tool']}, {load['connections']} connections, "
        f"{load['runs_per_variant']} rounds of {load['seconds_per_run']} s",
        f"pinned: {cost['pinned']}",
        f"--http {cost['servers']['2.4']['http']}",
    ]
    for framework, label in [
        ("starlette", "Starlette"),
        ("fastapi", "FastAPI"),
    ]:
        before = results[f"{framework}-2.3"]
        after = results[f"{framework}-2.4"]
        ratio = cost["ratios_2_4_over_2_3"][framework]
        spread = ratio["paired"]["rps"]
        claims.append(
            f"{label}: {int(rounded(before['rps']['median'])):,} → "
            f"{int(rounded(after['rps']['median'])):,} req/s "
            f"(\N{MULTIPLICATION SIGN}{rounded(ratio['rps'], 2)}, rounds "
            f"{rounded(spread['min'], 2)}\N{EN DASH}"
            f"{rounded(spread['max'], 2)}), "
            f"p99 {rounded(before['p99_ms']['median'], 1)} ms → "
            f"{rounded(after['p99_ms']['median'], 1)} ms"
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
