"""``python -m scripts.live.launch [--pace SECONDS] [--observe] APP [UVICORN
OPTIONS]``: uvicorn serving APP, a demo of demos/catalog.py, at that pace
(``Demo.paced()``: the demo's code, as the slides show it, unchanged) and,
with ``--observe``, wrapped by the runner's observer (observe.py). How the
runner starts every demo's server; without options, plain ``uvicorn``."""

import argparse
import contextlib
import importlib

import uvicorn

from demos.catalog import DEMOS
from scripts.live import seconds
from scripts.live.observe import observe


def main(argv: list[str] | None = None) -> None:
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
    args, rest = cli.parse_known_args(argv)
    context = uvicorn.main.make_context("uvicorn", list(rest),
                                        resilient_parsing=True)
    target = context.params.get("app")
    demo = next((d for d in DEMOS if d.target == target), None)
    with contextlib.ExitStack() as stack:
        if args.pace is not None:
            if demo is None or demo.pace is None:
                cli.error(f"argument --pace: {target} is no paced demo of "
                          "demos/catalog.py")
            stack.enter_context(demo.paced(args.pace))
        if args.observe and demo is not None:  # its pace set: import it now
            names = vars(importlib.import_module(f"demos.{demo.name}"))
            names["app"] = observe(names["app"])
        uvicorn.main.main(args=rest, prog_name="uvicorn")


if __name__ == "__main__":
    main()
