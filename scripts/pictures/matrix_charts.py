"""The support matrix (assets/support_matrix.json) as Rich tables: all its
features down its columns (scripts/matrix/catalog.py), or the talk's three
topics across four servers; a partial, hung or silent cell footnoted."""
# ruff: noqa: RUF001 (typography: an en dash)

from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from scripts import style
from scripts.matrix import catalog

WORST = HANGS, NO, PARTIAL, YES, VALUE, NA = (  # worst first
    catalog.HANGS, catalog.NO, catalog.PARTIAL, catalog.YES, catalog.VALUE,
    catalog.NOT_APPLICABLE)
COLUMNS = catalog.COLUMNS
MUTED, HEAD, GOOD = style.TITLE, style.TOKENS["f"], style.TOKENS["s"]
FAIR, BAD = style.TOKENS["t"], style.TOKENS["p"]
LOOK = {YES: ("yes", style.TEXT), PARTIAL: ("partly", FAIR), NO: ("no", BAD),
        HANGS: ("hangs", BAD), NA: ("–", MUTED), VALUE: ("", style.TEXT)}
TOPICS = {"denial response": ("denial", "denial_streamed"),  # the talk's
          "trailers": ("trailers_http1", "trailers_http2"),
          "OSError on send": ("oserror_http", "oserror_websocket")}
MERGED = ("uvicorn HTTP/1.1 and the PR #3085 prototype: h11 and httptools "
          "alike; HTTP/2: zttp; WebSocket: websockets-sansio (default), "
          "wsproto and websockets (legacy) alike")
Cells = list[tuple[str, dict[str, Any]]]  # a column's: (target, cell)


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


def table(data: dict[str, Any]) -> tuple[
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


def full(data: dict[str, Any]) -> tuple[Group, list[int], int]:
    """The table, features down; the rows to band; its columns."""
    versions, label = data["versions"], max(len(f["label"])
                                            for f in data["features"])
    grid = Table(box=None, padding=(0, 0, 0, 1), pad_edge=False,
                 header_style=HEAD)
    grid.add_column("", width=label)
    heading, groups = Text(" " * label, HEAD), [c.package for c in COLUMNS]
    for column in COLUMNS:
        grid.add_column(column.detail or versions.get(column.package, "?"),
                        justify="center", width=9)
    for package in dict.fromkeys(groups):
        many = groups.count(package)
        name = f"{package} {versions.get(package, '?')}" * (many > 1)
        heading.append(" " + (name or package).center(10 * many - 1))
    rows, notes = table(data)
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


def simple(data: dict[str, Any]) -> tuple[Group, list[int], int]:
    """Three topics across the four servers, one word a cell (yes or no if
    all cells of its features say so, hangs if any, else partial), with
    the full table's footnotes less the row's topic; 72 columns wide."""
    stock = [s for s in data["servers"] if "-3085-" not in s["id"]]
    names = list(dict.fromkeys(s["package"] for s in stock))
    marked: dict[tuple[str, str], list[str]] = {}  # (topic, server) -> notes
    for (index, note), features in table(data)[1].items():
        name = COLUMNS[index].package
        for topic, ids in TOPICS.items():
            about = named(features, data).removeprefix(f"{topic}, ")
            if set(features) & set(ids) and "#" not in COLUMNS[index].detail:
                marked.setdefault((topic, name), []).append(
                    f"{name}: {note}" if tuple(features) == ids
                    else f"{name}, {about}: {note}")
    grid = Table(box=None, padding=(0, 0, 0, 3), pad_edge=False,
                 header_style=HEAD)
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
