"""The disconnect benchmark's two charts (``make bench``), drawn for
scripts/pictures/charts.py: the work nobody reads once a client leaves
mid-stream, and what every streaming response costs when none leaves."""

from typing import Any

from scripts.figures import FRAMEWORKS, after, load_of, ratios, specs
from scripts.pictures.matrix_picture import (
    BAD,
    BODY,
    FAIR,
    GOOD,
    HEADING,
    HEADLINE,
    MARGIN,
    NOTE,
    SLOW,
    WIDTH,
    centred,
)
from scripts.pictures.svg import Canvas, Style

PATTERNS = {
    "send_only": "send only",
    "listen": "listen for disconnect",
    "catch_oserror": "catch OSError",
    "fastapi": "FastAPI demo",
}


MIN_BAR = 8  # px: a bar of 0 is still seen as a bar; its label says 0


def bar(
    canvas: Canvas, left: float, middle: float, values: dict[str, float],
    scale: float, style: Style, height: float,
) -> float:
    """A bar to the median, a whisker from min to max; its right end."""
    length = max(scale * values["median"], MIN_BAR)
    box = {"y": middle - height / 2, "width": length, "height": height}
    canvas.shape("rect", x=left, **box, rx=3, fill=style.colour)
    low, high = left + scale * values["min"], left + scale * values["max"]
    if high > low:
        canvas.line(low, middle, high, middle, stroke=BODY.colour, width=2)
    return max(high, left + length)


def draw_wasted(data: dict[str, Any], canvas: Canvas) -> tuple[float, str]:
    """Messages an HTTP app still sends, and time it still runs, once its
    client left mid-stream, per pattern: on stock uvicorn and on the
    prototype, side by side. Not WebSocket: that uvicorn raises there is
    the next slide's reveal."""
    waste, versions = data["wasted_work"], data["versions"]
    rows = [r for r in waste["results"] if r["transport"] == "http"]
    sent = waste["stream_messages"] - waste["read_before_leaving"]
    most = max([sent] + [r["chunks_after"]["max"] for r in rows])
    clients = min(int(r["clients"]) for r in rows)
    canvas.text(MARGIN, 28, WASTED_TITLE, BODY)
    canvas.text(MARGIN, 55, f"{clients} clients per pattern, each reads "
                f"{waste['read_before_leaving']} of {waste['stream_messages']} "
                f"messages sent {waste['delay'] * 1000:.0f} ms apart, then "
                "leaves", NOTE)
    left = MARGIN + canvas.width_of(max(PATTERNS.values(), key=len), BODY) + 24
    column = (WIDTH - MARGIN - left) / 2
    old, new = specs(data["throughput"])  # the same two servers' specs
    heads = (f"uvicorn {versions.get('uvicorn', '?')} \u00b7 spec {old}",
             f"prototype of #3085 \u00b7 spec {new}")
    y, alt, notes = 110.0, [], list[str]()
    for n, head in enumerate(heads):
        canvas.text(left + n * column, y, head, HEADING)
    for pattern, label in PATTERNS.items():
        found = [r for r in rows if r["pattern"] == pattern]
        canvas.text(MARGIN, centred(y + 26), label, BODY)
        for n, row in enumerate(found):
            said = wasted_row(canvas, left + n * column, y + 26, row,
                              (column - 270) / most, notes)
            alt.append(f"{label} ({row['app']}), {heads[n]}: {said}")
        y += 42
    for number, note in enumerate(notes, 1):
        canvas.text(MARGIN, y + 16 + 27 * number, f"({number}) {note}", NOTE)
    y += 44 + 27 * len(notes)
    story = wasted_story(new)
    for line, style in (  # one line each: too long is refused, not wrapped
        *((line, BODY) for line in story),
        ("bars: messages after the client left (median, whiskers "
         "min\u2013max), then the time taken", NOTE),
        (f"(the demos: 200 ms) \u00b7 starlette "
         f"{versions.get('starlette', '?')} \u00b7 measured "
         f"{data['measured']['date']} on 127.0.0.1 (make bench)", NOTE),
    ):
        canvas.text(MARGIN, y, line, style)
        y += NOTE.pitch
    what = f"{WASTED_TITLE}. {' '.join(story)} "
    return y - NOTE.pitch + 12, what + ". ".join(alt)


WASTED_TITLE = "A client leaves mid-stream: what its HTTP app still does"


def wasted_story(new: str) -> tuple[str, str]:
    """What the bars say, the prototype saying spec ``new``."""
    return (
        f"At spec {new}, OSError stops an app at its next send; a listener "
        "task, at once.",
        f"FastAPI stops a message later at {new}; its gain: one task fewer on "
        "every stream.",
    )


