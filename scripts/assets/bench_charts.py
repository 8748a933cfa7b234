"""The benchmark charts, drawn from assets/bench_disconnect.json (``make
bench``): the work wasted after a disconnect, and what the listener costs."""

from typing import Any

from scripts.assets.chart_style import (
    BAD,
    BODY,
    FAIR,
    GOOD,
    HEADING,
    MARGIN,
    NOTE,
    SLOW,
    TEXT,
    WIDTH,
    centred,
    wrapped,
)
from scripts.assets.svg import Canvas, Style

PATTERNS = {
    "send_only": "send only",
    "listen": "listen for disconnect",
    "catch_oserror": "catch OSError",
}
SERVERS = {"HTTP": "httptools", "WebSocket": "websockets-sansio"}


def bar(
    canvas: Canvas, left: float, middle: float, values: dict[str, float],
    scale: float, style: Style, height: float,
) -> float:
    """A bar to the median, a whisker from min to max; its right end."""
    length = max(scale * values["median"], 3)
    box = {"y": middle - height / 2, "width": length, "height": height}
    canvas.shape("rect", x=left, **box, rx=3, fill=style.colour)
    low, high = left + scale * values["min"], left + scale * values["max"]
    if high > low:
        canvas.line(low, middle, high, middle, stroke=TEXT, width=2)
    return max(high, left + length)


def draw_wasted(data: dict[str, Any], canvas: Canvas) -> tuple[float, str]:
    """Messages the app still sends, and time it still runs, per pattern."""
    waste, versions = data["wasted_work"], data["versions"]
    rows = waste["results"]
    sent = waste["stream_messages"] - waste["read_before_leaving"]
    most = max([sent] + [r["chunks_after"]["max"] for r in rows])
    title = "After the client left: messages sent to nobody, time still spent"
    canvas.text(MARGIN, 28, title, NOTE)
    y, alt, notes = 42.0, [], list[str]()
    for transport, name in (("http", "HTTP"), ("websocket", "WebSocket")):
        end = canvas.text(MARGIN, y + 40, name, HEADING)
        canvas.text(end + 16, y + 40, f"(uvicorn, {SERVERS[name]})", NOTE)
        y += 54
        for row in [r for r in rows if r["transport"] == transport]:
            label = wasted_row(canvas, y + 22, row, 470 / most, notes)
            pattern = PATTERNS[row["pattern"]]
            alt.append(f"{name}, {pattern} ({row['app']}): {label}")
            y += 44
    for number, note in enumerate(notes, 1):
        canvas.text(MARGIN, y + 10 + 27 * number, f"({number}) {note}", NOTE)
    footer = (
        f"median of {min(int(r['clients']) for r in rows)} clients, each "
        f"leaving after {waste['read_before_leaving']} of "
        f"{waste['stream_messages']} messages sent "
        f"{waste['delay'] * 1000:.0f} ms apart (the demos: 200 ms)"
    )
    y = wrapped(canvas, MARGIN, y + 40 + 27 * len(notes), footer, NOTE) + 27
    measured = (
        f"uvicorn {versions.get('uvicorn', '?')}, starlette "
        f"{versions.get('starlette', '?')} · measured "
        f"{data['measured']['date']} on 127.0.0.1 (make bench)"
    )
    canvas.text(MARGIN, y, measured, NOTE)
    return y + 12, "Wasted work after a client disconnects. " + ". ".join(alt)


def wasted_row(
    canvas: Canvas, middle: float, row: dict[str, Any], scale: float,
    notes: list[str],
) -> str:
    """One pattern's bar, value and footnote mark; the value said."""
    chunks, seconds = row["chunks_after"], row["seconds_after"]["median"]
    left = MARGIN + canvas.width_of(max(PATTERNS.values(), key=len), BODY) + 40
    canvas.text(MARGIN + 20, centred(middle), PATTERNS[row["pattern"]], BODY)
    median = chunks["median"]
    style = BAD if median >= 2 else FAIR if median >= 1 else GOOD
    bar(canvas, left, middle, chunks, scale, style, 22)
    ms = f"{seconds * 1000:.{1 if seconds < 0.0095 else 0}f} ms"
    label = f"{median:g} message" + "s" * (f"{median:g}" != "1") + f" · {ms}"
    x = left + max(scale * median, 3) + 14
    said = BODY if style is BAD else style
    end = canvas.text(x, centred(middle), label, said)
    if raised := [k for k in row["outcomes"] if k.startswith("raised ")]:
        name = raised[0].removeprefix("raised ")
        notes.append(
            f"the next send raises {name}, uncaught: the app ends in an error"
        )
        canvas.text(end + 10, centred(middle), f"({len(notes)})", FAIR)
    return label


