"""The measured charts, in Rich: the support matrix in full or the talk's
three topics, a partial, hung or silent cell footnoted; the disconnect
benchmark's wasted work, and what every stream costs when none leaves."""
# ruff: noqa: RUF001 (typography: times and en dash)

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from scripts import style
from scripts.figures import FRAMEWORKS, PATTERNS, after, load_of, ratios, specs
from scripts.matrix import catalog
from scripts.matrix.catalog import COLUMNS, HANGS, NO, PARTIAL, VALUE, YES

Chart = tuple[Group, list[int], int]  # its drawing, rows to band, columns
MUTED, HEAD = style.TITLE, style.TOKENS["f"]
GOOD, FAIR, BAD, SLOW = (style.TOKENS[k] for k in "stpn")
NA = catalog.NOT_APPLICABLE
WORST = (HANGS, NO, PARTIAL, YES, VALUE, NA)  # worst first
LOOK = {YES: ("yes", style.TEXT), PARTIAL: ("partly", FAIR), NO: ("no", BAD),
        HANGS: ("hangs", BAD), NA: ("–", MUTED), VALUE: ("", style.TEXT)}
TOPICS = {"denial response": ("denial", "denial_streamed"),  # the talk's
          "trailers": ("trailers_http1", "trailers_http2"),
          "OSError on send": ("oserror_http", "oserror_websocket")}
MERGED = ("uvicorn HTTP/1.1 and the PR #3085 prototype: h11 and httptools "
          "alike; HTTP/2: zttp; WebSocket: websockets-sansio (default), "
          "wsproto and websockets (legacy) alike")
Cells = list[tuple[str, dict[str, Any]]]  # a column's: (target, cell)


def plain(padding: int) -> Table:
    """A table without lines, ``padding`` cells left of each column."""
    return Table(box=None, padding=(0, 0, 0, padding), pad_edge=False,
                 header_style=HEAD)


def footnoted(cell: dict[str, Any]) -> bool:
    """Partial, hangs, or a no where the client got no reply at all."""
    reply = (cell.get("observed") or {}).get("reply")
    silent = reply is not None and reply.get("status") is None
    return cell["result"] in (PARTIAL, HANGS) or (cell["result"], silent) == (
        NO, True)


def show(feature: str, cells: Cells) -> tuple[str, str, str]:
    """A column's cells merged: its kind, its text, and its footnote."""
    results = {cell["result"] for _, cell in cells}
    if results == {VALUE}:
        return VALUE, "/".join(sorted({str(c["value"]) for _, c in cells})), ""
    worst = min(results, key=WORST.index, default=NA)
    if len(results) > 1:
        return worst, "", ", ".join(
            f"{t.removeprefix('uvicorn-')} {c['result']}" for t, c in cells)
    text = LOOK[worst][0]
    if worst == YES and cells[0][1].get("status") == 403:
        text = "403"
    elif worst == YES and feature.startswith("oserror"):
        text = f"{max(c.get('seconds') or 0 for _, c in cells) * 1000:.0f} ms"
    notes = dict.fromkeys(c["note"] for _, c in cells
                          if footnoted(c) and c.get("note"))
    return worst, text, "; ".join(notes)


def cell(kind: str, text: str, marks: str) -> Text:
    good = kind == VALUE and catalog.spec_at_least(text, "2.4")
    return Text.assemble((text or LOOK[kind][0], GOOD if good else
                          LOOK[kind][1]), (marks.translate(str.maketrans(
                              "0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")), FAIR))


def footer(notes: list[str], more: str, last: str) -> Group:
    """The notes, numbered, then ``more``, each wrapped; then ``last``."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(style=FAIR)
    grid.add_column(style=MUTED)
    for number, note in [*enumerate(notes, 1), *[("", more)] * bool(more)]:
        grid.add_row(str(number), note)
    return Group(grid, "", Text(last, MUTED))


def tabulate(data: dict[str, Any]) -> tuple[
        list[list[tuple[str, str, str]]], dict[tuple[int, str], list[str]]]:
    """Each feature's row, each column's (kind, text, footnote); and each
    (column, footnote)'s features, in reading order."""
    servers = {s["id"]: s.get("cells", {}) for s in data["servers"]}
    rows, notes = [], dict[tuple[int, str], list[str]]()
    for feature in [f["id"] for f in data["features"]]:
        rows.append([show(feature, [(t, c) for t in column.targets if (
            c := servers.get(t, {}).get(feature)) is not None])
            for column in COLUMNS])
        for index, (_, _, note) in enumerate(rows[-1]):
            if note:
                notes.setdefault((index, note), []).append(feature)
    return rows, notes


