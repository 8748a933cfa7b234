"""The measured charts, in Rich: the support matrix in full or the talk's
three topics, a partial, hung or silent cell footnoted; the disconnect
benchmark's wasted work, and what every stream costs when none leaves."""
# ruff: noqa: RUF001 (typography: times and en dash)

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from scripts import figures, style
from scripts.matrix import catalog
from scripts.matrix.catalog import COLUMNS, HANGS, NO, PARTIAL, VALUE, YES

Chart = tuple[Group, list[int], int]  # its drawing, rows to band, columns
MUTED, HEAD = style.TITLE, style.TOKENS["f"]
GOOD, FAIR, BAD, SLOW = (style.TOKENS[k] for k in "stpn")
NA = catalog.NOT_APPLICABLE
LOOK = {YES: ("yes", style.TEXT), PARTIAL: ("partly", FAIR), NO: ("no", BAD),
        HANGS: ("hangs", BAD), NA: ("–", MUTED), VALUE: ("", style.TEXT)}
TOPICS = {"denial response": ("denial", "denial_streamed"),  # the talk's
          "trailers": ("trailers_http1", "trailers_http2"),
          "OSError on send": ("oserror_http", "oserror_websocket")}
MERGED = ("uvicorn HTTP/1.1 and the PR #3085 prototype: h11 and httptools "
          "alike; HTTP/2: zttp; WebSocket: websockets-sansio (default), "
          "wsproto and websockets (legacy) alike")
Cells = list[tuple[str, dict[str, Any]]]  # (feature, cell)
Notes = dict[tuple[str, str], dict[str, None]]  # (column, note): features
Features = dict[str, tuple[str, ...]]  # a label's features, a column's targets
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def plain(padding: int, *headers: str) -> Table:
    """A table headed ``headers``, no lines, ``padding`` cells left of each."""
    return Table(*headers, box=None, padding=(0, 0, 0, padding),
                 pad_edge=False, header_style=HEAD)


def tabulate(grid: Table, data: dict[str, Any], rows: Features,
             columns: Features, text: Callable[[str, Cells], str]) -> Notes:
    """Into ``grid``, ``rows`` (label: features) by ``columns`` (name:
    targets), in the words ``text`` gives (else LOOK's), each marked with
    its footnotes' numbers; those footnotes, with their features, as met."""
    servers = {s["id"]: s.get("cells", {}) for s in data["servers"]}
    notes: Notes = {}
    for label, ids in rows.items():
        drawn = []
        for name, targets in columns.items():
            found = [(f, c) for t in targets for f in ids
                     if (c := servers.get(t, {}).get(f)) is not None]
            results = {c["result"] for _, c in found} - {NA}
            marks: dict[str, None] = {}
            for feature, cell in found:
                reply = (cell.get("observed") or {}).get("reply")
                silent = reply is not None and reply.get("status") is None
                flagged = (PARTIAL, HANGS, NO) if silent else (PARTIAL, HANGS)
                if cell.get("note") and cell["result"] in flagged:
                    key = (name, cell["note"])
                    notes.setdefault(key, {})[feature] = None
                    marks[str([*notes].index(key) + 1)] = None
            kind = (HANGS if HANGS in results else PARTIAL if len(results) > 1
                    else next(iter(results), NA))
            words = text(kind, found)
            good = kind == VALUE and catalog.spec_at_least(words, "2.4")
            drawn.append(Text.assemble(
                (words or LOOK[kind][0], GOOD if good else LOOK[kind][1]),
                (",".join(marks).translate(SUPERSCRIPT), FAIR)))
        grid.add_row(label, *drawn)
    return notes


def footer(notes: list[str], more: str, last: str) -> Group:
    """The notes, numbered, then ``more``, each wrapped; then ``last``."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style=FAIR)
    grid.add_column(style=MUTED)
    for number, note in [*enumerate(notes, 1), *[("", more)] * bool(more)]:
        grid.add_row(str(number), note)
    return Group(grid, "", Text(last, MUTED))


def named(features: Iterable[str], labels: dict[str, str]) -> str:
    """What a footnote is about: its features' topic, if all of them."""
    return next((t for t, ids in TOPICS.items() if tuple(features) == ids),
                " and ".join(labels[f] for f in features))


def said(kind: str, cells: Cells) -> str:
    """A cell's text in the full table: a value, 403, a time, or none."""
    if kind == VALUE:
        return "/".join(sorted({str(c["value"]) for _, c in cells}))
    if kind == YES and cells[0][1].get("status") == 403:
        return "403"
    if kind == YES and cells[0][0].startswith("oserror"):
        return f"{max(c.get('seconds') or 0 for _, c in cells) * 1000:.0f} ms"
    return ""


