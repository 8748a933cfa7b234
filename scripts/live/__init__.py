"""The demos run live (``python -m scripts.live NAME``), recorded, replayed;
here, what they share, on the standard library only (answered at once)."""

import argparse
import contextlib
import math
import sys
from pathlib import Path

PORT = 8000  # uvicorn's default: the commands shown omit it
# The slowest pace the stage bears (no 3 s without a new row): a demo whose
# code waits longer between sends runs at this one, and says so.
STAGE_PACE = 2.0  # seconds


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def seconds(value: str) -> float:
    """A positive number of seconds, for argparse."""
    with contextlib.suppress(ValueError):
        if math.isfinite(number := float(value)) and number > 0:
            return number
    message = f"{value} is not a positive number of seconds"
    raise argparse.ArgumentTypeError(message)


def python_command(name: str = "python") -> str:
    """This interpreter (or the script ``name`` beside it), spelled so the
    speaker can retype it: .venv/bin/python, .venv/bin/uvicorn."""
    path = Path(sys.executable).with_name(name)
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return name
