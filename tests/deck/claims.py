"""What the deck's words must say, built from the sources and the
measurements: the benchmark's figures in the sentences the notes say them
(rounded as the charts and the README round them), and the claims a review
corrected against primary sources (../shared/asgi-facts.md), each with
where it is said, what it must say and what it must not say again.
tests/deck/test_editorial.py checks slides.md against them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from scripts.common import ROOT
from scripts.figures import after, load_of, ratios, specs
from tests.deck.slides import Slide, read_deck

BENCH = json.loads((ROOT / "assets/bench_disconnect.json").read_text())
DECK = read_deck()
README = (ROOT / "README.md").read_text(encoding="utf-8")
SLIDES_TEXT = (ROOT / "slides.md").read_text(encoding="utf-8")


def slide_showing(picture: str) -> Slide:
    """The slide that shows ``picture``, or else whose text says it."""
    [slide] = [
        slide
        for slide in DECK.slides
        if any(p.url == picture for p in slide.pictures)
        or (not picture.startswith("assets/") and picture in slide.markdown)
    ]
    return slide




def wasted_work_claims() -> list[str]:
    """The wasted-work figures, in the sentences the notes say them."""
    work = BENCH["wasted_work"]
    results = {(r["server"], r["pattern"]): after(r)
               for r in work["results"] if r["transport"] == "http"}
    return [
        f"{work['clients_per_round'] * work['rounds']} clients per pattern and "
        f"server, each leaving after {work['read_before_leaving']} of "
        f"{work['stream_messages']} messages sent {work['delay'] * 1000:g} ms "
        "apart",
        "On stock uvicorn, an app that only sends goes on for "
        f"{results['uvicorn', 'send_only']}",
        "Listening for http.disconnect stops it after "
        f"{results['uvicorn', 'listen']}",
        "On the prototype of #3085, an app that only sends stops at its next "
        f"send ({results['prototype', 'send_only']})",
        f"The listener still stops first ({results['prototype', 'listen']}), "
        "and FastAPI one message later than on stock uvicorn "
        f"({results['prototype', 'fastapi']})",
    ]


def websocket_claims() -> list[str]:
    [send_only] = [r for r in BENCH["wasted_work"]["results"]
                   if (r["server"], r["transport"], r["pattern"])
                   == ("uvicorn", "websocket", "send_only")]
    return [f"a WebSocket app that only sends stops after {after(send_only)}, "
            "on stock uvicorn"]


def times(ratio: str) -> str:
    """A ratio as the notes speak it: "6.6 times lower", not with a sign."""
    return ratio.replace("\N{MULTIPLICATION SIGN}", " times")


def throughput_claims() -> list[str]:
    """The throughput figures, in the sentences the notes say them."""
    cost = BENCH["throughput"]
    load, stream, shown = cost["load"], cost["stream"], ratios(cost)
    stock, prototype = specs(cost)
    results = {r["variant"]: r for r in cost["results"]}
    said = {
        framework: (load_of(results[f"{framework}-{stock}"]),
                    load_of(results[f"{framework}-{prototype}"]),
                    shown[framework])
        for framework in ("starlette", "fastapi")
    }
    (s_old, s_new, s_ratio), (f_old, f_new, f_ratio) = said.values()
    return [
        f"many small streams ({stream['chunks']} chunks of "
        f"{stream['chunk_bytes']} bytes) and no client leaving",
        f"loaded by {load['tool']} with {load['connections']} connections, "
        f"{load['runs_per_variant']} rounds of {load['seconds_per_run']} s",
        f"Starlette serves {s_old.rps:,} requests a second on stock uvicorn "
        f"and {s_new.rps:,} on the prototype: {s_ratio.rps} times as many "
        f"(the rounds range from {s_ratio.low} to {s_ratio.high}), and its p99 "
        f"latency falls from {s_old.p99} ms to {s_new.p99} ms, "
        f"{times(s_ratio.p99)}",
        f"FastAPI goes from {f_old.rps:,} to {f_new.rps:,}: {f_ratio.rps} "
        f"times as many (from {f_ratio.low} to {f_ratio.high}), and its p99 "
        f"from {f_old.p99} ms to {f_new.p99} ms, {times(f_ratio.p99)}",
    ]


MEASURED = [
    ("assets/bench_wasted.svg", wasted_work_claims()),
    ("assets/bench_fastapi.svg", throughput_claims()),
    ("Uvicorn raises", websocket_claims()),
]


def titled(title: str) -> Slide:
    [slide] = DECK.titled(title)
    return slide


def shown(slide: Slide) -> str:
    """What a slide shows: its Markdown without the speaker notes."""
    return re.sub(r"<!--.*?-->", "", slide.markdown, flags=re.DOTALL)


def containing(words: str) -> Slide:
    [slide] = [s for s in DECK.slides if words in s.markdown]
    return slide


def notes_of(picture: str) -> Callable[[], str]:
    return lambda: " ".join(slide_showing(picture).notes)


# Claims corrected after a review against primary sources
# (../shared/asgi-facts.md): where, what it must say, what it must not.
CORRECTED: list[tuple[str, Callable[[], str], list[str], list[str]]] = [
    ("the spec 2.4 card and notes: the spec says *should* not log",
     lambda: SLIDES_TEXT + README, ["should not log it as an error"],
     ["must not log", "must expect it"]),
    ("slide 'Why FastAPI follows ASGI?': once per request on HTTP",
     lambda: " ".join(titled("Why FastAPI follows ASGI?").notes),
     ["once per request (for a WebSocket, once per connection)",
      "Andrew Godwin wrote the ASGI specification in 2015\N{EN DASH}16, "
      "for Django Channels", "Uvicorn in 2017", "Starlette in 2018",
      "HTTP/2 only with --http zttp --http2, and experimental"],
     ["was involved when", "calls the app once per connection",
      "2016\N{EN DASH}17"]),
    ("slide 'What is ASGI?': Django runs on both; ASGI 3 is from 2019",
     lambda: " ".join(containing("ASGI stands for").notes),
     ["Django supports both WSGI and ASGI", "ASGI 3", "is from 2019"],
     ["Which Django and Flask are based on"]),
    ("'OSS Maintainer': uvicorn comes with fastapi[standard]",
     lambda: " ".join(titled("OSS Maintainer").notes),
     ["it is not a FastAPI dependency", "fastapi[standard]"],
     ["Both sit under FastAPI"]),
    ("the HTTPException denial slide: every pinned FastAPI has it",
     notes_of("assets/asgi_innovations/ws_http_exception.svg"),
     ["every FastAPI that allows Starlette 0.41 or later", "Starlette 0.41.0"],
     ["did not support that Starlette yet", "0.42"]),
    ("the spec 2.4 card: a should, not guaranteed at any version",
     lambda: containing("Disconnected client: `send()` raises").markdown,
     ["not guaranteed even at 2.4", "#431", "6f02daa", "#464",
      "especially on older ASGI server implementations"],
     ["Not guaranteed before 2.4"]),
    ("the history of the HTTP revert: ninoseki's #2276, fixed by #2513",
     lambda: SLIDES_TEXT,
     ["ninoseki's #2276, which I co-authored and merged",
      "until #2513 (0.32.1)", "asgiref #578"],
     ["reverted it in #2276"]),
    ("uvicorn #2908 and #2783 compete, each for h11 and httptools",
     lambda: SLIDES_TEXT,
     ["two competing open pull requests", "to both h11 and httptools"],
     ["(both open) bring HTTP/1.1 trailers to h11 and httptools"]),
    ("the Content-MD5 demo says why it keeps a removed field",
     notes_of("assets/asgi_innovations/content_md5.svg"),
     ["it is simple, and it is the checksum people know",
      "RFC 7231, appendix B", "Content-Digest", "RFC 9530"], []),
    ("the pull-request card: #1876 was opened on encode/starlette, and its "
     "description is quoted as written",
     lambda: containing('class="card pull-request"').markdown,
     ["encode/starlette · pull request", "#1876",
      "> No intention to get this merged or to even discuss for the time "
      "being. Just pushing for future reference."],
     ["Kludex/starlette ·", "Pushed for future reference"]),
    ("'Open Source!': asgi-trailers 0.1.0 is the speaker's own attempt, "
     "and Starlette #3566 is close to the demo",
     lambda: containing("Open Source!").markdown,
     ["My own first attempt is on PyPI: asgi-trailers 0.1.0",
      "keyword-only async trailers callback, evaluated after the body, "
      "close to this TrailersResponse"], []),
    ("'Open Source!', on the slide: Starlette #3566 and its API",
     lambda: shown(containing("Open Source!")),
     ["Starlette #3566 (open): a keyword-only async <code>trailers</code> "
      "callback,<br> evaluated after the body, close to this "
      "<code>TrailersResponse</code>"], []),
    ("the conclusion, on the slide: the trailers story after 2022",
     lambda: shown(titled("Conclusion")),
     ["(#3146, merged; experimental)", "Starlette (#3566)",
      "(#2908, #2783), all open"], []),
    ("the conclusion: the trailers story after 2022",
     lambda: titled("Conclusion").markdown,
     ["uvicorn #3146, merged", "experimental", "Starlette #3566 (open)",
      "(#2908, #2783), all open", "hypercorn partly"], []),
    ("the token slide: the query string is logged; cookies need Origin",
     notes_of("assets/asgi_innovations/ws_with_token.svg"),
     ["lands in the server's access log", "must check the Origin header",
      "RFC 6455, section 10.2"], []),
    ("the FastAPI trailers slide: BaseHTTPMiddleware, and TE is hop-by-hop",
     notes_of("assets/asgi_innovations/fastapi_trailers.svg"),
     ["drops the trailers while the Trailer header still announces them",
      "#3564", "TE is hop-by-hop (RFC 9112, section 7.4)"], []),
    ("the WebSocket disconnect slide: an uncaught disconnect is logged",
     notes_of("assets/asgi_innovations/ws_disconnect.svg"),
     ['uvicorn logs "Exception in ASGI application"',
      "the #2271 experience, today, on WebSockets"], []),
    ("each topic says what the browser sees (tests/browser measures it)",
     lambda: " ".join(
         " ".join(slide_showing(f"assets/asgi_innovations/{name}.svg").notes)
         for name in ("ws_send_denial_response", "content_md5",
                      "streaming_response")),
     ["JavaScript gets a bare error, then close code 1006",
      "are for non-browser clients", "Browsers never ask for trailers",
      "A browser leaving is an ordinary disconnect"], []),
    ("the conclusion names what the tests measure",
     lambda: titled("Conclusion").markdown,
     ["every WebSocket backend", "hypercorn", "HTTP/2 only",
      "--http zttp --http2", "TE: trailers", "uvicorn on WebSockets",
      "reverted"], []),
    ("'OSS Maintainer', 'Why FastAPI follows ASGI?': FastAPI is a Starlette "
     "(test_editorial.py checks the class)", lambda: SLIDES_TEXT,
     ["FastAPI is a subclass of Starlette"], []),
    ("README: an open pull request has fixed nothing",
     lambda: README, ["uvicorn PR #3138, open"], ["fixed by the open"]),
]


