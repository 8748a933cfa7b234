"""``python -m scripts.live.launch [--pace M.NAME=SECONDS] [--observe] APP
[UVICORN OPTIONS]``: uvicorn, once a demo's pace constant is set (the demo's
code, as the slides show it, unchanged) and, with ``--observe``, its app
wrapped by the runner's observer (scripts/live/observe.py). How the runner
starts every demo's server; without options, plain ``uvicorn``."""

import argparse
import importlib

import uvicorn
from uvicorn.importer import ImportFromStringError, import_from_string

from scripts.live.observe import observe


def pace(value: str) -> tuple[str, str, float]:
    """``MODULE.NAME=SECONDS``: a module's constant, and a positive number."""
    constant, equals, number = value.partition("=")
    module, _, name = constant.rpartition(".")
    try:
        seconds = float(number)
    except ValueError:
        seconds = 0.0
    if not (equals and module and name and 0 < seconds < float("inf")):
        why = f"{value!r} is not MODULE.NAME=SECONDS (positive)"
        raise argparse.ArgumentTypeError(why)
    try:
        found = hasattr(importlib.import_module(module), name)
    except ImportError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if not found:
        raise argparse.ArgumentTypeError(f"{module} has no {name}")
    return module, name, seconds


def command_line() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m scripts.live.launch", allow_abbrev=False,
        description=(__doc__ or "").split("\n\n")[0].split(": ", 1)[-1],
        epilog="Every other argument is uvicorn's, passed on as given.",
    )
    cli.add_argument("--pace", type=pace, action="append", default=[],
                     metavar="MODULE.NAME=SECONDS",
                     help="set this constant before uvicorn imports the app")
    cli.add_argument("--observe", action="store_true",
                     help="print the spec version and tasks of each request")
    return cli


def wrap(target: str) -> None:
    """Replace the app ``target`` names with the observed one; a target
    that does not import is left to uvicorn, which says why."""
    try:
        app = import_from_string(target)
    except ImportFromStringError:
        return
    module, _, attributes = target.partition(":")
    *path, name = attributes.split(".")
    owner = importlib.import_module(module)
    for attribute in path:
        owner = getattr(owner, attribute)
    setattr(owner, name, observe(app))


def main(argv: list[str] | None = None) -> None:
    args, rest = command_line().parse_known_args(argv)
    for module, name, seconds in args.pace:
        setattr(importlib.import_module(module), name, seconds)
    if args.observe:
        context = uvicorn.main.make_context(
            "uvicorn", list(rest), resilient_parsing=True
        )
        if isinstance(target := context.params.get("app"), str):
            wrap(target)
    uvicorn.main.main(args=rest, prog_name="uvicorn")


if __name__ == "__main__":
    main()
