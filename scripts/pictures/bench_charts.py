"""The disconnect benchmark's charts (assets/bench_disconnect.json; its
figures: scripts/figures.py), Rich text with bars: the work an app still
does once its client left, and what every stream costs when none leaves."""
# ruff: noqa: RUF001 (typography: times and en dash)

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from scripts import style
from scripts.figures import FRAMEWORKS, PATTERNS, after, load_of, ratios, specs

MUTED, HEAD = style.TITLE, style.TOKENS["f"]
GOOD, FAIR, BAD, SLOW = (style.TOKENS[k] for k in "stpn")


def bar(value: float, most: float, cells: int, colour: str) -> Text:
    """A bar of ``value`` out of ``most`` in ``cells``; a hairline if 0."""
    if value <= 0:
        return Text("▏", colour)
    return Text(" " * max(1, round(cells * value / most)), f"on {colour}")


def wasted(data: dict[str, Any]) -> tuple[Group, list[int], int]:
    """Per pattern, on stock uvicorn and the prototype: the messages an HTTP
    app sends, and the time it runs, once its client left mid-stream (not
    WebSocket: that uvicorn raises there is a later slide's reveal)."""
    waste, versions = data["wasted_work"], data["versions"]
    rows = [r for r in waste["results"] if r["transport"] == "http"]
    most, (old, new) = max(r["chunks_after"]["median"] for r in rows), specs(
        data["throughput"])
    table = Table(box=None, padding=(0, 0, 0, 2), pad_edge=False,
                  header_style=HEAD)
    table.add_column("")
    table.add_column(f"uvicorn {versions.get('uvicorn', '?')} · spec {old}")
    table.add_column(f"prototype of #3085 · spec {new}")
    notes: list[str] = []
    for pattern, label in PATTERNS.items():
        cells = []
        for row in [r for r in rows if r["pattern"] == pattern]:
            median = row["chunks_after"]["median"]
            colour = BAD if median >= 2 else FAIR if median >= 1 else GOOD
            cells.append(Text.assemble(bar(median, most, 10, colour), " ",
                                       after(row, sep=" · ")))
            if raised := [k for k in row["outcomes"] if k.startswith("raised")]:
                note = f"the app ends in {raised[0][7:]}: the next send raised"
                notes += [note] * (note not in notes)
                cells[-1].append(f" ({notes.index(note) + 1})", FAIR)
        table.add_row(label, *cells)
        table.add_row()  # room between the bars
    return Group(
        "A client leaves mid-stream: what its HTTP app still does", Text(
            f"{min(int(r['clients']) for r in rows)} clients per pattern, "
            f"each reads {waste['read_before_leaving']} of "
            f"{waste['stream_messages']} messages sent "
            f"{waste['delay'] * 1000:.0f} ms apart, then leaves", MUTED),
        "", table,
        *(Text(f"({n}) {note}", MUTED) for n, note in enumerate(notes, 1)),
        f"At spec {new}, OSError stops an app at its next send; a listener "
        f"task, at once.\nFastAPI stops a message later at {new}; its gain: "
        "one task fewer on every stream.", Text(
            "bars: messages after the client left (the median client's), "
            "then the time taken\n(the demos: 200 ms) · starlette "
            f"{versions.get('starlette', '?')} · measured "
            f"{data['measured']['date']} on 127.0.0.1 (make bench)", MUTED),
    ), [], 94


def costs(data: dict[str, Any]) -> tuple[Group, list[int], int]:
    """Requests/s and latency, no client leaving, stock uvicorn (a listener
    task) against the prototype (OSError); their ratios paired by round."""
    cost, versions = data["throughput"], data["versions"]
    rows = {r["variant"]: r for r in cost["results"]}
    most, (old, new) = max(load_of(r).rps for r in rows.values()), specs(cost)
    parts: list[Table | Text | str] = []
    for framework, name in FRAMEWORKS.items():
        ratio = ratios(cost)[framework]
        parts += ["", Text.assemble(
            (f"{name} {versions.get(framework, '?')}  ", HEAD),
            (f"×{ratio.rps} requests/s", f"bold {GOOD}"),
            (f"  rounds {ratio.low}–{ratio.high}  ", MUTED),
            (f"p99 {ratio.p99}", f"bold {GOOD}"))]
        table = Table.grid(padding=(0, 2, 0, 0))
        for width in (28, 33, -24):  # right-aligned if negative
            table.add_column(width=abs(width),
                             justify="right" if width < 0 else "left")
        for spec, label, colour in ((old, "stock uvicorn", SLOW),
                                    (new, "prototype #3085", GOOD)):
            load = load_of(rows[f"{framework}-{spec}"])
            table.add_row(f"  spec {spec} · {label}", Text.assemble(
                bar(load.rps, most, 24, colour), f" {load.rps:,}/s"),
                f"p50 {load.p50} ms · p99 {load.p99} ms")
        parts.append(table)
    load, stream = cost["load"], cost["stream"]
    rounds = (f"{load['seconds_per_run']} s" if "seconds_per_run" in load
              else f"{load['requests_per_run']} requests")  # no wrk: asyncio
    return Group(
        "No client leaves: what every streaming response costs", Text(
            "The only difference: Starlette's listener task, 2 tasks per "
            f"response at spec {old}, 1 at {new}", MUTED), *parts, "", Text(
            f"{stream['chunks']} chunks of {stream['chunk_bytes']} bytes a "
            f"response · {load['tool'].split(' (')[0]}, "
            f"{load['connections']} connections, {load['runs_per_variant']} "
            f"rounds of {rounds}\nratios: each round's spec {new} run over "
            f"the same round's spec {old} run, median\nbars: the median "
            f"round · measured {data['measured']['date']} on 127.0.0.1 "
            "(make bench)", MUTED)), [], 92
