"""The recorded runs (assets/transcripts/STEM.txt) in windows titled with
their command: a live run's backup slides (STEM.N.svg), and the rows a code
slide's ``result`` selects, under its code (assets/results/DEMO.svg)."""

from pathlib import Path

from rich.console import Group

from demos.catalog import LIVE
from scripts import style
from scripts import transcripts as runs
from scripts.pictures import window
from scripts.pictures.catalog import Code

SCRIPT = "scripts/pictures/transcripts.py"
SHEET_ROWS = 24  # a backup slide shows what an 80x24 terminal does
GAP = 12  # px between a code picture and its result (themes/asgi.css)
Rows = list[runs.Row]


def sheets(rows: Rows) -> list[Rows]:
    """The run's pages, packed in order into sheets of ``SHEET_ROWS`` rows
    at most (a page longer than that is a sheet of its own)."""
    found: list[Rows] = []
    for page in runs.pages(rows):
        if found and runs.screen_rows(found[-1] + page) <= SHEET_ROWS:
            found[-1] += page
        elif page:
            found.append(page)
    return found


def live(root: Path) -> list[runs.Recording]:
    """The recordings of the runs the talk makes live (catalog.LIVE)."""
    return [r for r in runs.RECORDINGS if r.command in LIVE
            and runs.path(root, r.stem).is_file()]


def backups(root: Path, recording: runs.Recording) -> list[tuple[str, Rows]]:
    """Each backup sheet of ``recording``: its output path, and its rows."""
    found = sheets(runs.load(recording.stem, root))
    return [((runs.FOLDER / f"{recording.stem}.{n}.svg").as_posix(), sheet)
            for n, sheet in enumerate(found, 1)]


def build(root: Path) -> dict[str, bytes]:
    """Every live run's backup sheets, by output path."""
    made = {}
    for run in live(root):
        found, source = backups(root, run), f"{runs.FOLDER}/{run.stem}.txt"
        for number, (output, rows) in enumerate(found, 1):
            bar = f"{run.command} ({number} of {len(found)})"
            made[output] = window.draw(
                Group(*(r.text for r in rows)), runs.WIDTH, output, bar,
                (SCRIPT, source), bar=bar)[0]
    return made


def result(root: Path, code: Code, columns: int, above: float
           ) -> tuple[str, bytes]:
    """The rows ``code.result`` names, in order, as a strip (its output
    path, its SVG) that must fit under the code (``above`` px tall)."""
    stem = Path(code.source).stem
    name, command = f"{runs.FOLDER}/{stem}.txt", runs.Recording(stem).command
    data = code.read(root, name)
    rows, first = runs.parse(data, name), 2 if data.startswith(b"# ") else 1
    texts, chosen = [row.text.plain for row in rows], list[int]()
    for index, wanted in enumerate(code.result):
        what = f"result[{index}] {wanted!r}"
        chosen.append(code.one(what, f"row of {name}", first, [
            n for n, text in enumerate(texts) if wanted in text]))
        if len(chosen) > 1 and chosen[-1] <= chosen[-2]:
            code.fail(f"{what} is line {chosen[-1] + first} of {name}, above "
                      f"line {chosen[-2] + first}: list the rows in the "
                      "recording's order")
    lines = ", ".join(str(n + first) for n in chosen)
    svg, (_, height) = window.draw(
        Group(*(rows[n].text for n in chosen)), columns,
        output := f"assets/results/{stem}.svg", command,
        (SCRIPT, f"{name} lines {lines}"), bar=command, px=style.CODE_PX)
    if (total := above + GAP + height) > style.CONTENT[1]:
        code.fail(f"the code ({above:.0f} px), the {GAP} px gap and the "
                  f"result ({height:.0f} px) are {total:.0f} px tall, over "
                  f"the {style.CONTENT[1]} px of the slide: select fewer "
                  f"rows, or shorten the region of {code.source}")
    return output, svg
