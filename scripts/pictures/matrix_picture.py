"""The measured pictures' look (1160 px wide, text 20 px, the code images'
palette on black), and the support matrix: features down, servers across.
The talk's simplified matrix is drawn by matrix_simple.py, in this look."""

from dataclasses import dataclass
from typing import Any, NamedTuple

from scripts import style
from scripts.matrix import catalog
from scripts.pictures import svg, theme
from scripts.pictures.svg import Canvas, Style

WIDTH, MAX_HEIGHT = 1160, 560  # px: the slide's content box, under a title
MARGIN, FONT = 20, 20  # every text is 20 px, the smallest allowed
LIMITS = svg.Limits(  # no text closer than 8 px to the picture's edge
    min_font_px=FONT, min_contrast=7, max_width_px=WIDTH,
    max_height_px=MAX_HEIGHT, max_kilobytes=60, edge=8,
)
BACKGROUND, RULE, BAND = "#000000", style.FRAME, style.WINDOW
TEXT, MUTED, BLUE = style.TEXT, style.TITLE, style.TOKENS["f"]
GREEN, YELLOW, RED = style.TOKENS["s"], style.TOKENS["t"], style.TOKENS["p"]
TEXT_COLOURS = (TEXT, MUTED, BLUE, GREEN, YELLOW, RED, style.TOKENS["n"])
BODY, NOTE, HEADING, GOOD, FAIR, BAD, SLOW = (
    Style(FONT, colour, BACKGROUND) for colour in TEXT_COLOURS
)
FOOTNOTE = Style(FONT, MUTED, BACKGROUND, leading=1.3)
HEADLINE = Style(30, GREEN, BACKGROUND, bold=True)  # a chart's finding
ICON, GAP = 20, 8  # px: an icon's width, and the gap to its text
ROUND = {"fill": "none", "stroke_linecap": "round", "stroke_linejoin": "round"}
BREAKS = ("spec_websocket", "denial_streamed", "trailers_http2")  # rule after
HANGS, NO, PARTIAL, YES, VALUE, NOT_APPLICABLE = WORST = (  # worst first
    catalog.HANGS, catalog.NO, catalog.PARTIAL, catalog.YES, catalog.VALUE,
    catalog.NOT_APPLICABLE,
)
MERGED = (
    "uvicorn HTTP/1.1 and the PR #3085 prototype: h11 and httptools alike; "
    "HTTP/2: zttp; WebSocket: websockets-sansio (default), wsproto and "
    "websockets (legacy) alike"
)


def centred(middle: float) -> float:
    """The baseline of a line of text centred on ``middle``."""
    return middle + theme.INK_MIDDLE * FONT


def wrapped(
    canvas: Canvas, x: float, y: float, text: str, style: Style
) -> float:
    """``text`` wrapped to the margin from baseline ``y``; the last one."""
    columns = canvas.columns(WIDTH - MARGIN - x, style)
    for line in svg.wrap(text, columns, style):
        canvas.text(x, y, line, style)
        y += style.pitch
    return y - style.pitch


def icon(canvas: Canvas, kind: str, x: float, middle: float) -> None:
    """A 20 px mark with its left edge at ``x``: check, cross, half."""
    n, top = svg.n, middle - 10
    if kind == YES:
        d = f"M{n(x + 2)} {n(top + 10.5)}l5 5L{n(x + 18)} {n(top + 4)}"
        canvas.shape("path", d=d, stroke=GOOD.colour, stroke_width=3, **ROUND)
    elif kind in (NO, HANGS):
        d = f"M{n(x + 4)} {n(top + 4)}l12 12M{n(x + 16)} {n(top + 4)}l-12 12"
        canvas.shape("path", d=d, stroke=BAD.colour, stroke_width=3, **ROUND)
    else:
        ring = {"cx": x + 10, "cy": middle, "r": 8, "stroke_width": 2.5}
        canvas.shape("circle", **ring, fill="none", stroke=FAIR.colour)
        d = f"M{n(x + 10)} {n(middle - 8)}A8 8 0 0 0 {n(x + 10)} "
        canvas.shape("path", d=d + f"{n(middle + 8)}Z", fill=FAIR.colour)


class Column(NamedTuple):  # one or more targets of the JSON
    group: str  # the package, shown over its columns
    detail: str  # under it: implementations, or the version
    targets: tuple[str, ...]


class Shown(NamedTuple):  # what a cell shows, and the footnote it needs
    kind: str
    text: str = ""
    note: str = ""


