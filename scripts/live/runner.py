"""``python -m scripts.live NAME``: the demo's server and client in one
timeline.
Typed in a terminal (``make demo``), it pages (``--step``): each phase on a
clear screen, Enter goes on; piped or recorded, it does not. Ctrl-C stops
the output at once, the server too, in one line, and exits 0."""

import argparse
import asyncio
import shlex
import signal
from collections.abc import Awaitable, Callable

import h11
import websockets as ws
from h2.exceptions import H2Error
from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from demos.catalog import BY_NAME, DEMOS, HTTP1, HTTP_CLASSES, PACED, Demo
from scripts.live import names
from scripts.live.clients import (
    ClientError,
    Outcome,
    get_once,
    get_with_trailers,
    leave_mid_stream,
)
from scripts.live.handshakes import one_handshake, token, token_attempts
from scripts.live.launch import seconds
from scripts.live.observe import plural
from scripts.live.pages import interactive, keys_hidden
from scripts.live.replay import replay
from scripts.live.server import (
    HOST,
    PORT,
    DemoServer,
    ServerError,
    python_command,
)
from scripts.live.timeline import Timeline, style
from scripts.style import theme

SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# The slowest pace the stage bears (no 3 s without a new row): a demo whose
# code waits longer between sends runs at this one, and says so.
STAGE_PACE = 2.0  # seconds
TRY = {  # what to type in another terminal, before the URL
    "http": ["curl", "-N"],
    "http2": ["curl", "-v", "--http2-prior-knowledge", "-H", "TE: trailers"],
    "websocket": [python_command(), "-m", "websockets"],
}
CLIENT_ERRORS = (  # reported rather than raised; TimeoutError is an OSError
    ClientError, OSError, h11.ProtocolError, H2Error, ws.WebSocketException,
)
Script = Callable[[DemoServer], Awaitable[Outcome]]
EXPORT_IT_THERE = (
    "(First export DEMO_TOKEN there: the server's token, as set here, or "
    "else the default in demos/ws_with_token.py.)"
)


def script(demo: Demo) -> tuple[Script, int]:
    """``demo``'s client, and the pauses it makes (``--step``): only where
    the server has nothing to say (between handshakes), never mid-stream."""
    if demo.name == "ws_with_token":
        return token_attempts, 2
    if demo.transport == "http":
        return (leave_mid_stream if demo.pace else get_once), 0
    return (get_with_trailers if demo.transport == "http2"
            else one_handshake), 0


def try_command(server: DemoServer) -> str:
    """What to type in another terminal, the token left to $DEMO_TOKEN."""
    demo, start = server.demo, shlex.join(TRY[server.demo.transport])
    scheme = "ws" if demo.transport == "websocket" else "http"
    url = f"{scheme}://{HOST}:{server.port}{demo.path}"
    if server.timeline.secret:
        return f'{start} "{url}?token=$DEMO_TOKEN"'
    return f"{start} {shlex.quote(url)}"


async def show(server: DemoServer, serve: bool) -> int:
    """Serve the demo, run its client (or wait for Ctrl-C), stop, sum up."""
    demo, timeline, outcome = server.demo, server.timeline, None
    console = timeline.console
    timeline.pager.clear()
    console.rule(Text.assemble((demo.name, "title"), " · ", demo.slide))
    timeline.command(server.command)
    for note in server.notes:
        console.print(Text(note, "detail"))
    try:
        await server.start()
        if serve:
            console.print(Text("In another terminal, try:", "title"))
            timeline.command(try_command(server))
            if timeline.secret:
                console.print(Text(EXPORT_IT_THERE, "detail"))
            console.print(Text("Press Ctrl-C to stop.", "detail"))
            code = await server.wait()
            error = f"The server exited on its own with code {code}."
        else:
            await timeline.pause()
            outcome = await script(demo)[0](server)
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
    for finding in [*outcome.findings, *observed(server)]:
        findings.add_row("•", finding)
    summary = demo.summary_on(server.http)
    body = Group(Text(summary, style="title"), findings)
    border = style(outcome.ok)
    console.print("", Panel(body, title="What this shows", border_style=border))
    return 0 if outcome.ok else 1


def observed(server: DemoServer) -> list[str]:
    """What the observer measured in the server (its output now drained),
    said to be the runner's: the command shown does not observe."""
    if not server.observe:
        return []
    if not (seen := server.observations):
        return ["The runner observed no HTTP request in the server."]
    last = seen[-1]
    said = f"spec_version {last.spec_version or 'not set'}"
    if last.tasks is not None:
        said += f"; the response ran in {plural(last.tasks, 'task')}"
    return [f"Observed by the runner: {said}."]


async def interruptible(server: DemoServer, main: Awaitable[int]) -> int:
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
        server.timeline.muted = True
        server.begin_stop(now=True)
        task.cancel()

    for signum in SIGNALS:
        loop.add_signal_handler(signum, interrupt, signum)
    try:
        return await main
    except asyncio.CancelledError:
        task.uncancel()
        gone = await server.stop(now=True)
        server.timeline.stopped(why, gone)
        return 0 if gone else 1


