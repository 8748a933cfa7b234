"""``python -m scripts.live NAME`` (``make demo``): the command line, and
what the package shares. A typo (in a demo, ``HTTP=`` or ``NAME=`` itself)
is answered at once, exit 2: the runner is imported only then."""

import argparse
import contextlib
import difflib
import os
import re
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

from demos.catalog import BY_NAME, DEMOS, HTTP1, HTTP_CLASSES, PACED, Demo
from scripts.live import seconds
from scripts.style import theme

PORT = 8000  # uvicorn's default: the commands shown omit it
# The slowest pace the stage bears (no 3 s without a new row): a demo whose
# code waits longer between sends runs at this one, and says so.
STAGE_PACE = 2.0  # seconds
NAMES = [demo.name for demo in DEMOS]
# An option, the demos it applies to, and why another demo refuses it.
REFUSALS = (
    ("interval", PACED, "sends at no set interval"),
    ("http", HTTP1, "is not served over HTTP/1.1"),
)


def python_command(name: str = "python") -> str:
    """This interpreter (or the script ``name`` beside it), spelled so the
    speaker can retype it: .venv/bin/python, .venv/bin/uvicorn."""
    path = Path(sys.executable).with_name(name)
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return name


def under_make() -> bool:  # then say what to type to make
    return "MAKELEVEL" in os.environ


def typed(replay: bool) -> str:
    """The command the speaker types, as a hint: to make, if make ran this."""
    if under_make():
        return f"make {'replay' if replay else 'demo'} NAME=<name>"
    return f"{python_command()} -m scripts.live NAME" + " --replay" * replay


def meant(word: str, choices: list[str]) -> str | None:
    """The choice ``word`` most likely stands for, if any is close."""
    return next(iter(difflib.get_close_matches(word.lower(), choices, 1)), None)


def demos(console: Console, replay: bool, asked: bool) -> int:
    """The demos, a row each, under what to type: 0 if ``asked`` (--list),
    else 2: no demo named (what make got instead, if it looks like NAME=)."""
    said = f"{'Run one:' if asked else 'Which demo?'} {typed(replay)}"
    said += "; the demos:"
    flags = os.environ.get("MAKEFLAGS", "") if under_make() else ""
    given = (" " + flags).partition(" -- ")[2]  # make's variables: A=B ...
    for variable, value in re.findall(r"(\w+)=(\S+)", given):
        if variable != "NAME" and meant(variable, ["name"]):
            guess = value if value in NAMES else meant(value, NAMES) or value
            said = f"{variable}={value}: did you mean make "
            said += f"{'replay' if replay else 'demo'} NAME={guess}? The demos:"
    console.print(Text(said, "title" if asked else "bad"))
    width = max(len(name) for name in NAMES)
    for demo in DEMOS:
        row = Text.assemble("  ", (demo.name.ljust(width), "client"), "  ")
        console.print(row.append(demo.slide), no_wrap=True,
                      overflow="ellipsis")
    return 0 if asked else 2


def unknown(console: Console, what: str, given: str, choices: list[str],
            listed: str) -> int:
    """``given`` is no ``what``: the closest choice, and where they are."""
    said = f"Unknown {what} {given!r}"
    if guess := meant(given, choices):
        said += f": did you mean {guess}?"
    console.print(Text(said, "bad"), Text(listed, "detail"), sep="\n")
    return 2


def refused(args: argparse.Namespace, demo: Demo, errors: Console) -> int:
    """2, said, if ``args`` do not fit ``demo``; else 0."""
    if args.http is not None and args.http not in HTTP_CLASSES:
        choices = list(HTTP_CLASSES)
        return unknown(errors, "HTTP", args.http, choices,
                       f"HTTP= (--http) takes {', '.join(choices)}")
    for option, demos, why in REFUSALS:
        if getattr(args, option) is not None and demo.name not in demos:
            applies = f"--{option} applies to {', '.join(demos)}"
            errors.print(f"The demo {demo.name!r} {why}; {applies}.",
                         style="bad")
            return 2
    return 0


def port_number(value: str) -> int:
    if not 0 < (port := int(value)) < 65536:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port")
    return port


def command_line() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog=f"{python_command()} -m scripts.live",  # as typed here
        description="Serve a demo, run its client, show both in one timeline.",
    )
    option = cli.add_argument
    option("name", nargs="?", help="the demo to run")
    option("--port", type=port_number, default=PORT, help=f"default: {PORT}")
    option("--list", action="store_true", help="list the demos and exit")
    option("--verbose", action="store_true",
           help="show the server's start-up and shutdown, request headers")
    option("--step", action=argparse.BooleanOptionalAction,
           help="a page per phase: clear the screen, wait for Enter between "
           "phases (default: in an interactive terminal)")
    option("--light", action="store_true", help="colours for a light screen")
    option("--replay", action="store_true",
           help="print the demo's recording (of its run on --http, if "
           "given), paced: no server, no network")
    option("--interval", type=seconds, metavar="SECONDS",
           help=f"seconds between the app's sends: {', '.join(PACED)} "
           f"(a pace over {STAGE_PACE:g} s runs at {STAGE_PACE:g} s)")
    http = "; ".join(f"{k}, {what}" for k, (_, what) in HTTP_CLASSES.items())
    option("--http", metavar=f"{{{','.join(HTTP_CLASSES)}}}",
           help=f"HTTP/1.1 demos only: {http}")
    option("--record", action="store_true", help=argparse.SUPPRESS)
    return cli


def main(argv: list[str] | None = None) -> int:
    args = command_line().parse_args(argv)
    colours = theme("light" if args.light else "dark")
    console = Console(highlight=False, theme=colours)
    errors = Console(stderr=True, highlight=False, theme=colours)
    if args.list or args.name is None:
        return demos(console if args.list else errors, args.replay, args.list)
    if (demo := BY_NAME.get(args.name)) is None:
        listing = "make demos" if under_make() else (
            f"{python_command()} -m scripts.live --list")
        return unknown(errors, "demo", args.name, NAMES,
                       f"{listing} lists them all; run one: "
                       f"{typed(args.replay)}")
    if code := refused(args, demo, errors):
        return code
    from scripts.live import runner  # only now: a typo is answered at once

    return runner.run(demo, args, console, errors)