def draw_fastapi(data: dict[str, Any], canvas: Canvas) -> tuple[float, str]:
    """Requests/s and latency, spec 2.3 (listener task) vs 2.4 (OSError)."""
    cost, versions = data["throughput"], data["versions"]
    rows = {r["variant"]: r for r in cost["results"]}
    scale = 430 / max(r["rps"]["max"] for r in rows.values())
    canvas.text(MARGIN, 28, "Many small streams: requests per second", NOTE)
    canvas.text(WIDTH - MARGIN, 28, "latency p50 · p99", NOTE, "end")
    y, alt = 42.0, []
    for framework, name in (("starlette", "Starlette"), ("fastapi", "FastAPI")):
        y += 46
        ratio = cost["ratios_2_4_over_2_3"][framework]
        version = f"{name} {versions.get(framework, '?')}"
        end = canvas.text(MARGIN, y, version, HEADING)
        said = f"spec 2.4: \u00d7{ratio['rps']:.2f} requests/s, "
        said += f"\u00d7{ratio['p99']:.2f} p99 latency"
        canvas.text(end + 24, y, said, GOOD if ratio["rps"] >= 1 else BAD)
        y += 14
        for spec, label in (("2.3", "listener task"), ("2.4", "OSError")):
            label = f"spec {spec}, {label}"
            row = rows[f"{framework}-{spec}"]
            said = fastapi_row(canvas, y + 22, label, row, scale)
            alt.append(f"{name}, {label}: {said}")
            y += 46
    load, stream = cost["load"], cost["stream"]
    per = (f"{load['seconds_per_run']} s" if "seconds_per_run" in load
           else f"{load['requests_per_run']} requests")
    for line in (
        f"{stream['chunks']} chunks of {stream['chunk_bytes']} bytes a "
        f"response · {load['tool']}, {load['connections']} connections, "
        f"{load['runs_per_variant']} runs \u00d7 {per} per variant",
        "bars: median, whiskers min\u2013max · ratios: 2.4 over 2.3 in the "
        "same round, median",
        "2.4 forced by a wrapper: scope['asgi']['spec_version'] = '2.4' · "
        f"uvicorn {versions.get('uvicorn', '?')} (httptools, uvloop)",
        f"measured {data['measured']['date']} on 127.0.0.1 (make bench)",
    ):
        y = wrapped(canvas, MARGIN, y + 20, line, NOTE) + 7
    what = "What Starlette's disconnect listener costs, spec 2.3 against 2.4. "
    return y + 5, what + ". ".join(alt)


def fastapi_row(
    canvas: Canvas, middle: float, label: str, row: dict[str, Any], scale: float
) -> str:
    """One variant's bar, requests/s and latency; what it says."""
    rps, p50, p99 = row["rps"], row["p50_ms"]["median"], row["p99_ms"]["median"]
    left = MARGIN + canvas.width_of("spec 2.3, listener task", BODY) + 30
    canvas.text(MARGIN + 20, centred(middle), label, BODY)
    style = GOOD if "2.4" in label else SLOW
    right = bar(canvas, left, middle, rps, scale, style, 24)
    for x in (left + scale * rps["min"], left + scale * rps["max"]):
        canvas.line(x, middle - 6, x, middle + 6, stroke=TEXT, width=2)
    value = f"{rps['median']:,.0f}/s"
    canvas.text(right + 12, centred(middle), value, BODY)
    latency = f"{p50:.1f} · {p99:.1f} ms"
    canvas.text(WIDTH - MARGIN, centred(middle), latency, BODY, "end")
    return f"{value} requests, latency p50 {p50:.1f} ms, p99 {p99:.1f} ms"
