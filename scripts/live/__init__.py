"""What the runner and the server process it starts (launch.py) share,
light to import: uvicorn's process loads no Rich for it, the runner no
uvicorn."""

import argparse
import contextlib
import math

OBSERVED = "scripts.live.launch: "  # starts each line the observer prints
RETURNED = "the app returned"  # what it prints once the app has returned


def seconds(value: str) -> float:
    """A positive number of seconds, for argparse."""
    with contextlib.suppress(ValueError):
        if math.isfinite(number := float(value)) and number > 0:
            return number
    message = f"{value} is not a positive number of seconds"
    raise argparse.ArgumentTypeError(message)