def print_demos(console: Console) -> None:
    table = Table(box=box.SIMPLE_HEAD, show_lines=True, title="Demos")
    table.add_column("Name", style="client", no_wrap=True)
    table.add_column("Slide, and what it shows")
    for demo in DEMOS:
        summary = Text.assemble((demo.slide, "italic"), "\n", demo.summary)
        table.add_row(demo.name, summary)
    hint = f"Run one: make demo NAME=<name> [HTTP={'|'.join(HTTP_CLASSES)}]"
    hint += f"; every option: {python_command()} -m scripts.live --help"
    console.print(table, Text(hint, style="detail"), sep="\n")


def port_number(value: str) -> int:
    if not 0 < (port := int(value)) < 65536:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port")
    return port


def command_line() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(
        prog=f"{python_command()} -m scripts.live",  # as typed here
        description="Serve a demo, run its client, show both in one timeline.",
    )
    option = cli.add_argument
    option("name", nargs="?", help="the demo to run")
    option("--port", type=port_number, default=PORT,
           help=f"default: {PORT}")
    option("--serve", action="store_true",
           help="only serve the demo, until Ctrl-C, and print a command to try")
    option("--list", action="store_true", help="list the demos and exit")
    option("--verbose", action="store_true",
           help="show the server's start-up and shutdown, request headers")
    option("--step", action=argparse.BooleanOptionalAction,
           help="a page per phase: clear the screen, wait for Enter between "
           "phases (default: in an interactive terminal)")
    option("--light", action="store_true", help="colours for a light screen")
    option("--replay", action="store_true",
           help="print the demo's recording (of its run on --http, if "
           "given), paced: no server, no network")
    option("--interval", type=seconds, metavar="SECONDS",
           help=f"seconds between the app's sends: {', '.join(PACED)} "
           f"(a pace over {STAGE_PACE:g} s runs at {STAGE_PACE:g} s)")
    http = "; ".join(f"{k}, {what}" for k, (_, what) in HTTP_CLASSES.items())
    option("--http", metavar=f"{{{','.join(HTTP_CLASSES)}}}",
           help=f"HTTP/1.1 demos only: {http}")
    option("--record", action="store_true", help=argparse.SUPPRESS)
    return cli


# An option, the demos it applies to, and why another demo refuses it.
REFUSALS = (
    ("interval", PACED, "sends at no set interval"),
    ("http", HTTP1, "is not served over HTTP/1.1"),
)


def refused(args: argparse.Namespace, demo: Demo, errors: Console) -> int:
    """2, said, if ``args`` do not fit ``demo``; else 0."""
    if args.http is not None and args.http not in HTTP_CLASSES:
        return names.unknown_http(errors, args.http)
    for option, demos, why in REFUSALS:
        if getattr(args, option) is not None and demo.name not in demos:
            applies = f"--{option} applies to {', '.join(demos)}"
            errors.print(f"The demo {demo.name!r} {why}; {applies}.",
                         style="bad")
            return 2
    return 0


def stage_pace(demo: Demo, interval: float | None) -> tuple[float | None, str]:
    """The pace of this run, and what for: ``--interval``, or else the
    slide's, but no slower than the stage bears (``STAGE_PACE``)."""
    if interval is None and demo.pace and demo.seconds() > STAGE_PACE:
        return STAGE_PACE, "the stage"
    return interval, "this run"


def main(argv: list[str] | None = None) -> int:
    args = command_line().parse_args(argv)
    colours = theme("light" if args.light else "dark")
    console = Console(highlight=False, theme=colours)
    if args.list:
        print_demos(console)
        return 0
    errors = Console(stderr=True, highlight=False, theme=colours)
    if args.name is None:
        return names.missing(errors, args.replay)
    if (demo := BY_NAME.get(args.name)) is None:
        return names.unknown_demo(errors, args.name, args.replay)
    if code := refused(args, demo, errors):
        return code
    step = args.step
    if step is None:
        step = interactive() and not (args.serve or args.record)
    if args.replay:
        with keys_hidden(step):
            return replay(demo.name, console, step, http=args.http)
    try:
        secret = token(demo)
    except SystemExit as exc:  # the demo refuses its settings
        errors.print(str(exc), style="bad", soft_wrap=True)
        return 2
    timeline = Timeline(console, args.verbose, step, secret, args.record)
    pauses = script(demo)[1]
    # Pages: the server up; the client's, split at its pauses; the summary.
    timeline.pager.name, timeline.pager.pages = demo.name, 3 + pauses
    interval, paced_for = stage_pace(demo, args.interval)
    server = DemoServer(
        demo, args.port, interval, args.http, timeline,
        observe=demo.transport == "http" and not args.serve,
        paced_for=paced_for, shown_port=PORT if args.record else None,
    )
    with keys_hidden(step):
        return asyncio.run(interruptible(server, show(server, args.serve)))