def footnoted(cell: dict[str, Any]) -> bool:
    """Whether a cell's mark needs its note: partial, hangs, or a no where
    the client got no reply at all (daphne's denial: a reset, no status)."""
    reply = (cell.get("observed") or {}).get("reply")
    silent = reply is not None and reply.get("status") is None
    return cell["result"] in (PARTIAL, HANGS) or (cell["result"] == NO
                                                  and silent)


def show_cell(feature: str, cells: dict[str, dict[str, Any] | None]) -> Shown:
    """Merge the cells of a column's targets into what the table shows."""
    present = {k: v for k, v in cells.items() if v is not None}
    results = {v["result"] for v in present.values()}
    if results == {VALUE}:
        values = sorted({str(v.get("value")) for v in present.values()})
        return Shown(VALUE, "/".join(values))
    worst = min(results, key=WORST.index, default=NOT_APPLICABLE)
    if len(results) > 1:
        said = [f"{k.removeprefix('uvicorn-')} {v['result']}"
                for k, v in present.items()]
        return Shown(worst, "", ", ".join(said))
    text = {HANGS: "hangs", NOT_APPLICABLE: "\u2013"}.get(worst, "")
    if worst == YES and next(iter(present.values())).get("status") == 403:
        text = "403"
    elif worst == YES and feature.startswith("oserror"):
        seconds = [v.get("seconds") or 0.0 for v in present.values()]
        text = f"{max(seconds) * 1000:.0f} ms"
    notes = dict.fromkeys(v.get("note", "") for v in present.values()
                          if footnoted(v))
    return Shown(worst, text, "; ".join(n for n in notes if n))


@dataclass
class Table:
    """The matrix: its columns, what each cell shows, and the footnotes."""

    data: dict[str, Any]
    columns: list[Column]
    rows: list[list[Shown]]
    numbers: dict[tuple[int, str], int]  # (column, note) -> footnote
    noted: dict[int, list[str]]  # footnote -> the features (ids) it is about

    @classmethod
    def of(cls, data: dict[str, Any]) -> "Table":
        """Each cell first, so that footnotes number in reading order."""
        servers = {s["id"]: s.get("cells", {}) for s in data["servers"]}
        ws = ("websockets-sansio", "wsproto", "websockets")
        columns = [
            Column("uvicorn", "HTTP/1.1", ("uvicorn-h11", "uvicorn-httptools")),
            Column("uvicorn", "HTTP/2", ("uvicorn-zttp-h2",)),
            Column("uvicorn", "WebSocket", tuple(f"uvicorn-{s}" for s in ws)),
            Column("uvicorn", "PR #3085", ("uvicorn-3085-h11",
                                            "uvicorn-3085-httptools")),
        ]
        for s in ("hypercorn", "granian", "daphne"):
            columns.append(Column(s, data["versions"].get(s, "?"), (s,)))
        table = cls(data, columns, [], {}, {})
        for feature in data["features"]:
            table.rows.append([])
            for index, column in enumerate(table.columns):
                found = {t: servers.get(t, {}) for t in column.targets}
                cells = {t: c.get(feature["id"]) for t, c in found.items()}
                cell = show_cell(feature["id"], cells)
                table.rows[-1].append(cell)
                if cell.note:
                    new = len(table.numbers) + 1
                    number = table.numbers.setdefault((index, cell.note), new)
                    table.noted.setdefault(number, []).append(feature["id"])
        return table

    def alt(self) -> str:
        said = []
        for feature, row in zip(self.data["features"], self.rows, strict=True):
            cells = zip(self.columns, row, strict=True)
            what = [f"{c.group} {c.detail}: {s.kind} {s.text}".strip()
                    for c, s in cells]
            said.append(f"{feature['label']}: " + "; ".join(what))
        intro = "ASGI feature support measured on real servers. "
        return intro + ". ".join(said)


