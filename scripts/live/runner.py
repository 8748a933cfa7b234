"""A demo's run: its server and client in one timeline; or its recording
replayed (``make replay``): no server, no network. In a terminal it pages
(``--step``); Ctrl-C stops output and server at once, in one line, exit 0."""

import argparse
import asyncio
import re
import signal
import sys
from collections.abc import Awaitable
from pathlib import Path

import h11
import websockets as ws
from h2.exceptions import H2Error
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from demos.catalog import Demo
from scripts.common import ROOT, InputError, shown
from scripts.live.cli import PORT
from scripts.live.clients import Client, ClientError, client
from scripts.live.server import DemoServer, ServerError
from scripts.live.timeline import Timeline, keys_hidden
from scripts.style import PALETTES
from scripts.transcripts import RECORDINGS, Recording, load, pages, path

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
CLIENT_ERRORS = (  # reported rather than raised; TimeoutError is an OSError
    ClientError, OSError, h11.ProtocolError, H2Error, ws.WebSocketException,
)
ERASE = "\r\x1b[K"  # back to column 0, the row erased: the prompt, or ^C
HEX = re.compile(r"#[0-9a-fA-F]{6}")
# A recording's colours are the dark palette's, each its own style's.
LIGHT = {PALETTES["dark"][name].split()[-1]: spec.split()[-1]
         for name, spec in PALETTES["light"].items()}


async def show(server: DemoServer, script: Client) -> int:
    """Serve the demo, run its client, stop, and sum up what the run shows."""
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
    findings = Table.grid(padding=(0, 1))
    if demo.transport == "http":
        seen = server.observations[-1:]
        outcome.findings.append(
            f"Observed by the runner: {seen[0]}." if seen
            else "The runner observed no HTTP request in the server.")
    for finding in outcome.findings:
        findings.add_row("•", finding)
    point = Text((server.http and demo.oserror) or demo.summary, "title")
    console.print("", Panel(Group(point, findings), title="What this shows",
                            border_style="ok" if outcome.ok else "bad"))
    return 0 if outcome.ok else 1


async def replay(
    name: str, console: Console, step: bool, root: Path = ROOT,
    http: str | None = None, light: bool = False,
) -> int:
    """Print the recording of ``name`` (on ``--http http``, if given), in
    the dark or the ``light`` palette; 2 if there is none or it is bad."""
    recording, rows = Recording(name, http), []
    file = shown(path(root, recording.stem), root)
    run = f"{name!r}" + ("" if http is None else f" on --http {http}")
    if recording not in RECORDINGS:  # whatever the folder holds
        ran = ", ".join(r.name for r in RECORDINGS if r.http == http)
        why = f"No recording of {run}: `make transcripts` records {ran} on it."
    else:
        try:
            rows, why = load(recording.stem, root), ""
        except FileNotFoundError:
            why = f"No recording of {run}: {file} is missing: run `make "
            why += "transcripts`."
        except (OSError, InputError) as error:
            why = f"Cannot replay {run}: {error}"
    if why:
        print(why, file=sys.stderr)
        return 2
    timeline = Timeline(console, name, len(pages(rows)), step=step)
    timeline.clear()
    for index, row in enumerate(rows):
        if row.breaks:
            await timeline.pause()
            continue
        await asyncio.sleep(row.delay)
        if index == 0 and row.text.plain.startswith("─"):  # the title rule
            said = f"a replay of {file}, no server"
            if len(f"{name} · {said}") <= console.width - 4:  # Rich's rule
                said = f"{name} · {said}"  # else it would cut the title
            console.rule(Text(said, "title"))  # says so, in the same row
            continue
        markup = row.markup
        if light:
            markup = HEX.sub(lambda m: LIGHT.get(m[0].lower(), m[0]), markup)
        console.print(Text.from_markup(markup), soft_wrap=True)
    return 0


async def interruptible(
    main: Awaitable[int], console: Console, server: DemoServer | None = None
) -> int:
    """Run ``main``. A first Ctrl-C, SIGTERM or SIGHUP mutes the timeline,
    forces the server out, cancels ``main`` and says so in one line; 0 once
    the server is gone (a clean stop: ``make`` reports no error)."""
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
        gone = server is None or await server.stop()
        if console.is_terminal:
            console.file.write(ERASE)
        if server is not None:
            why += f"; the server is {'gone' if gone else 'still running'}"
        console.print(Text(f"Stopped: {why}.", "runner"))
        return 0 if gone else 1


def run(
    demo: Demo, args: argparse.Namespace, console: Console, errors: Console
) -> int:
    """Run ``demo`` as ``args`` say (cli.py), or replay it."""
    step = args.step  # default: someone watches, and can press Enter
    if step is None:
        step = sys.stdin.isatty() and sys.stdout.isatty() and not args.record
    server = None
    if args.replay:
        main = replay(demo.name, console, step, http=args.http,
                      light=args.light)
    else:
        try:
            script, page_count, secret = client(demo)
        except SystemExit as exc:  # the demo refuses its settings
            errors.print(str(exc), style="bad", soft_wrap=True)
            return 2
        timeline = Timeline(console, demo.name, page_count, args.verbose,
                            step, secret, args.record)
        server = DemoServer(demo, args.port, args.interval, args.http,
                            timeline, PORT if args.record else None)
        main = show(server, script)
    with keys_hidden(step):
        return asyncio.run(interruptible(main, console, server))