def wasted_row(
    canvas: Canvas, left: float, middle: float, row: dict[str, Any],
    scale: float, notes: list[str],
) -> str:
    """One pattern's bar, value and footnote mark; the value said."""
    chunks, median = row["chunks_after"], row["chunks_after"]["median"]
    style = BAD if median >= 2 else FAIR if median >= 1 else GOOD
    right = bar(canvas, left, middle, chunks, scale, style, 22)
    label = after(row, sep=" \u00b7 ")
    end = canvas.text(right + 14, centred(middle), label, BODY)
    if raised := [k for k in row["outcomes"] if k.startswith("raised ")]:
        note = f"the app ends in {raised[0][7:]}: the next send raised"
        notes += [note] * (note not in notes)
        canvas.text(end + 10, centred(middle), f"({notes.index(note) + 1})",
                    FAIR)
    return label


FASTAPI_TITLE = "No client leaves: what every streaming response costs"


def fastapi_why(old: str, new: str) -> str:
    """The one difference between the servers, at specs ``old``, ``new``."""
    return (f"The only difference: Starlette's listener task, 2 tasks per "
            f"response at spec {old}, 1 at {new}")


def draw_fastapi(data: dict[str, Any], canvas: Canvas) -> tuple[float, str]:
    """Requests/s and latency, no client leaving: stock uvicorn (spec 2.3,
    listener task) against the prototype (OSError), and their ratios
    paired by round: the headline large, a lower p99 said as N times
    lower."""
    cost, versions = data["throughput"], data["versions"]
    rows = {r["variant"]: r for r in cost["results"]}
    scale = 330 / max(r["rps"]["max"] for r in rows.values())
    old, new = specs(cost)
    labels = (f"spec {old} \u00b7 stock uvicorn",
              f"spec {new} \u00b7 prototype #3085")
    canvas.text(MARGIN, 28, FASTAPI_TITLE, BODY)
    canvas.text(MARGIN, 55, fastapi_why(old, new), NOTE)
    y, alt, found = 63.0, [], ratios(cost)
    left = MARGIN + max(canvas.width_of(label, BODY) for label in labels) + 30
    for framework, name in FRAMEWORKS.items():
        y += 56
        ratio = found[framework]
        end = canvas.text(MARGIN, y, f"{name} {versions.get(framework, '?')}",
                          HEADING)
        headline = f"\u00d7{ratio.rps} requests/s"
        end = canvas.text(end + 20, y, headline, HEADLINE)
        spread = f"rounds {ratio.low}\u2013{ratio.high}"
        end = canvas.text(end + 12, y, spread, NOTE)
        lower = f"p99 {ratio.p99}"
        canvas.text(end + 28, y, lower, HEADLINE)
        alt.append(f"{name}: {headline} ({spread}), {lower}")
        y += 10
        for spec, label, style in zip((old, new), labels, (SLOW, GOOD),
                                      strict=True):
            canvas.text(MARGIN + 20, centred(y + 22), label, BODY)
            said = fastapi_row(canvas, (left, y + 22), style,
                               rows[f"{framework}-{spec}"], scale)
            alt.append(f"{name}, {label}: {said}")
            y += 46
    load, stream, pinned = cost["load"], cost["stream"], cost["pinned"]
    for line in (  # the fine print, each line refused if too long
        f"{stream['chunks']} chunks of {stream['chunk_bytes']} bytes a "
        f"response \u00b7 {load['tool'].split(' (')[0]}, "
        f"{load['connections']} connections, {load['runs_per_variant']} "
        "rounds of " + (
            f"{load['seconds_per_run']} s" if "seconds_per_run" in load
            else f"{load['requests_per_run']} requests"),  # no wrk: asyncio
        f"ratios: each round's spec {new} run over the same round's spec "
        f"{old} run, median",
        "bars: median, whiskers min\u2013max \u00b7 measured "
        f"{data['measured']['date']} on 127.0.0.1 (make bench)",
    ):
        y += 27
        canvas.text(MARGIN, y, line, NOTE)
    what = f"{FASTAPI_TITLE} ({pinned}). {fastapi_why(old, new)}. "
    return y + 14, what + ". ".join(alt)


def fastapi_row(
    canvas: Canvas, at: tuple[float, float], style: Style, row: dict[str, Any],
    scale: float,
) -> str:
    """One variant's bar from ``at`` (its left, its middle), requests/s and
    latency; what it says."""
    (left, middle), rps, shown = at, row["rps"], load_of(row)
    right = bar(canvas, left, middle, rps, scale, style, 24)
    for x in (left + scale * rps["min"], left + scale * rps["max"]):
        canvas.line(x, middle - 6, x, middle + 6, stroke=BODY.colour, width=2)
    value = f"{shown.rps:,}/s"
    canvas.text(right + 12, centred(middle), value, BODY)
    latency = f"p50 {shown.p50} ms \u00b7 p99 {shown.p99} ms"
    canvas.text(WIDTH - MARGIN, centred(middle), latency, BODY, "end")
    return f"{value} requests, latency {latency}"
