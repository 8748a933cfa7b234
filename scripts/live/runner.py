"""Run a demo live: ``python -m demos NAME`` starts the demo's uvicorn in a
subprocess, runs a real network client against it, and draws what the
client sent and received interleaved with what the server logged."""

import argparse
import asyncio
import contextlib
import math
import shlex
import signal
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any
from urllib.parse import quote

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from demos.catalog import BY_NAME, DEMOS, PACED, Demo
from scripts.live import clients, websocket
from scripts.live.server import HOST, Server, ServerError, python_command
from scripts.live.timeline import Timeline

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
Script = Callable[[Server], Awaitable[clients.Outcome]]
SCRIPTS: dict[str, Script] = {
    "streaming_response": clients.leave_mid_stream,
    "disconnect_receive": clients.leave_mid_stream,
    "raise_oserror": clients.leave_mid_stream,
    "ws_with_token": websocket.token_attempts,
    "ws_disconnect": websocket.ticks_then_leave,
    "http": clients.get_once,  # the others, by transport
    "http2": clients.get_with_trailers,
    "websocket": websocket.handshake_once,
}


def try_command(demo: Demo, port: int) -> str:
    """A command that talks to the served demo from another terminal."""
    if demo.transport == "websocket":
        url = f"ws://{HOST}:{port}{demo.path}"
        if demo.name == "ws_with_token":
            url += f"?token={quote(websocket.demo_token())}"
        return shlex.join([python_command(), "-m", "websockets", url])
    url = f"http://{HOST}:{port}{demo.path}"
    if demo.transport == "http2":
        return shlex.join(
            ["curl", "-v", "--http2-prior-knowledge", "-H", "TE: trailers", url]
        )
    return shlex.join(["curl", "-N", url])


def show_header(server: Server) -> None:
    """The demo's name and slide, the server command, the pace if set."""
    demo, paced = server.demo, ""
    if server.interval is not None:
        paced = (
            f"Paced for this run: {demo.pace} = {server.interval:g} s "
            "in the server, not the slide's."
        )
    title = Text.assemble((demo.name, "bold"), " · ", (demo.slide, "italic"))
    server.timeline.header(title, server.command, paced)


async def play(server: Server) -> int:
    """Serve the demo, run its scripted client, then stop the server."""
    show_header(server)
    outcome: clients.Outcome | None = None
    try:
        await server.start()
        script = SCRIPTS.get(server.demo.name, SCRIPTS[server.demo.transport])
        outcome = await script(server)
    except ServerError as exc:
        error = str(exc)
    except clients.CLIENT_ERRORS as exc:
        what = f"{type(exc).__name__}: {exc}".removesuffix(": ")
        error = f"The client failed: {what}"
    except asyncio.CancelledError:
        server.timeline.runner("Interrupted")
        raise
    finally:
        await server.stop()
    if outcome is None:
        server.timeline.fail(error)
        return 1
    server.timeline.summary(server.demo.summary, outcome.findings, outcome.ok)
    return 0 if outcome.ok else 1


async def serve_until_stopped(server: Server) -> int:
    """Serve the demo until Ctrl-C, showing how to try it meanwhile."""
    command = try_command(server.demo, server.port)
    show_header(server)
    try:
        await server.start()
        server.timeline.try_it(command)
        error = f"The server exited on its own with code {await server.wait()}."
    except ServerError as exc:
        error = str(exc)
    except asyncio.CancelledError:
        uncancel()
        server.timeline.runner("Ctrl-C")
        return 0
    finally:
        await server.stop()
    server.timeline.fail(error)
    return 1


def run(
    demo: Demo, port: int, *, serve: bool = False, interval: float | None = None
) -> int:
    """Show ``demo`` live (or just serve it); return the exit code.

    ``interval`` replaces the seconds between the app's sends (its pace
    constant, see ``Demo.pace``) in the server process.
    """
    timeline = Timeline(Console(highlight=False))
    server = Server(demo, port, timeline, interval)
    main = serve_until_stopped if serve else play
    return asyncio.run(interruptible(main(server)))


async def interruptible(main: Coroutine[Any, Any, int]) -> int:
    """Run ``main``; Ctrl-C, SIGTERM or SIGHUP cancel it, once.

    Later signals are ignored: stopping the server is bounded in time.
    """
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()

    def interrupt() -> None:
        for signum in SIGNALS:
            loop.add_signal_handler(signum, lambda: None)
        task.cancel()

    for signum in SIGNALS:
        loop.add_signal_handler(signum, interrupt)
    try:
        return await main
    except asyncio.CancelledError:
        uncancel()
        return 130


def uncancel() -> None:
    """Acknowledge a cancellation that was handled."""
    if (task := asyncio.current_task()) is not None:
        task.uncancel()


def print_demos(console: Console) -> None:
    """A table of the demos: name, slide and what each one shows."""
    table = Table(box=box.SIMPLE_HEAD, show_lines=True, title="Demos")
    table.add_column("Name", style="bold cyan", no_wrap=True)
    table.add_column("Slide, and what it shows")
    for demo in DEMOS:
        summary = Text.assemble((demo.slide, "italic"), "\n", demo.summary)
        table.add_row(demo.name, summary)
    console.print(table)
    console.print(
        "Run one: python -m demos NAME [--port N] [--serve] [--interval S]",
        style="dim",
    )


def port_number(value: str) -> int:
    """A TCP port, 1 to 65535."""
    if not 0 < (port := int(value)) < 65536:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port")
    return port


def seconds(value: str) -> float:
    """A positive, finite number of seconds."""
    with contextlib.suppress(ValueError):
        if math.isfinite(number := float(value)) and number > 0:
            return number
    raise argparse.ArgumentTypeError(
        f"{value} is not a positive number of seconds"
    )


def command_line() -> argparse.ArgumentParser:
    """The options of ``python -m demos``."""
    parser = argparse.ArgumentParser(
        prog="python -m demos",
        description="Start a demo's server, run a scripted client against it "
        "and show both sides in one timeline.",
    )
    parser.add_argument("name", nargs="?", help="the demo to run")
    parser.add_argument(
        "--port", type=port_number, default=8000,
        help="the port to serve on (default: 8000)",
    )
    parser.add_argument(
        "--serve", action="store_true",
        help="only serve the demo, until Ctrl-C, and print a command to try",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the demos and exit"
    )
    parser.add_argument(
        "--interval", type=seconds, metavar="SECONDS",
        help="seconds between the app's sends, instead of the slide's: "
        f"for {', '.join(PACED)}",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the demo it names."""
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
        return run(demo, args.port, serve=args.serve, interval=args.interval)
    print_demos(errors)
    return 2