def full(data: dict[str, Any]) -> Chart:
    """The table, features down; the rows to band; its columns."""
    labels = {f["id"]: f["label"] for f in data["features"]}
    versions, width = data["versions"], max(map(len, labels.values()))
    grid = plain(1)
    grid.add_column("", width=width)
    for column in COLUMNS:
        grid.add_column(column.detail or versions.get(column.package, "?"),
                        justify="center", width=9)
    heading = Text(" " * width, HEAD)
    for package, many in Counter(c.package for c in COLUMNS).items():
        name = f"{package} {versions.get(package, '?')}" * (many > 1)
        heading.append(" " + (name or package).center(10 * many - 1))
    columns = {f"{'uvicorn ' * (c.package == 'uvicorn')}"
               f"{c.detail or c.package}": c.targets for c in COLUMNS}
    notes = tabulate(grid, data, {label: (f,) for f, label in labels.items()},
                     columns, said)
    probed = f"probed {data['probed']['date']} on 127.0.0.1"
    wide = width + 10 * len(COLUMNS)
    last = "– not applicable".ljust(wide - len(probed)) + probed
    return Group(heading, grid, "", footer([
        f"{column}, {named(features, labels)}: {note}"
        for (column, note), features in notes.items()], MERGED, last)), [
            2 + row for row in range(0, len(labels), 2)], wide


def simple(data: dict[str, Any]) -> Chart:
    """The talk's three topics across the four servers, a word a cell."""
    stock = [s for s in data["servers"] if "-3085-" not in s["id"]]
    columns = {s["package"]: tuple(t["id"] for t in stock if t["package"]
                                   == s["package"]) for s in stock}
    short = {f["id"]: f["label"].removeprefix(f"{topic}, ") for f in data[
        "features"] for topic, ids in TOPICS.items() if f["id"] in ids}
    grid = plain(3, "")
    for name in columns:
        grid.add_column(f"{name}\n{data['versions'].get(name, '?')}",
                        justify="center")
    notes = tabulate(grid, data, {f"{t}\n": ids for t, ids in TOPICS.items()},
                     columns, lambda kind, _: "partial" * (kind == PARTIAL))
    probed = (f"probed {data['probed']['date']} on 127.0.0.1 · every detail: "
              "the full matrix")
    return Group(grid, footer([
        f"{name}: {note}" if tuple(features) in TOPICS.values()
        else f"{name}, {named(features, short)}: {note}"
        for (name, note), features in notes.items()], "", probed)), [2, 6], 72


def bar(value: float, most: float, cells: int, colour: str) -> Text:
    """A bar of ``value`` out of ``most`` in ``cells``; a hairline if 0."""
    if value <= 0:
        return Text("▏", colour)
    return Text(" " * max(1, round(cells * value / most)), f"on {colour}")


def wasted(data: dict[str, Any]) -> Chart:
    """Per pattern, on stock uvicorn and the prototype: what an HTTP app
    sends and runs once its client left (WebSocket: a later slide's)."""
    waste, versions = data["wasted_work"], data["versions"]
    rows = [r for r in waste["results"] if r["transport"] == "http"]
    most = max(r["chunks_after"]["median"] for r in rows)
    old, new = figures.specs(data["throughput"])
    table = plain(2, "", f"uvicorn {versions.get('uvicorn', '?')} · spec "
                  f"{old}", f"prototype of #3085 · spec {new}")
    notes: list[str] = []
    for pattern, label in figures.PATTERNS.items():
        cells = []
        for row in [r for r in rows if r["pattern"] == pattern]:
            median = row["chunks_after"]["median"]
            colour = BAD if median >= 2 else FAIR if median >= 1 else GOOD
            cells.append(Text.assemble(bar(median, most, 10, colour), " ",
                                       figures.after(row, sep=" · ")))
            if exception := figures.raised(row):
                note = f"the app ends in {exception}: the next send raised"
                notes += [note] * (note not in notes)
                cells[-1].append(f" ({notes.index(note) + 1})", FAIR)
        table.add_row(f"{label}\n", *cells)  # a row, then a blank line
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


def costs(data: dict[str, Any]) -> Chart:
    """Requests/s and latency, no client leaving, stock uvicorn (a listener
    task) against the prototype (OSError); their ratios paired by round."""
    cost, versions = data["throughput"], data["versions"]
    loads = {r["variant"]: figures.load_of(r) for r in cost["results"]}
    most = max(load.rps for load in loads.values())
    (old, new), by_framework = figures.specs(cost), figures.ratios(cost)
    parts: list[Table | Text | str] = []
    for framework, name in figures.FRAMEWORKS.items():
        ratio = by_framework[framework]
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
            load = loads[f"{framework}-{spec}"]
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
