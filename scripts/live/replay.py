"""``python -m scripts.live NAME [--http HTTP] --replay``: print a demo's
recorded run, paced like the real one, with no server and no network (the
fallback on stage); with ``--step``, paged where the live run is."""

import asyncio
import re
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

from scripts.common import ROOT, InputError, shown
from scripts.live.timeline import Timeline
from scripts.style import PALETTES
from scripts.transcripts import RECORDINGS, Recording, parse, path

HEX = re.compile(r"#[0-9a-fA-F]{6}")


# A recording's colours are the dark palette's, each its own style's.
LIGHT = {PALETTES["dark"][name].split()[-1]: spec.split()[-1]
         for name, spec in PALETTES["light"].items()}


async def replay(
    name: str, console: Console, step: bool, root: Path = ROOT,
    http: str | None = None, light: bool = False,
) -> int:
    """Print the recording of ``name`` (run on ``--http http``, if given),
    in the ``light`` palette or the dark one; 2 if there is none or it is
    bad."""
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
    pages = Timeline(console, name, 1 + sum(row.breaks for row in rows),
                     step=step)
    pages.clear()
    for index, row in enumerate(rows):
        if row.breaks:
            await pages.pause()
            continue
        await asyncio.sleep(row.delay)
        if index == 0 and row.text.plain.startswith("─"):  # the title rule
            said = f"a replay of {shown(file, root)}, no server"
            if len(f"{name} · {said}") <= console.width - 4:  # Rich's rule
                said = f"{name} · {said}"  # else it would cut the title
            console.rule(Text(said, "title"))  # says so, in the same row
            continue
        markup = row.markup
        if light:
            markup = HEX.sub(lambda m: LIGHT.get(m[0].lower(), m[0]), markup)
        console.print(Text.from_markup(markup), soft_wrap=True)
    return 0
