"""The recorded runs (assets/transcripts/STEM.txt), a window titled with
their command: a live run's backup slides (STEM.N.svg, its pages packed in
sheets of 24 rows at most), and the rows an entry's ``result`` selects,
under its code, as wide, its text as large (assets/results/DEMO.svg)."""

from pathlib import Path

from rich.console import Console

from demos.catalog import LIVE
from scripts import style
from scripts import transcripts as runs
from scripts.common import shown
from scripts.pictures import window
from scripts.pictures.code_images import Picture

SCRIPT = "scripts/pictures/transcripts.py"
SHEET_ROWS = 24  # a backup slide shows what an 80x24 terminal does
GAP = 12  # px between a code picture and its result (themes/asgi.css)
Rows = list[runs.Row]


def record(rows: Rows, columns: int = runs.WIDTH) -> Console:
    """A console that printed ``rows`` (the runner wraps them at 80)."""
    recorded = window.console(columns)
    for row in rows:
        recorded.print(row.text, overflow="fold")
    return recorded


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
    file = runs.path(root, recording.stem)
    found = sheets(runs.parse(file.read_bytes(), shown(file, root)))
    return [((runs.FOLDER / f"{recording.stem}.{n}.svg").as_posix(), sheet)
            for n, sheet in enumerate(found, 1)]


def select(picture: Picture, root: Path) -> tuple[Rows, str]:
    """The rows ``result`` names; the recording's lines they are on."""
    code = picture.code
    name = shown(runs.path(root, Path(code.source).stem), root)
    try:
        data = (root / name).read_bytes()
    except OSError as exc:
        code.fail(f"cannot read {name}: {exc.strerror}")
    rows, first = runs.parse(data, name), 2 if data.startswith(b"# ") else 1
    texts, chosen = [row.text.plain for row in rows], list[int]()
    for index, wanted in enumerate(code.result):
        what = f"result[{index}] {wanted!r}"
        found = [n for n, text in enumerate(texts) if wanted in text]
        if len(found) != 1:
            said = ", ".join(str(n + first) for n in found) or "none"
            code.fail(f"{what} must match one row of {name}; it matches "
                      f"{'lines ' * bool(found)}{said}")
        if chosen and found[0] <= chosen[-1]:
            code.fail(f"{what} is line {found[0] + first} of {name}, above "
                      f"line {chosen[-1] + first}: list the rows in the "
                      "recording's order")
        chosen.append(found[0])
    lines = ", ".join(str(n + first) for n in chosen)
    return [rows[n] for n in chosen], f"{name} lines {lines}"


def build(
    root: Path, fonts: window.Fonts, code: list[Picture]
) -> dict[str, bytes]:
    """Every backup sheet and result strip (which must fit under its code
    on the slide), by output path."""
    made = {}
    for run in live(root):
        found, source = backups(root, run), f"{runs.FOLDER}/{run.stem}.txt"
        for number, (output, rows) in enumerate(found, 1):
            bar = f"{run.command} ({number} of {len(found)})"
            made[output] = window.draw(record(rows), output, bar,
                                       (SCRIPT, source), fonts, bar=bar)[0]
    for picture in [p for p in code if p.code.result]:
        (rows, source), entry = select(picture, root), picture.code
        output = f"assets/results/{(stem := Path(entry.source).stem)}.svg"
        if output in made:
            entry.fail(f"{output} is drawn twice")
        command = runs.Recording.of(stem).command
        made[output], (_, height) = window.draw(
            record(rows, picture.columns), output, command, (SCRIPT, source),
            fonts, bar=command, px=style.CODE_PX)
        if (total := picture.size[1] + GAP + height) > style.CONTENT[1]:
            entry.fail(f"the code ({picture.size[1]:.0f} px), the {GAP} px "
                       f"gap and the result ({height:.0f} px) are {total:.0f} "
                       f"px tall, over the {style.CONTENT[1]} px of the "
                       f"slide: select fewer rows, or shorten the region of "
                       f"{entry.source}")
    return made
