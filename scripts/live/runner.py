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
from scripts.live.observe import plural_tasks
from scripts.live.palette import theme
from scripts.live.timeline import Timeline, style

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
TRY = {  # what to type in another terminal, before the URL
    "http": ["curl", "-N"],
    "http2": ["curl", "-v", "--http2-prior-knowledge", "-H", "TE: trailers"],
    "websocket": [live.python_command(), "-m", "websockets"],
}
EXPORT_IT_THERE = (
    "(First export DEMO_TOKEN there: the server's token, as set here, or "
    "else the default in demos/ws_with_token.py.)"
)


def try_command(server: live.Server) -> str:
    """What to type in another terminal, the token left to $DEMO_TOKEN."""
    demo, start = server.demo, shlex.join(TRY[server.demo.transport])
    scheme = "ws" if demo.transport == "websocket" else "http"
    url = f"{scheme}://{live.HOST}:{server.port}{demo.path}"
    if server.timeline.secret:
        return f'{start} "{url}?token=$DEMO_TOKEN"'
    return f"{start} {shlex.quote(url)}"


async def show(server: live.Server, serve: bool) -> int:
    """Serve the demo, run its client (or wait for Ctrl-C), stop, sum up."""
    demo, timeline, outcome = server.demo, server.timeline, None
    console = timeline.console
    console.rule(Text.assemble((demo.name, "title"), " · ", demo.slide))
    timeline.command(server.command)
    if server.notes:
        console.print(*[Text(x, "detail") for x in server.notes], "", sep="\n")
    try:
        await server.start()
        if serve:
            console.print(Text("\nIn another terminal, try:", "title"))
            timeline.command(try_command(server))
            if timeline.secret:
                console.print(Text(EXPORT_IT_THERE, "detail"))
            console.print(Text("Press Ctrl-C to stop.\n", "detail"))
            code = await server.wait()
            error = f"The server exited on its own with code {code}."
        else:
            scripts, paced = clients.SCRIPTS, " paced" if demo.pace else ""
            script = scripts.get(demo.name) or scripts[demo.transport + paced]
            await timeline.pause()
            outcome = await script(server)
    except live.ServerError as exc:
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
        console.print(Text(f"\nError: {timeline.mask(error)}", style="bad"))
        return 1
    await timeline.pause()
    findings = Table.grid(padding=(0, 1))
    for finding in [*outcome.findings, *observed(server)]:
        findings.add_row("•", finding)
    summary = demo.summary_on(server.http)
    body = Group(Text(summary, style="title"), findings)
    border = style(outcome.ok)
    console.print("", Panel(body, title="What this shows", border_style=border))
    return 0 if outcome.ok else 1


def observed(server: live.Server) -> list[str]:
    """What the observer measured in the server (its output now drained),
    said to be the runner's: the command shown does not observe."""
    if not server.observe:
        return []
    if not (seen := server.observations):
        return ["The runner observed no HTTP request in the server."]
    last = seen[-1]
    said = f"spec_version {last.spec_version or 'not set'}"
    if last.tasks is not None:
        said += f"; the response ran in {plural_tasks(last.tasks)}"
    return [f"Observed by the runner: {said}."]


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
    table.add_column("Name", style="client", no_wrap=True)
    table.add_column("Slide, and what it shows")
    for demo in DEMOS:
        summary = Text.assemble((demo.slide, "italic"), "\n", demo.summary)
        table.add_row(demo.name, summary)
    hint = f"Run one: make demo NAME=<name> [HTTP={'|'.join(HTTP_CLASSES)}]"
    hint += "; every option: .venv/bin/python -m demos --help"
    console.print(table, Text(hint, style="detail"), sep="\n")


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
        prog=f"{live.python_command()} -m demos",  # as typed here
        description="Serve a demo, run its client, show both in one timeline.",
    )
    option = cli.add_argument
    option("name", nargs="?", help="the demo to run")
    option("--port", type=port_number, default=8000, help="default: 8000")
    option("--serve", action="store_true",
           help="only serve the demo, until Ctrl-C, and print a command to try")
    option("--list", action="store_true", help="list the demos and exit")
    option("--verbose", action="store_true",
           help="show the server's start-up and shutdown, request headers")
    option("--step", action="store_true",
           help="pause between phases until Enter (a line on stdin)")
    option("--light", action="store_true", help="colours for a light screen")
    option("--replay", action="store_true",
           help="print the demo's recording (of its run on --http, if "
           "given), paced: no server, no network")
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
    colours = theme("light" if args.light else "dark")
    console = Console(highlight=False, theme=colours)
    if args.list:
        print_demos(console)
        return 0
    errors = Console(stderr=True, highlight=False, soft_wrap=True,
                     theme=colours)
    demo = BY_NAME.get(args.name or "")
    if args.name is None:
        cli.print_usage(sys.stderr)
    elif demo is None:
        errors.print(f"Unknown demo: {args.name!r}.", style="bad")
    else:
        for option, demos, why in REFUSALS:
            if getattr(args, option) is not None and demo.name not in demos:
                applies = f"--{option} applies to {', '.join(demos)}"
                message = f"The demo {demo.name!r} {why}; {applies}."
                errors.print(message, style="bad")
                return 2
        if args.replay:  # its module comes with the recordings
            from scripts.transcripts.replay import replay

            return replay(demo.name, console, args.step, http=args.http)
        try:
            secret = clients.token(demo)
        except SystemExit as exc:  # the demo refuses its settings
            errors.print(str(exc), style="bad")
            return 2
        timeline = Timeline(console, args.verbose, args.step, secret)
        settings = args.port, args.interval, args.http
        observe = demo.transport == "http" and not args.serve
        server = live.Server(demo, *settings, timeline, observe)
        return asyncio.run(interruptible(show(server, args.serve)))
    print_demos(errors)
    return 2