def draw_matrix(data: dict[str, Any], canvas: Canvas) -> tuple[float, str]:
    """The table: features down, servers across; returns height and alt."""
    table = Table.of(data)
    label = max(canvas.width_of(f["label"], BODY) for f in data["features"])
    left = MARGIN + label + 24
    pitch = (WIDTH - MARGIN - left) / len(table.columns)
    groups: dict[str, list[int]] = {}
    for index, column in enumerate(table.columns):
        groups.setdefault(column.group, []).append(index)
        centre = left + pitch * (index + 0.5)
        canvas.text(centre, 52, column.detail, NOTE, "middle")
    for group, (first, *more) in groups.items():
        last = more[-1] if more else first
        if more:
            group += f" {data['versions'].get(group, '?')}"
            x1, x2 = left + pitch * first + 10, left + pitch * (last + 1) - 10
            canvas.line(x1, 33, x2, 33, stroke=RULE)
        middle = left + pitch * (first + last + 1) / 2
        canvas.text(middle, 26, group, HEADING, "middle")
    y, height = 64.0, 31  # one banded row per feature
    rows = zip(table.data["features"], table.rows, strict=True)
    for row, (feature, cells) in enumerate(rows):
        if row % 2 == 0:
            band = {"width": WIDTH - 2 * MARGIN, "height": height}
            canvas.shape("rect", x=MARGIN, y=y, **band, fill=BAND)
        middle = y + height / 2
        canvas.text(MARGIN + 12, centred(middle), feature["label"], BODY)
        for index, cell in enumerate(cells):
            marker = str(table.numbers.get((index, cell.note), ""))
            centre = left + pitch * (index + 0.5)
            draw_cell(canvas, cell, marker, centre, middle)
        y += height
        if feature["id"] in BREAKS:
            canvas.line(MARGIN, y, WIDTH - MARGIN, y, stroke=RULE, width=2)
    y += 4
    for (index, note), number in table.numbers.items():
        group, detail, _ = table.columns[index]
        where = f"uvicorn {detail}" if group == "uvicorn" else group
        canvas.text(MARGIN + 12, y + 26, str(number), FAIR)
        said = f"{where}, {named(table.noted[number], data)}: {note}"
        y = wrapped(canvas, MARGIN + 42, y + 26, said, FOOTNOTE)
    y = wrapped(canvas, MARGIN + 42, y + 26, MERGED, FOOTNOTE) + 34
    x: float = MARGIN + 12
    for kind, word in ((YES, "works"), (PARTIAL, "partly"), (NO, "no")):
        icon(canvas, kind, x, y - 7)
        x = canvas.text(x + ICON + GAP, y, word, NOTE) + 28
    x = canvas.text(x, y, "\u2013", NOTE)
    canvas.text(x + GAP, y, "not applicable", NOTE)
    probed = f"probed {data['probed']['date']} on 127.0.0.1"
    canvas.text(WIDTH - MARGIN, y, probed, NOTE, "end")
    return y + 14, table.alt()


def draw_cell(
    canvas: Canvas, cell: Shown, marker: str, centre: float, middle: float
) -> None:
    baseline = centred(middle)
    if cell.kind in (VALUE, NOT_APPLICABLE):
        style = NOTE if cell.kind == NOT_APPLICABLE else BODY
        if catalog.spec_at_least(cell.text, "2.4"):
            style = GOOD
        canvas.text(centre, baseline, cell.text, style, "middle")
        return
    style = {YES: BODY, PARTIAL: FAIR, NO: BAD, HANGS: BAD}[cell.kind]
    width = ICON + (GAP + canvas.width_of(cell.text, style)) * bool(cell.text)
    width += (2 + canvas.width_of(marker, FAIR)) * bool(marker)
    x = centre - width / 2 + ICON
    icon(canvas, cell.kind, x - ICON, middle)
    if cell.text:
        x = canvas.text(x + GAP, baseline, cell.text, style)
    if marker:
        canvas.text(x + 2, baseline - 6, marker, FAIR)


TOPICS = {  # the simple matrix's rows: a topic, and its features
    "denial response": ("denial", "denial_streamed"),
    "trailers": ("trailers_http1", "trailers_http2"),
    "OSError on send": ("oserror_http", "oserror_websocket"),
}


def named(ids: list[str], data: dict[str, Any]) -> str:
    """The features a footnote is about: a topic, if it covers all of the
    topic's features (daphne's two denial rows), else their labels."""
    topic = next((t for t, found in TOPICS.items() if tuple(ids) == found), "")
    labels = {f["id"]: f["label"] for f in data["features"]}
    return topic or " and ".join(labels[i] for i in ids)


def draw_simple(data: dict[str, Any], canvas: Canvas) -> tuple[float, str]:
    """The simplified matrix: matrix_simple.py, which draws with this
    module's look (imported here, when called, to avoid a cycle)."""
    from scripts.pictures import matrix_simple

    return matrix_simple.draw(data, canvas)
