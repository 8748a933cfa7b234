"""``python -m demos NAME``: the demo's server and client in one timeline."""

import argparse
import asyncio
import contextlib
import math
import shlex
import signal
import sys
from collections.abc import Coroutine
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from demos.catalog import BY_NAME, DEMOS, HTTP1, HTTP_CLASSES, PACED
from scripts.live import clients
from scripts.live import server as live

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
TRY = {  # what to type in another terminal, before the URL
    "http": ["curl", "-N"],
    "http2": ["curl", "-v", "--http2-prior-knowledge", "-H", "TE: trailers"],
    "websocket": [live.python_command(), "-m", "websockets"],
}


async def show(server: live.Server, serve: bool) -> int:
    """Serve the demo, run its client (or wait for Ctrl-C), stop, sum up."""
    demo, console, outcome = server.demo, server.timeline.console, None
    title = Text.assemble((demo.name, "bold"), " · ", (demo.slide, "italic"))
    console.rule(title)
    server.timeline.command(server.command)
    notes = [Text(note, style="dim") for note in server.notes]
    console.print(*notes, "", sep="\n")
    try:
        await server.start()
        if serve:
            console.print(Text("\nIn another terminal, try:", "bold"))
            scheme = "ws" if demo.transport == "websocket" else "http"
            url = f"{scheme}://{live.HOST}:{server.port}{demo.path}"
            command = [*TRY[demo.transport], url + clients.query(demo)]
            server.timeline.command(shlex.join(command))
            console.print(Text("Press Ctrl-C to stop.\n", style="dim"))
            code = await server.wait()
            error = f"The server exited on its own with code {code}."
        else:
            scripts, paced = clients.SCRIPTS, " paced" if demo.pace else ""
            script = scripts.get(demo.name) or scripts[demo.transport + paced]
            outcome = await script(server)
    except live.ServerError as exc:
        error = str(exc)
    except clients.CLIENT_ERRORS as exc:
        what = f"{type(exc).__name__}: {exc}".removesuffix(": ")
        error = f"The client failed: {what}"
    except asyncio.CancelledError:
        if task := asyncio.current_task():
            task.uncancel()
        server.timeline.runner("Ctrl-C" if serve else "Interrupted")
        return 0 if serve else 130
    finally:
        await server.stop()
    if outcome is None:
        console.print(Text(f"\nError: {error}", style="bold red"))
        return 1
    findings = Table.grid(padding=(0, 1))
    for finding in outcome.findings:
        findings.add_row("•", finding)
    body = Group(Text(demo.summary, style="bold"), findings)
    border = live.style(outcome.ok)
    console.print("", Panel(body, title="What this shows", border_style=border))
    return 0 if outcome.ok else 1


async def interruptible(main: Coroutine[Any, Any, int]) -> int:
    """Run ``main``; a first Ctrl-C, SIGTERM or SIGHUP cancels it."""
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
    hint += f" [--http {'|'.join(HTTP_CLASSES)}]"
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
        description="Serve a demo, run its client, show both in one timeline.",
    )
    option = cli.add_argument
    option("name", nargs="?", help="the demo to run")
    option("--port", type=port_number, default=8000, help="default: 8000")
    option("--serve", action="store_true",
           help="only serve the demo, until Ctrl-C, and print a command to try")
    option("--list", action="store_true", help="list the demos and exit")
    option("--interval", type=seconds, metavar="SECONDS",
           help=f"seconds between the app's sends: {', '.join(PACED)}")
    http = "; ".join(f"{k}, {what}" for k, (_, what) in HTTP_CLASSES.items())
    option("--http", choices=HTTP_CLASSES, help=f"HTTP/1.1 demos only: {http}")
    return cli


# An option, the demos it applies to, and why another demo refuses it.
REFUSALS = (
    ("interval", PACED, "sends at no set interval"),
    ("http", HTTP1, "is not served over HTTP/1.1"),
)


def main(argv: list[str] | None = None) -> int:
    cli = command_line()
    args = cli.parse_args(argv)
    if args.list:
        print_demos(Console(highlight=False))
        return 0
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    demo = BY_NAME.get(args.name or "")
    if args.name is None:
        cli.print_usage(sys.stderr)
    elif demo is None:
        errors.print(f"Unknown demo: {args.name!r}.", style="bold red")
    else:
        for option, demos, why in REFUSALS:
            if getattr(args, option) is not None and demo.name not in demos:
                applies = f"--{option} applies to {', '.join(demos)}"
                message = f"The demo {demo.name!r} {why}; {applies}."
                errors.print(message, style="bold red")
                return 2
        server = live.Server(demo, args.port, args.interval, args.http)
        return asyncio.run(interruptible(show(server, args.serve)))
    print_demos(errors)
    return 2
