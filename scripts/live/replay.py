"""``python -m scripts.live NAME [--http HTTP] --replay``: print a demo's
recorded run, paced like the real one, with no server and no network (the
fallback on stage); with ``--step``, paged where the live run is."""

import re
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.style import Style
from rich.text import Text

from scripts.common import ROOT, InputError, shown
from scripts.live.pages import Pager
from scripts.style import PALETTES
from scripts.transcripts import RECORDINGS, Recording, parse, path

HEX = re.compile(r"#[0-9a-fA-F]{6}")
STYLE_OF = {  # a dark colour: its style name (each has its own)
    Style.parse(style).color.triplet.hex: name  # type: ignore[union-attr]
    for name, style in PALETTES["dark"].items()
}
LIGHT = {
    colour: Style.parse(PALETTES["light"][name]).color.triplet.hex  # type: ignore[union-attr]
    for colour, name in STYLE_OF.items()
}


def light(console: Console) -> bool:
    """Whether ``console`` has the light palette's theme."""
    ours = Style.parse(PALETTES["light"]["text"])
    return console.get_style("text", default="none") == ours


def replay(
    name: str, console: Console, step: bool, root: Path = ROOT,
    http: str | None = None,
) -> int:
    """Print the recording of ``name`` (run on ``--http http``, if given);
    2 if there is none or it is bad."""
    recording = Recording(name, http)
    file, run = path(root, recording.stem), f"{name!r}"
    if http is not None:
        run += f" on --http {http}"
        if recording not in RECORDINGS:
            recorded = [r.name for r in RECORDINGS if r.http == http]
            why = f"`make transcripts` records {', '.join(recorded)} on it"
            print(f"No recording of {run}: {why}.", file=sys.stderr)
            return 2
    try:
        rows = parse(file.read_bytes(), shown(file, root))
    except FileNotFoundError:
        why = f"{shown(file, root)} is missing: run `make transcripts`"
        print(f"No recording of {run}: {why}.", file=sys.stderr)
        return 2
    except (OSError, InputError) as error:
        print(f"Cannot replay {run}: {error}", file=sys.stderr)
        return 2
    recolour = light(console)
    pages = 1 + sum(row.breaks for row in rows)
    pager = Pager(console, name, pages, step)
    pager.clear()
    for index, row in enumerate(rows):
        if row.breaks:
            pager.wait_now()
            continue
        time.sleep(row.delay)
        if index == 0 and row.text.plain.startswith("─"):  # the title rule
            said = f"a replay of {shown(file, root)}, no server"
            if len(f"{name} · {said}") <= console.width - 4:  # Rich's rule
                said = f"{name} · {said}"  # else it would cut the title
            console.rule(Text(said, "title"))  # says so, in the same row
            continue
        markup = row.markup
        if recolour:
            markup = HEX.sub(lambda m: LIGHT.get(m[0].lower(), m[0]), markup)
        console.print(Text.from_markup(markup), soft_wrap=True)
    return 0
