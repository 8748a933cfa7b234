"""``python -m scripts.live.launch [--pace SECONDS] [--observe] APP [UVICORN
OPTIONS]``: uvicorn serving APP, a demo of demos/catalog.py, at that pace
(``Demo.paced()``: the demo's code, as the slides show it, unchanged) and,
with ``--observe``, wrapped by the runner's observer (observe.py). How the
runner starts every demo's server; without options, plain ``uvicorn``."""

import argparse
import contextlib
import importlib
import math

import uvicorn
from uvicorn.importer import ImportFromStringError, import_from_string

from demos.catalog import DEMOS
from scripts.live.observe import observe


def seconds(value: str) -> float:
    """A positive number of seconds, for argparse."""
    with contextlib.suppress(ValueError):
        if math.isfinite(number := float(value)) and number > 0:
            return number
    message = f"{value} is not a positive number of seconds"
    raise argparse.ArgumentTypeError(message)


def command_line() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m scripts.live.launch", allow_abbrev=False,
        description=(__doc__ or "").split("\n\n")[0].split(": ", 1)[-1],
        epilog="Every other argument is uvicorn's, passed on as given.",
    )
    cli.add_argument("--pace", type=seconds, metavar="SECONDS",
                     help="seconds between the demo's sends (its DELAY or "
                     "INTERVAL), set before uvicorn imports it")
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
    cli = command_line()
    args, rest = cli.parse_known_args(argv)
    context = uvicorn.main.make_context(
        "uvicorn", list(rest), resilient_parsing=True
    )
    target = context.params.get("app")
    with contextlib.ExitStack() as stack:
        if args.pace is not None:
            paced = [d for d in DEMOS if d.target == target and d.pace]
            if not paced:
                cli.error(f"argument --pace: {target} is no paced demo of "
                          "demos/catalog.py")
            stack.enter_context(paced[0].paced(args.pace))
        if args.observe and isinstance(target, str):
            wrap(target)
        uvicorn.main.main(args=rest, prog_name="uvicorn")


if __name__ == "__main__":
    main()