def named(features: list[str], data: dict[str, Any]) -> str:
    """What a footnote is about: its features' topic, if all of them."""
    labels = {f["id"]: f["label"] for f in data["features"]}
    return next((t for t, ids in TOPICS.items() if tuple(features) == ids),
                " and ".join(labels[f] for f in features))


def full(data: dict[str, Any]) -> Chart:
    """The table, features down; the rows to band; its columns."""
    versions, label = data["versions"], max(len(f["label"])
                                            for f in data["features"])
    grid = plain(1)
    grid.add_column("", width=label)
    heading, groups = Text(" " * label, HEAD), [c.package for c in COLUMNS]
    for column in COLUMNS:
        grid.add_column(column.detail or versions.get(column.package, "?"),
                        justify="center", width=9)
    for package in dict.fromkeys(groups):
        many = groups.count(package)
        name = f"{package} {versions.get(package, '?')}" * (many > 1)
        heading.append(" " + (name or package).center(10 * many - 1))
    rows, notes = tabulate(data)
    numbers = {key: str(n) for n, key in enumerate(notes, 1)}
    for feature, row in zip(data["features"], rows, strict=True):
        grid.add_row(feature["label"], *(
            cell(kind, text, numbers.get((index, note), ""))
            for index, (kind, text, note) in enumerate(row)))
    said = [f"{'uvicorn ' * (COLUMNS[i].package == 'uvicorn')}"
            f"{COLUMNS[i].detail or COLUMNS[i].package}, "
            f"{named(features, data)}: {note}"
            for (i, note), features in notes.items()]
    probed = f"probed {data['probed']['date']} on 127.0.0.1"
    width = label + 10 * len(COLUMNS)
    last = "– not applicable".ljust(width - len(probed)) + probed
    bands = [2 + row for row in range(0, len(data["features"]), 2)]
    return Group(heading, grid, "", footer(said, MERGED, last)), bands, width


def simple(data: dict[str, Any]) -> Chart:
    """Three topics across the four servers, a word a cell (hangs if any
    cell, else partial unless all agree), the footnotes less the topic."""
    stock = [s for s in data["servers"] if "-3085-" not in s["id"]]
    names = list(dict.fromkeys(s["package"] for s in stock))
    marked: dict[tuple[str, str], list[str]] = {}  # (topic, server) -> notes
    for (index, note), features in tabulate(data)[1].items():
        name = COLUMNS[index].package
        for topic, ids in TOPICS.items():
            about = named(features, data).removeprefix(f"{topic}, ")
            if set(features) & set(ids) and "#" not in COLUMNS[index].detail:
                marked.setdefault((topic, name), []).append(
                    f"{name}: {note}" if tuple(features) == ids
                    else f"{name}, {about}: {note}")
    grid = plain(3)
    grid.add_column("")
    for name in names:
        grid.add_column(f"{name}\n{data['versions'].get(name, '?')}",
                        justify="center")
    shown: list[str] = []  # the notes, in the order they are marked
    for topic, ids in TOPICS.items():
        row = []
        for name in names:
            seen = {c["result"] for s in stock for f, c in s["cells"].items()
                    if s["package"] == name and f in ids} - {NA}
            kind = (HANGS if HANGS in seen else PARTIAL if len(seen) > 1
                    else next(iter(seen), NA))
            mine = marked.get((topic, name), [])
            shown += [note for note in mine if note not in shown]
            row.append(cell(kind, "partial" * (kind == PARTIAL), ",".join(
                str(shown.index(note) + 1) for note in mine)))
        grid.add_row(topic, *row)
        grid.add_row()  # room between the rows
    probed = (f"probed {data['probed']['date']} on 127.0.0.1 · every detail: "
              "the full matrix")
    return Group(grid, footer(shown, "", probed)), [2, 6], 72


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
    most, (old, new) = max(r["chunks_after"]["median"] for r in rows), specs(
        data["throughput"])
    table = plain(2)
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


def costs(data: dict[str, Any]) -> Chart:
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
