"""``python -m scripts.live.launch [--pace SECONDS] [--observe] APP [UVICORN
OPTIONS]``: uvicorn serving APP, a demo of demos/catalog.py, at that pace
(``Demo.paced()``), observed for the runner (``observe()``)."""

import argparse
import asyncio
import contextlib
import importlib

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from demos.catalog import DEMOS
from scripts.common import plural
from scripts.live import OBSERVED, RETURNED, seconds


def observe(app: ASGIApp) -> ASGIApp:
    """``app``, saying of an HTTP request at its first body (or its end)
    "spec_version 2.3; the response ran in 1 task": the tasks since it
    began, its own too (one request at a time); then ``RETURNED``."""

    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        before = len(asyncio.all_tasks())  # its own task among them
        version = scope.get("asgi", {}).get("spec_version") or "not set"
        said, tasks = f"{OBSERVED}spec_version {version}", 0

        async def watched(message: Message) -> None:
            nonlocal tasks
            if not tasks and message["type"] == "http.response.body":
                tasks = len(asyncio.all_tasks()) - before + 1
                ran = plural(tasks, "task")
                print(f"{said}; the response ran in {ran}", flush=True)
            await send(message)

        try:
            await app(scope, receive, watched)
        finally:
            if not tasks:
                print(said, flush=True)
            print(OBSERVED + RETURNED, flush=True)

    return observed


def main(argv: list[str] | None = None) -> None:
    cli = argparse.ArgumentParser(
        prog="python -m scripts.live.launch", allow_abbrev=False,
        epilog="Every other argument is uvicorn's, passed on as given.",
    )
    cli.add_argument("--pace", type=seconds, metavar="SECONDS",
                     help="seconds between the demo's sends (its DELAY or "
                     "INTERVAL), set before uvicorn imports it")
    cli.add_argument("--observe", action="store_true",
                     help="print the spec version and tasks of each request")
    args, rest = cli.parse_known_args(argv)
    target = uvicorn.main.make_context("uvicorn", list(rest),
                                       resilient_parsing=True).params["app"]
    demo = next((d for d in DEMOS if d.target == target), None)
    if args.pace is not None and (demo is None or demo.pace is None):
        cli.error(f"argument --pace: {target} is no paced demo of "
                  "demos/catalog.py")
    with contextlib.nullcontext() if demo is None or args.pace is None else (
        demo.paced(args.pace)
    ):
        if args.observe and demo is not None:  # its pace set: import it now
            names = vars(importlib.import_module(f"demos.{demo.name}"))
            names["app"] = observe(names["app"])
        uvicorn.main.main(args=rest, prog_name="uvicorn")

if __name__ == "__main__":
    main()
