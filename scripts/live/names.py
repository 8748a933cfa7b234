"""Typos get a short answer: a demo's name (or ``HTTP=``) that is not one,
or none at all (``make demo NAM=ws`` sets no ``NAME``), is answered in a few
rows, with the likeliest meant one, and exit 2."""

import difflib
import os
import shlex

from rich.console import Console
from rich.text import Text

from demos.catalog import DEMOS, HTTP_CLASSES
from scripts.live.server import python_command


def under_make() -> bool:
    """Whether GNU make ran this (``make demo``): then say what to type."""
    return "MAKELEVEL" in os.environ


def typed(replay: bool) -> str:
    """The command the speaker types, as a hint."""
    if under_make():
        return f"make {'replay' if replay else 'demo'} NAME=<name>"
    return f"{python_command()} -m scripts.live NAME" + " --replay" * replay


def meant(word: str, choices: list[str]) -> str | None:
    """The choice ``word`` most likely stands for, if any is close."""
    found = difflib.get_close_matches(word.lower(), choices, n=1)
    return found[0] if found else None


def make_variables() -> dict[str, str]:
    """The variables given on make's command line (``make demo NAM=ws``)."""
    flags = os.environ.get("MAKEFLAGS", "") if under_make() else ""
    _, dashes, assignments = flags.partition(" -- ")
    if not dashes and flags.startswith("-- "):
        assignments = flags[3:]
    try:
        words = shlex.split(assignments)
    except ValueError:
        return {}
    return dict(w.split("=", 1) for w in words if "=" in w)


def missing(console: Console, replay: bool) -> int:
    """No demo named: what to type, and the demos, one row each."""
    names = [demo.name for demo in DEMOS]
    said = f"Which demo? {typed(replay)}; the demos:"
    for variable, value in make_variables().items():
        if variable != "NAME" and meant(variable, ["name"]) and value:
            target = "replay" if replay else "demo"
            guess = value if value in names else meant(value, names) or value
            said = f"{variable}={value}: did you mean make {target} "
            said += f"NAME={guess}? The demos:"
    console.print(Text(said, "bad"))
    width = max(len(name) for name in names)
    for demo in DEMOS:
        row = Text.assemble("  ", (demo.name.ljust(width), "client"), "  ")
        console.print(row.append(demo.slide), no_wrap=True,
                      overflow="ellipsis")
    return 2


def unknown(console: Console, what: str, given: str, choices: list[str],
            listed: str) -> int:
    """``given`` is no ``what``: the closest choice, and where they are."""
    said = f"Unknown {what} {given!r}"
    if guess := meant(given, choices):
        said += f": did you mean {guess}?"
    console.print(Text(said, "bad"))
    console.print(Text(listed, "detail"))
    return 2


def unknown_demo(console: Console, name: str, replay: bool) -> int:
    listing = "make demos" if under_make() else (
        f"{python_command()} -m scripts.live --list"
    )
    return unknown(console, "demo", name, [d.name for d in DEMOS],
                   f"{listing} lists them all; run one: {typed(replay)}")


def unknown_http(console: Console, http: str) -> int:
    choices = list(HTTP_CLASSES)
    said = f"HTTP= (--http) takes {', '.join(choices)}"
    return unknown(console, "HTTP", http, choices, said)
