"""The recordings' format: the demos' recorded runs, the fallback when a live
demo fails on stage. ``assets/transcripts/STEM.txt`` (STEM: NAME, or NAME.HTTP
for the run on ``--http HTTP``): a terminal row a line, ``SECONDS<TAB>RICH
MARKUP`` (the delay before it), or ``# page`` where ``--step`` waits for
Enter. ``make transcripts`` writes them, ``make assets`` draws them."""

import re
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

from rich.cells import cell_len
from rich.errors import MarkupError
from rich.text import Text

from demos.catalog import DEMOS, RECORDED_ON
from scripts.common import ROOT, InputError, decode, shown

FOLDER = Path("assets/transcripts")
WIDTH = 80  # columns, as recorded
HEADER = "# {name}: by `make transcripts`; a row: delay (s), tab, markup"
PAGE = "# page"  # a line of its own: a page ends (Row.markup: BREAK)
BREAK = "\f"  # what the runner prints there, with --record
ROW = re.compile(r"([0-9]+(?:\.[0-9]+)?)\t(.*)")  # seconds, tab, markup


class Recording(NamedTuple):
    """A recorded run: demo ``name``, on ``--http http`` (None: stock)."""

    name: str
    http: str | None = None

    @property
    def stem(self) -> str:
        return self.name if self.http is None else f"{self.name}.{self.http}"

    @property
    def command(self) -> str:  # what the speaker types for this run
        http = "" if self.http is None else f" HTTP={self.http}"
        return f"make demo NAME={self.name}{http}"


# Every demo on stock uvicorn, then the runs on --http that the slides show.
RECORDINGS = [Recording(demo.name) for demo in DEMOS] + [
    Recording(n, http) for http, names in RECORDED_ON.items() for n in names]
BY_STEM = {recording.stem: recording for recording in RECORDINGS}


class Row(NamedTuple):
    delay: float  # seconds after the row before
    markup: str  # BREAK: the end of a page, not a row

    @property
    def text(self) -> Text:
        return Text.from_markup(self.markup)

    @property
    def breaks(self) -> bool:
        return self.markup == BREAK


def path(root: Path, stem: str) -> Path:
    return root / FOLDER / f"{stem}.txt"


def dump(stem: str, rows: list[Row]) -> str:
    lines = [HEADER.format(name=stem)]
    lines += [PAGE if r.breaks else f"{round(r.delay, 3):g}\t{r.markup}"
              for r in rows]
    return "\n".join(lines) + "\n"


def parse(data: bytes, shown: str) -> list[Row]:
    """The rows of a transcript; InputError naming the line at fault."""
    rows = []
    for number, line in enumerate(decode(data, shown).splitlines(), 1):
        if line == PAGE:
            rows.append(Row(0.0, BREAK))
        elif match := ROW.fullmatch(line):
            try:
                Text.from_markup(match[2])
            except MarkupError as exc:
                raise InputError(shown, number, f"bad row: {exc}") from None
            rows.append(Row(float(match[1]), match[2]))
        elif number > 1 or not line.startswith("# "):  # not the header
            why = "bad row: not a delay in seconds, a tab, then the row"
            raise InputError(shown, number, why)
    return rows


def screen_rows(rows: list[Row]) -> int:
    """How many rows the transcript takes on the terminal, unpaged."""
    return sum(max(1, -(-cell_len(r.text.plain) // WIDTH))
               for r in rows if not r.breaks)


def pages(rows: list[Row]) -> list[list[Row]]:
    """The rows of each page ``--step`` shows: those between breaks."""
    ends = [n for n, row in enumerate(rows) if row.breaks]
    return [rows[a + 1:b] for a, b in pairwise([-1, *ends, len(rows)])]


def load(stem: str, root: Path = ROOT) -> list[Row]:
    """The rows of the recorded run ``stem``: OSError if it is not
    recorded, InputError if its file is bad."""
    file = path(root, stem)
    return parse(file.read_bytes(), shown(file, root))


def duration(stem: str, root: Path = ROOT) -> float:
    """The seconds run ``stem`` takes on stage, the speaker's Enters aside."""
    return round(sum(row.delay for row in load(stem, root)), 3)
