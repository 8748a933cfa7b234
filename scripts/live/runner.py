"""``python -m demos NAME``: start the demo's uvicorn in a subprocess, run a
real client against it, and draw what the client sent and received
interleaved with what the server logged."""

import argparse
import asyncio
import contextlib
import math
import shlex
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from demos.catalog import BY_NAME, DEMOS, PACED, Demo
from scripts.live import clients
from scripts.live.server import HOST, Server, ServerError, python_command
from scripts.live.timeline import Timeline

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# The scripted client of each demo: by its name, or else by its transport.
SCRIPTS: dict[str, Callable[[Server], Awaitable[clients.Outcome]]] = {
    "streaming_response": clients.leave_mid_stream,
    "disconnect_receive": clients.leave_mid_stream,
    "raise_oserror": clients.leave_mid_stream,
    "ws_with_token": clients.token_attempts,
    "ws_disconnect": clients.ticks_then_leave,
    "http": clients.get_once,
    "http2": clients.get_with_trailers,
    "websocket": clients.handshake_once,
}
CURL = {  # what to type in another terminal, before the URL
    "http": ["curl", "-N"],
    "http2": ["curl", "-v", "--http2-prior-knowledge", "-H", "TE: trailers"],
}


def try_command(demo: Demo, port: int) -> str:
    """A command that talks to the served demo from another terminal."""
    scheme = "ws" if demo.transport == "websocket" else "http"
    url = f"{scheme}://{HOST}:{port}{demo.path}{clients.query(demo)}"
    command = CURL.get(demo.transport, [python_command(), "-m", "websockets"])
    return shlex.join([*command, url])


async def show(server: Server, serve: bool) -> int:
    """Serve the demo and run its scripted client (or, with ``serve``, wait
    for Ctrl-C), stop the server, and sum up."""
    demo, timeline, outcome = server.demo, server.timeline, None
    paced = "" if server.interval is None else (
        f"Paced for this run: {demo.pace} = {server.interval:g} s "
        "in the server, not the slide's."
    )
    title = Text.assemble((demo.name, "bold"), " · ", (demo.slide, "italic"))
    timeline.header(title, server.command, paced)
    try:
        await server.start()
        if serve:
            timeline.try_it(try_command(demo, server.port))
            code = await server.wait()
            error = f"The server exited on its own with code {code}."
        else:
            script = SCRIPTS.get(demo.name, SCRIPTS[demo.transport])
            outcome = await script(server)
    except ServerError as exc:
        error = str(exc)
    except clients.CLIENT_ERRORS as exc:
        what = f"{type(exc).__name__}: {exc}".removesuffix(": ")
        error = f"The client failed: {what}"
    except asyncio.CancelledError:
        if task := asyncio.current_task():
            task.uncancel()
        timeline.runner("Ctrl-C" if serve else "Interrupted")
        return 0 if serve else 130
    finally:
        await server.stop()
    if outcome is None:
        timeline.fail(error)
        return 1
    timeline.summary(demo.summary, outcome.findings, outcome.ok)
    return 0 if outcome.ok else 1


async def interruptible(main: Coroutine[Any, Any, int]) -> int:
    """Run ``main``; Ctrl-C, SIGTERM or SIGHUP cancel it, once (later ones
    are ignored: stopping the server is bounded in time)."""
    task, loop = asyncio.current_task(), asyncio.get_running_loop()
    assert task is not None

    def interrupt() -> None:
        for signum in SIGNALS:
            loop.add_signal_handler(signum, lambda: None)
        task.cancel()

    for signum in SIGNALS:
        loop.add_signal_handler(signum, interrupt)
    try:
        return await main
    except asyncio.CancelledError:
        task.uncancel()
        return 130


def print_demos(console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD, show_lines=True, title="Demos")
    table.add_column("Name", style="bold cyan", no_wrap=True)
    table.add_column("Slide, and what it shows")
    for demo in DEMOS:
        summary = Text.assemble((demo.slide, "italic"), "\n", demo.summary)
        table.add_row(demo.name, summary)
    hint = "Run one: python -m demos NAME [--port N] [--serve] [--interval S]"
    console.print(table, Text(hint, style="dim"), sep="\n")


def port_number(value: str) -> int:
    if not 0 < (port := int(value)) < 65536:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port")
    return port


def seconds(value: str) -> float:
    with contextlib.suppress(ValueError):
        if math.isfinite(number := float(value)) and number > 0:
            return number
    message = f"{value} is not a positive number of seconds"
    raise argparse.ArgumentTypeError(message)


def command_line() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog="python -m demos",
        description="Start a demo's server, run a scripted client against it "
        "and show both sides in one timeline.",
    )
    option = cli.add_argument
    option("name", nargs="?", help="the demo to run")
    option("--port", type=port_number, default=8000,
           help="the port to serve on (default: 8000)")
    option("--serve", action="store_true",
           help="only serve the demo, until Ctrl-C, and print a command to try")
    option("--list", action="store_true", help="list the demos and exit")
    option("--interval", type=seconds, metavar="SECONDS",
           help="seconds between the app's sends, instead of the slide's: "
           f"for {', '.join(PACED)}")
    return cli


def main(argv: list[str] | None = None) -> int:
    cli = command_line()
    args = cli.parse_args(argv)
    if args.list:
        print_demos(Console(highlight=False))
        return 0
    errors = Console(stderr=True, highlight=False)
    demo = BY_NAME.get(args.name or "")
    if args.name is None:
        cli.print_usage(sys.stderr)
    elif demo is None:
        errors.print(f"Unknown demo: {args.name!r}.", style="bold red")
    elif args.interval is not None and not demo.pace:
        errors.print(
            f"The demo {demo.name!r} sends at no set interval; --interval "
            f"applies to {', '.join(PACED)}.",
            style="bold red",
        )
        return 2
    else:
        timeline = Timeline(Console(highlight=False))
        server = Server(demo, args.port, timeline, args.interval)
        return asyncio.run(interruptible(show(server, args.serve)))
    print_demos(errors)
    return 2
