"""A demo's run: its server and its client in one timeline, or its recording
replayed. Typed in a terminal (``make demo``), it pages (``--step``): each
phase on a clear screen, Enter goes on; piped or recorded, it does not.
Ctrl-C stops the output at once, the server too, in one line, exit 0."""

import argparse
import asyncio
import signal
from collections.abc import Awaitable

import h11
import websockets as ws
from h2.exceptions import H2Error
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from demos.catalog import Demo
from scripts.live import PORT
from scripts.live.clients import Client, ClientError, Outcome, client
from scripts.live.replay import replay
from scripts.live.server import DemoServer, ServerError
from scripts.live.timeline import Timeline, interactive, keys_hidden, style

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
CLIENT_ERRORS = (  # reported rather than raised; TimeoutError is an OSError
    ClientError, OSError, h11.ProtocolError, H2Error, ws.WebSocketException,
)
ERASE = "\r\x1b[K"  # back to column 0, the row erased: the prompt, or ^C


async def show(server: DemoServer, script: Client) -> int:
    """Serve the demo, run its client, stop, sum up."""
    demo, timeline, outcome = server.demo, server.timeline, None
    console = timeline.console
    timeline.clear()
    console.rule(Text.assemble((demo.name, "title"), " · ", demo.slide))
    timeline.command(server.command)
    for note in server.notes:
        console.print(Text(note, "detail"))
    try:
        await server.start()
        await timeline.pause()
        outcome = await script(server)
    except ServerError as exc:
        error = str(exc)
    except CLIENT_ERRORS as exc:
        what = f"{type(exc).__name__}: {exc}".removesuffix(": ")
        error = f"The client failed: {what}"
    finally:
        await server.stop()
    if outcome is None:
        console.print(Text(f"\nError: {timeline.mask(error)}", style="bad"))
        return 1
    await timeline.pause()
    console.print("", summary(server, outcome))
    return 0 if outcome.ok else 1


def summary(server: DemoServer, outcome: Outcome) -> Panel:
    """What the run shows: the slide's point, on the server it ran on, and
    what the client measured, and the observer (its own, not the demo's:
    the command shown does not observe)."""
    demo, findings = server.demo, Table.grid(padding=(0, 1))
    said = [*outcome.findings]
    if demo.transport == "http" and (seen := server.observations):
        said.append(f"Observed by the runner: {seen[-1]}.")
    elif demo.transport == "http":
        said.append("The runner observed no HTTP request in the server.")
    for finding in said:
        findings.add_row("•", finding)
    point = (server.http and demo.oserror) or demo.summary
    body = Group(Text(point, style="title"), findings)
    return Panel(body, title="What this shows", border_style=style(outcome.ok))


async def interruptible(
    main: Awaitable[int], console: Console, server: DemoServer | None = None
) -> int:
    """Run ``main``. A first Ctrl-C, SIGTERM or SIGHUP mutes the timeline,
    forces the server out (uvicorn's second SIGINT), cancels ``main`` and
    says so in one line; 0 once the server is gone: a clean stop, which
    ``make`` does not report as an error."""
    task, loop = asyncio.current_task(), asyncio.get_running_loop()
    assert task is not None
    why = ""

    def interrupt(signum: int) -> None:
        nonlocal why
        for each in SIGNALS:
            loop.add_signal_handler(each, lambda: None)
        why = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(
            signum).name
        if server is not None:  # its stop (show's) forces it out at once
            server.timeline.muted = server.hurry = True
        task.cancel()

    for signum in SIGNALS:
        loop.add_signal_handler(signum, interrupt, signum)
    try:
        return await main
    except asyncio.CancelledError:
        task.uncancel()
        gone = server is None or await server.stop(now=True)
        if console.is_terminal:
            console.file.write(ERASE)
        said = "" if server is None else "; the server is gone" if gone else (
            "; the server is still running")
        console.print(Text(f"Stopped: {why}{said}.", "runner"))
        return 0 if gone else 1


def run(
    demo: Demo, args: argparse.Namespace, console: Console, errors: Console
) -> int:
    """Run ``demo`` as ``args`` say (cli.py), or replay it."""
    step = args.step
    if step is None:
        step = interactive() and not args.record
    if args.replay:
        with keys_hidden(step):
            return asyncio.run(interruptible(
                replay(demo.name, console, step, http=args.http,
                       light=args.light), console))
    secret = ""
    if demo.name == "ws_with_token":  # its token, masked: ***
        try:
            from demos.ws_with_token import TOKEN  # DEMO_TOKEN overrides it
        except SystemExit as exc:  # the demo refuses its settings
            errors.print(str(exc), style="bad", soft_wrap=True)
            return 2
        secret = TOKEN
    script, pages = client(demo)
    timeline = Timeline(console, demo.name, pages, args.verbose, step,
                        secret, args.record)
    server = DemoServer(demo, args.port, args.interval, args.http, timeline,
                        shown_port=PORT if args.record else None)
    with keys_hidden(step):
        return asyncio.run(interruptible(show(server, script), console, server))
