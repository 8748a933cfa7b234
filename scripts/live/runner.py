"""Run a demo live: its server, a scripted client, and one timeline of both.

``python -m demos NAME`` starts uvicorn for the demo in a subprocess, runs a
real network client against it, and draws what the client sent and received
interleaved with what the server logged, each line stamped from the start.
"""

import asyncio
import base64
import contextlib
import hashlib
import importlib
import logging
import os
import re
import shlex
import signal
import socket
import sys
import time
from collections.abc import (
    Awaitable,
    Callable,
    Coroutine,
    Iterable,
    Iterator,
)
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h11
from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidStatus,
    WebSocketException,
)
from websockets.http11 import Response

from demos.catalog import DEMOS, Demo, Transport

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 10.0  # seconds for the server to accept connections
IO_TIMEOUT = 5.0  # seconds for any one network wait
STOP_TIMEOUT = 3.0  # seconds for the server to exit after SIGINT
DRAIN_TIMEOUT = 2.0  # seconds to collect the server's last lines
CHUNKS_BEFORE_LEAVING = 3  # body chunks read before hanging up mid-stream
WATCH_DELAYS = 15  # delays watched after the client left: 3 s at 0.2 s
WRONG_GUESS = "guess"
SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

T = TypeVar("T")


class ServerError(Exception):
    """The server did not start, or did not stay up."""


class ClientError(Exception):
    """The scripted client could not complete its exchange."""


# Failures of a scripted client, reported rather than raised.
CLIENT_ERRORS = (
    ClientError,
    OSError,  # includes TimeoutError
    h11.ProtocolError,
    h2.exceptions.H2Error,
    WebSocketException,
)


# -- Commands ---------------------------------------------------------------


def python_command() -> str:
    """This interpreter, spelled so the speaker can retype it."""
    executable = Path(sys.executable)
    with contextlib.suppress(ValueError):
        return str(executable.relative_to(Path.cwd()))
    return "python"


def server_args(
    demo: Demo, port: int, interval: float | None = None
) -> list[str]:
    """The arguments that serve ``demo`` with uvicorn.

    With ``interval``, the demo's pace constant is set to it in the server
    process before uvicorn starts; the slide's code is left as it is.
    """
    options = ["--host", HOST, "--port", str(port), *demo.server_args]
    if interval is None:
        return ["-m", "uvicorn", demo.target, *options]
    module, name = pace_constant(demo)
    code = (
        f"import uvicorn, {module}; "
        f"{module}.{name} = {interval!r}; uvicorn.main()"
    )
    return ["-c", code, demo.target, *options]


def pace_constant(demo: Demo) -> tuple[str, str]:
    """The module and the name of the constant that paces ``demo``."""
    module, _, name = demo.pace.rpartition(".")
    if not module:
        raise ValueError(f"the demo {demo.name!r} sends at no set interval")
    return module, name


def paced_demos() -> list[str]:
    """The demos whose interval ``--interval`` can change."""
    return [demo.name for demo in DEMOS if demo.pace]


def demo_interval(demo: Demo) -> float:
    """The seconds between the sends of ``demo``, as its module sets them."""
    module, name = pace_constant(demo)
    value = getattr(importlib.import_module(module), name)
    assert isinstance(value, float), f"{demo.pace} is not a float"
    return value


def try_command(demo: Demo, port: int) -> str:
    """A command that talks to the served demo from another terminal."""
    if demo.transport == "websocket":
        url = f"ws://{HOST}:{port}{demo.path}"
        if demo.name == "ws_with_token":
            url += f"?token={quote(demo_token())}"
        return shlex.join([python_command(), "-m", "websockets", url])
    url = f"http://{HOST}:{port}{demo.path}"
    if demo.transport == "http2":
        return shlex.join([
            "curl", "-v", "--http2-prior-knowledge",
            "-H", "TE: trailers", url,
        ])
    return shlex.join(["curl", "-N", url])


def demo_token() -> str:
    """The token ``ws_with_token`` accepts (``DEMO_TOKEN`` overrides it)."""
    from demos.ws_with_token import TOKEN

    return TOKEN


def port_is_free(port: int) -> bool:
    """Whether uvicorn could listen on ``port``."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


# -- Timeline ---------------------------------------------------------------

WHO_STYLE = {"client": "bold cyan", "server": "bold magenta", "runner": "dim"}
# Server lines that look alarming on a projector but are known server bugs.
KNOWN_ISSUES = {
    "ASGI callable returned without completing handshake.": (
        "uvicorn 0.54's websockets-sansio logs this after every denial "
        "response, though the client got all of it (uvicorn PR #3138)"
    ),
}
LEVEL_STYLE = {"INFO": "green", "WARNING": "yellow", "ERROR": "bold red"}
LOG_LINE = re.compile(r"(?P<level>[A-Z]+):\s+(?P<message>.*)")


def status_text(code: int, reason: str) -> Text:
    """An HTTP status, green when it went through, red when refused."""
    style = "bold green" if code < 400 else "bold red"
    return Text(f"{code} {reason}".strip(), style=style)


def header_lines(headers: Iterable[tuple[str, str]]) -> list[str]:
    """``name: value`` lines, as they read on the wire."""
    return [f"{name}: {value}" for name, value in headers]


def as_text(value: str | bytes) -> str:
    """A header name or value as text."""
    return value.decode("latin-1") if isinstance(value, bytes) else value


class Timeline:
    """Client events and server lines, in arrival order, stamped."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.start = time.monotonic()

    def now(self) -> float:
        """Seconds since the start."""
        return time.monotonic() - self.start

    def sent(self, what: str | Text, details: Iterable[str] = ()) -> None:
        """The client sent something."""
        self._row(self.now(), "client", "→", what, details)

    def received(self, what: str | Text, details: Iterable[str] = ()) -> None:
        """The client received something."""
        self._row(self.now(), "client", "←", what, details)

    def note(self, what: str | Text, details: Iterable[str] = ()) -> None:
        """Something the client did or checked."""
        self._row(self.now(), "client", "•", what, details)

    def detail(self, line: str) -> None:
        """One more line for the row above."""
        self._row(None, "", "", Text(f"  {line}", style="dim"))

    def runner(self, what: str) -> None:
        """Something this runner did to the server."""
        self._row(self.now(), "runner", "»", Text(what, style="dim"))

    def server(self, line: str, at: float) -> None:
        """One line of the server's output: uvicorn's log or the app's."""
        match = LOG_LINE.fullmatch(line)
        if match is None:
            body = Text(line, style="bold yellow")  # the app's own print()
        else:
            level = match["level"]
            body = Text.assemble(
                (level, LEVEL_STYLE.get(level, "")), " ", match["message"]
            )
            if known := KNOWN_ISSUES.get(match["message"]):
                body.append(f"\n  ↳ known issue: {known}", style="dim")
        self._row(at, "server", "│", body)

    def _row(
        self,
        at: float | None,
        who: str,
        mark: str,
        what: str | Text,
        details: Iterable[str] = (),
    ) -> None:
        body = Text(what) if isinstance(what, str) else what.copy()
        for line in details:
            body.append(f"\n  {line}", style="dim")
        style = WHO_STYLE.get(who, "")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", width=9, style="dim")
        grid.add_column(width=6, style=style)
        grid.add_column(width=1, style=style)
        grid.add_column()
        stamp = "" if at is None else f"+{at:.3f}s"
        grid.add_row(stamp, who, mark, body)
        self.console.print(grid)


# -- Server -----------------------------------------------------------------


@dataclass(frozen=True)
class LogLine:
    """One line the server wrote, and when it arrived."""

    at: float
    text: str


class Server:
    """The demo's uvicorn, run as a subprocess whose lines join the timeline."""

    def __init__(
        self,
        demo: Demo,
        port: int,
        timeline: Timeline,
        interval: float | None = None,
    ) -> None:
        self.args = server_args(demo, port, interval)
        self.port = port
        self.timeline = timeline
        self.lines: list[LogLine] = []
        self._changed = asyncio.Condition()
        self._process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def command(self) -> str:
        """The command line, as the speaker could type it."""
        return shlex.join([python_command(), *self.args])

    async def start(self) -> None:
        """Launch uvicorn, unbuffered, in its own process group."""
        self._process = await asyncio.create_subprocess_exec(
            sys.executable, *self.args,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            # Ctrl-C reaches this runner only; it then stops the server.
            process_group=0,
        )
        assert self._process.stdout is not None
        self._reader = asyncio.create_task(self._read(self._process.stdout))

    def announced(self) -> bool:
        """Whether uvicorn said it listens on our port: it, not another."""
        running = f"Uvicorn running on http://{HOST}:{self.port} "
        return any(running in line.text for line in self.lines)

    async def wait_ready(self) -> None:
        """Wait until uvicorn says it listens and the port accepts."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT
        while True:
            code = self.process.returncode
            if code is not None:
                await self._drain()
                raise ServerError(
                    f"The server exited with code {code} before accepting "
                    "connections; its output is above."
                )
            if self.announced():
                with contextlib.suppress(OSError):
                    async with asyncio.timeout(1.0):
                        _, writer = await asyncio.open_connection(
                            HOST, self.port
                        )
                    writer.close()
                    await writer.wait_closed()
                    return
            if loop.time() > deadline:
                raise ServerError(
                    f"The server did not accept connections on port "
                    f"{self.port} within {READY_TIMEOUT:.0f} s; "
                    "its output is above."
                )
            await asyncio.sleep(0.05)

    async def wait(self) -> int:
        """Wait for the server to exit on its own; return its exit code."""
        return await self.process.wait()

    async def stop(self) -> None:
        """Ask the server to shut down (SIGINT), then insist (SIGKILL)."""
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            self.timeline.runner("Stopping the server (SIGINT)")
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                self.timeline.runner(
                    f"Still running after {STOP_TIMEOUT:.0f} s: "
                    "killing it (SIGKILL)"
                )
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        await self._drain()
        code = process.returncode
        self.timeline.runner(f"The server exited with code {code}")

    def kill(self) -> None:
        """Last resort, outside the event loop: never leave uvicorn behind."""
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)

    async def wait_for(
        self, find: Callable[[], T | None], seconds: float
    ) -> T | None:
        """Wait until ``find()`` finds something in the lines, or give up."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds), self._changed:
                await self._changed.wait_for(lambda: find() is not None)
        return find()

    def lines_since(self, at: float, prefix: str) -> list[LogLine]:
        """The lines that start with ``prefix`` and arrived after ``at``."""
        return [
            line for line in self.lines
            if line.at > at and line.text.startswith(prefix)
        ]

    def nth_line(self, prefix: str, number: int) -> LogLine | None:
        """The ``number``-th line starting with ``prefix``, once it came."""
        lines = self.lines_since(0.0, prefix)
        return lines[number - 1] if len(lines) >= number else None

    @property
    def process(self) -> asyncio.subprocess.Process:
        """The running subprocess."""
        if self._process is None:
            raise ServerError("The server was not started.")
        return self._process

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while raw := await stream.readline():
            text = raw.decode(errors="replace").rstrip()
            line = LogLine(self.timeline.now(), text)
            self.timeline.server(line.text, line.at)
            async with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    async def _drain(self) -> None:
        """Let the last lines of output reach the timeline."""
        if self._reader is None:
            return
        try:
            await asyncio.wait_for(self._reader, DRAIN_TIMEOUT)
        except TimeoutError:
            self.timeline.runner("The server's output did not end; moving on")


# -- Session ----------------------------------------------------------------


@dataclass
class Outcome:
    """What the scripted client measured, for the closing summary."""

    findings: list[str] = field(default_factory=list)
    ok: bool = True


@dataclass
class Session:
    """One demo on one port: the server, the timeline and the console."""

    demo: Demo
    port: int
    console: Console
    interval: float | None = None  # overrides the demo's own pace
    timeline: Timeline = field(init=False)
    server: Server = field(init=False)

    def __post_init__(self) -> None:
        self.timeline = Timeline(self.console)
        self.server = Server(
            self.demo, self.port, self.timeline, self.interval
        )

    def pace(self) -> float:
        """Seconds between the app's sends, in this run."""
        if self.interval is not None:
            return self.interval
        return demo_interval(self.demo)

    def show_header(self) -> None:
        """The demo's name and slide, then the server command."""
        title = Text.assemble(
            (self.demo.name, "bold"), " · ", (self.demo.slide, "italic")
        )
        self.console.rule(title)
        self.console.print(
            Text(f"$ {self.server.command}", style="bold green"),
            soft_wrap=True,
        )
        if self.interval is not None:
            self.console.print(
                Text(
                    f"Paced for this run: {self.demo.pace} = "
                    f"{self.interval:g} s in the server, not the slide's.",
                    style="dim",
                )
            )
        self.console.print()

    def show_summary(self, outcome: Outcome) -> None:
        """What the demo proves, and what was measured to show it."""
        findings = Table.grid(padding=(0, 1))
        findings.add_column()
        findings.add_column()
        for finding in outcome.findings:
            findings.add_row("•", finding)
        body = Group(Text(self.demo.summary, style="bold"), findings)
        style = "green" if outcome.ok else "red"
        self.console.print()
        self.console.print(
            Panel(body, title="What this shows", border_style=style)
        )

    def show_try(self, command: str) -> None:
        """The command to type in another terminal, ready to copy."""
        self.console.print()
        self.console.print(Text("In another terminal, try:", style="bold"))
        self.console.print(
            Text(f"$ {command}", style="bold green"), soft_wrap=True
        )
        self.console.print(Text("Press Ctrl-C to stop.", style="dim"))
        self.console.print()

    def fail(self, message: str) -> None:
        """Report why the demo could not be shown."""
        self.console.print()
        self.console.print(Text(f"Error: {message}", style="bold red"))

    async def start_server(self) -> None:
        """Start the server and wait until it accepts connections."""
        if not port_is_free(self.port):
            raise ServerError(
                f"Port {self.port} is already in use; "
                "choose another one with --port."
            )
        await self.server.start()
        await self.server.wait_ready()
        self.timeline.runner(f"The server accepts connections on {self.port}")


async def play(session: Session) -> int:
    """Serve the demo, run its scripted client, then stop the server."""
    demo = session.demo
    script = SCRIPTS.get(demo.name, DEFAULT_SCRIPTS[demo.transport])
    session.show_header()
    outcome: Outcome | None = None
    error = ""
    try:
        await session.start_server()
        outcome = await script(session)
    except ServerError as exc:
        error = str(exc)
    except CLIENT_ERRORS as exc:
        error = f"The client failed: {describe(exc)}"
    except asyncio.CancelledError:
        session.timeline.runner("Interrupted")
        raise
    finally:
        await session.server.stop()
    if outcome is None:
        session.fail(error)
        return 1
    session.show_summary(outcome)
    return 0 if outcome.ok else 1


async def serve_until_stopped(session: Session) -> int:
    """Serve the demo until Ctrl-C, showing how to try it meanwhile."""
    command = try_command(session.demo, session.port)
    session.show_header()
    try:
        await session.start_server()
        session.show_try(command)
        code = await session.server.wait()
        error = f"The server exited on its own with code {code}."
    except ServerError as exc:
        error = str(exc)
    except asyncio.CancelledError:
        uncancel()
        session.timeline.runner("Ctrl-C")
        return 0
    finally:
        await session.server.stop()
    session.fail(error)
    return 1


def describe(exc: BaseException) -> str:
    """An exception as one readable line."""
    message = str(exc)
    name = type(exc).__name__
    return f"{name}: {message}" if message else name


# -- Running ----------------------------------------------------------------


def run(
    demo: Demo,
    port: int,
    *,
    serve: bool = False,
    interval: float | None = None,
) -> int:
    """Show ``demo`` live (or just serve it); return the exit code.

    ``interval`` replaces the seconds between the app's sends (its pace
    constant, see ``Demo.pace``) in the server process.
    """
    session = Session(demo, port, Console(highlight=False), interval)
    main = serve_until_stopped if serve else play
    try:
        return asyncio.run(interruptible(main(session)))
    finally:
        session.server.kill()


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
    task = asyncio.current_task()
    if task is not None:
        task.uncancel()


def print_demos(console: Console) -> None:
    """A table of the demos: name, slide and what each one shows."""
    table = Table(box=box.SIMPLE_HEAD, show_lines=True, title="Demos")
    table.add_column("Name", style="bold cyan", no_wrap=True)
    table.add_column("Slide, and what it shows")
    for demo in DEMOS:
        table.add_row(
            demo.name,
            Text.assemble((demo.slide, "italic"), "\n", demo.summary),
        )
    console.print(table)
    console.print(
        "Run one: python -m demos NAME [--port N] [--serve] [--interval S]",
        style="dim",
    )


# -- HTTP/1.1 clients (h11) -------------------------------------------------


class Http1Connection:
    """An h11 client connection over asyncio streams."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT)

    @classmethod
    async def open(cls, port: int) -> "Http1Connection":
        """Connect to the server."""
        async with asyncio.timeout(IO_TIMEOUT):
            reader, writer = await asyncio.open_connection(HOST, port)
        return cls(reader, writer)

    async def get(self, timeline: Timeline, path: str, port: int) -> None:
        """Send ``GET path`` and show it."""
        headers = [("host", f"{HOST}:{port}")]
        self.send(h11.Request(method="GET", target=path, headers=headers))
        self.send(h11.EndOfMessage())
        await self.writer.drain()
        timeline.sent(f"GET {path} HTTP/1.1", header_lines(headers))

    async def response(self, timeline: Timeline) -> h11.Response:
        """Read the response head and show it."""
        event = await self.next_event()
        if not isinstance(event, h11.Response):
            raise ClientError(f"expected a response, got {event!r}")
        version = event.http_version.decode()
        timeline.received(
            Text.assemble(
                f"HTTP/{version} ",
                status_text(event.status_code, event.reason.decode()),
            ),
            header_lines((as_text(n), as_text(v)) for n, v in event.headers),
        )
        return event

    def send(self, event: h11.Event) -> None:
        """Queue an event's bytes."""
        data = self.h11.send(event)
        if data:
            self.writer.write(data)

    async def next_event(self) -> h11.Event:
        """The next event from the server, reading as needed."""
        while True:
            event = self.h11.next_event()
            if event is h11.NEED_DATA:
                async with asyncio.timeout(IO_TIMEOUT):
                    data = await self.reader.read(65536)
                self.h11.receive_data(data)
            elif isinstance(event, h11.Event):
                return event
            else:
                raise ClientError(f"unexpected h11 state {event!r}")

    async def close(self) -> None:
        """Hang up."""
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


async def get_once(session: Session) -> Outcome:
    """A plain GET: status, headers, body."""
    timeline = session.timeline
    connection = await Http1Connection.open(session.port)
    try:
        await connection.get(timeline, session.demo.path, session.port)
        response = await connection.response(timeline)
        body = b""
        while isinstance(event := await connection.next_event(), h11.Data):
            timeline.received(f"body {bytes(event.data)!r}")
            body += event.data
        if isinstance(event, h11.EndOfMessage) and event.headers:
            trailers = [(as_text(n), as_text(v)) for n, v in event.headers]
            timeline.received("trailers", header_lines(trailers))
        timeline.note("end of response")
    finally:
        await connection.close()
    reason = response.reason.decode()
    return Outcome([
        f"GET {session.demo.path} answered {response.status_code} {reason} "
        f"with body {body!r}."
    ])


async def leave_mid_stream(session: Session) -> Outcome:
    """Read a few chunks, hang up, and watch what the app does next."""
    timeline, server = session.timeline, session.server
    connection = await Http1Connection.open(session.port)
    try:
        await connection.get(timeline, session.demo.path, session.port)
        await connection.response(timeline)
        for _ in range(CHUNKS_BEFORE_LEAVING):
            event = await connection.next_event()
            if not isinstance(event, h11.Data):
                raise ClientError(f"the body ended early: {event!r}")
            timeline.received(f"body {bytes(event.data)!r}")
        # The app prints before it sends: let those lines arrive first.
        await server.wait_for(
            lambda: server.nth_line("Sending", CHUNKS_BEFORE_LEAVING),
            IO_TIMEOUT,
        )
    finally:
        await connection.close()
    left = timeline.now()
    timeline.note(
        Text("Hangs up mid-stream (closes the socket)", style="bold")
    )
    watch = WATCH_DELAYS * session.pace()
    with session.console.status(f"Watching the server for {watch:.1f} s…"):
        await asyncio.sleep(watch)
    return Outcome(after_leaving(server, left, watch))


def after_leaving(server: Server, left: float, watch: float) -> list[str]:
    """What the app printed in the ``watch`` seconds after the client left."""
    count = len(server.lines_since(left, "Sending"))
    lines = plural(count, "more 'Sending' line")
    findings = [
        f"After the client left, the app printed {lines} in {watch:.1f} s."
    ]
    noticed = server.lines_since(left, "Client disconnected")
    if noticed:
        delay = noticed[0].at - left
        findings.append(
            f"It printed 'Client disconnected' {delay:.3f} s after."
        )
    else:
        findings.append("It never printed 'Client disconnected'.")
    return findings


# -- HTTP/2 client (h2) -----------------------------------------------------


async def get_with_trailers(session: Session) -> Outcome:
    """GET over HTTP/2 with ``te: trailers``; check the Content-MD5."""
    timeline = session.timeline
    async with asyncio.timeout(IO_TIMEOUT):
        reader, writer = await asyncio.open_connection(HOST, session.port)
    try:
        body, trailers = await exchange_h2(session, reader, writer)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return check_content_md5(timeline, body, trailers)


async def exchange_h2(
    session: Session,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> tuple[bytes, dict[str, str]]:
    """One request on stream 1; return the body and the trailers."""
    timeline = session.timeline
    connection = h2.connection.H2Connection(
        h2.config.H2Configuration(client_side=True, header_encoding="utf-8")
    )
    connection.initiate_connection()
    stream_id = connection.get_next_available_stream_id()
    headers = [
        (":method", "GET"),
        (":scheme", "http"),
        (":authority", f"{HOST}:{session.port}"),
        (":path", session.demo.path),
        ("te", "trailers"),
    ]
    connection.send_headers(stream_id, headers, end_stream=True)
    writer.write(connection.data_to_send())
    shown = [(n, v) for n, v in headers if n in (":authority", "te")]
    timeline.sent(
        f"GET {session.demo.path} HTTP/2 (prior knowledge)",
        header_lines(shown),
    )
    body = b""
    trailers: dict[str, str] = {}
    ended = False
    while not ended:
        async with asyncio.timeout(IO_TIMEOUT):
            data = await reader.read(65536)
        if not data:
            raise ClientError("the server closed the connection")
        for event in connection.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                show_h2_response(timeline, event.headers)
            elif isinstance(event, h2.events.DataReceived) and event.data:
                body += event.data
                connection.acknowledge_received_data(
                    event.flow_controlled_length, stream_id
                )
                timeline.received(f"DATA {event.data!r}")
            elif isinstance(event, h2.events.TrailersReceived):
                pairs = [(as_text(n), as_text(v)) for n, v in event.headers]
                trailers.update(pairs)
                timeline.received(
                    Text("trailers", style="bold"), header_lines(pairs)
                )
            elif isinstance(event, h2.events.StreamEnded):
                ended = True
            elif isinstance(event, h2.events.StreamReset):
                raise ClientError(f"stream reset: {event.error_code!r}")
        writer.write(connection.data_to_send())
    timeline.note("end of stream")
    connection.close_connection()
    writer.write(connection.data_to_send())
    return body, trailers


def show_h2_response(
    timeline: Timeline, headers: Iterable[tuple[str | bytes, str | bytes]]
) -> None:
    """The response HEADERS frame: status, then the other fields."""
    pairs = [(as_text(n), as_text(v)) for n, v in headers]
    status = next((v for n, v in pairs if n == ":status"), "?")
    fields = [(n, v) for n, v in pairs if not n.startswith(":")]
    timeline.received(
        Text.assemble("HTTP/2 ", status_text(int(status), "")),
        header_lines(fields),
    )


def check_content_md5(
    timeline: Timeline, body: bytes, trailers: dict[str, str]
) -> Outcome:
    """Compare the trailer with the MD5 this client computes itself."""
    computed = base64.b64encode(hashlib.md5(body).digest()).decode()
    trailer = trailers.get("content-md5")
    if trailer is None:
        timeline.note(Text("No content-md5 trailer arrived", style="bold red"))
        return Outcome([f"Body {body!r}, but no content-md5 trailer."], False)
    ok = trailer == computed
    verdict = "matches" if ok else "MISMATCH"
    timeline.note(
        Text.assemble(
            "content-md5 ", (verdict, "bold green" if ok else "bold red")
        ),
        [f"computed: base64(md5(body)) = {computed}"],
    )
    return Outcome(
        [
            f"Body {body!r}, {len(body)} bytes.",
            f"Trailer content-md5 {trailer}: {verdict} the MD5 of the body "
            "computed by the client"
            + ("." if ok else f", {computed}."),
        ],
        ok=ok,
    )


# -- WebSocket clients (websockets) -----------------------------------------

# How an accepted connection is used; returns what happened, in brief.
OnOpen = Callable[[Session, ClientConnection], Awaitable[str]]
SHOWN_REQUEST_HEADERS = {"host", "upgrade", "connection"}


class ShowHandshake(logging.Handler):
    """Show the handshake request as websockets sends it (its debug log)."""

    def __init__(self, timeline: Timeline) -> None:
        super().__init__(logging.DEBUG)
        self.timeline = timeline
        self.in_request = False

    def emit(self, record: logging.LogRecord) -> None:
        """Pick the request line and headers out of the debug log."""
        message = record.getMessage()
        if message.startswith("> GET "):
            self.in_request = True
            self.timeline.sent(f"{message[2:]} (WebSocket handshake)")
        elif self.in_request and re.fullmatch(r"> [\w-]+: .*", message):
            name = message[2:].partition(":")[0]
            if name.lower() in SHOWN_REQUEST_HEADERS:
                self.timeline.detail(message[2:])
        else:
            self.in_request = False


@contextlib.contextmanager
def handshake_logger(timeline: Timeline) -> Iterator[logging.Logger]:
    """A logger for websockets that shows the handshake request."""
    logger = logging.getLogger("scripts.live.runner.websockets")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    handler = ShowHandshake(timeline)
    logger.addHandler(handler)
    try:
        yield logger
    finally:
        logger.removeHandler(handler)


async def ws_attempt(
    session: Session, target: str, on_open: OnOpen
) -> list[str]:
    """Try one handshake for ``target``; return how it went, in brief."""
    uri = f"ws://{HOST}:{session.port}{target}"
    with handshake_logger(session.timeline) as logger:
        try:
            websocket = await connect(
                uri,
                proxy=None,
                compression=None,  # fewer headers to read
                logger=logger,
                open_timeout=IO_TIMEOUT,
                close_timeout=IO_TIMEOUT,
            )
        except InvalidStatus as exc:
            return [show_handshake_response(session, exc.response, "refused")]
    try:
        assert websocket.response is not None
        status = show_handshake_response(
            session, websocket.response, "accepted"
        )
        return [status, await on_open(session, websocket)]
    finally:
        await websocket.close()


def show_handshake_response(
    session: Session, response: Response, verdict: str
) -> str:
    """Show the handshake response; return its status and body, in brief."""
    body = bytes(response.body)
    details = header_lines(response.headers.raw_items())
    if verdict == "refused":
        details.append(f"body: {body!r}")
    session.timeline.received(
        Text.assemble(
            "HTTP/1.1 ",
            status_text(response.status_code, response.reason_phrase),
            f" (handshake {verdict})",
        ),
        details,
    )
    status = f"HTTP {response.status_code} {response.reason_phrase}"
    return f"{status}, body {body!r}" if verdict == "refused" else status


async def listen(session: Session, websocket: ClientConnection) -> str:
    """Receive messages until the server closes (or stays quiet)."""
    timeline = session.timeline
    messages = 0
    while True:
        try:
            async with asyncio.timeout(IO_TIMEOUT):
                message = await websocket.recv()
        except ConnectionClosed as exc:
            timeline.received(f"close {exc.rcvd or 'without a close frame'}")
            return f"{plural(messages, 'message')}, then close {exc.rcvd}"
        except TimeoutError:
            timeline.note(f"Nothing for {IO_TIMEOUT:.0f} s: closing")
            return f"{plural(messages, 'message')}, then silence"
        messages += 1
        timeline.received(f"message {message!r}")


async def leave_after_first(
    session: Session, websocket: ClientConnection
) -> str:
    """Take one message, close, and time how long the app takes to notice."""
    timeline, server = session.timeline, session.server
    async with asyncio.timeout(IO_TIMEOUT):
        message = await websocket.recv()
    timeline.received(f"message {message!r}")
    left = timeline.now()
    timeline.sent(Text("close 1000 (the client leaves)", style="bold"))
    await websocket.close()
    timeline.received(f"close {websocket.protocol.close_rcvd}")
    limit = 2 * session.pace() + 1
    waiting = f"Waiting for the app to notice (at most {limit:g} s)…"
    with session.console.status(waiting):
        line = await server.wait_for(
            lambda: first(server.lines_since(left, "Client disconnected")),
            limit,
        )
    if line is None:
        timeline.note(f"The app did not notice within {limit:g} s")
        return f"The app did not notice within {limit:g} s."
    delay = line.at - left
    timeline.note(Text(f"The app noticed {delay:.1f} s later", style="bold"))
    return f"The app printed {line.text!r} {delay:.1f} s after the client left."


def plural(count: int, noun: str) -> str:
    """``1 message``, ``2 messages``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def first(items: list[T]) -> T | None:
    """The first item, if any."""
    return items[0] if items else None


async def handshake_once(session: Session) -> Outcome:
    """One handshake; listen if it is accepted."""
    result = await ws_attempt(session, session.demo.path, listen)
    return Outcome([f"The handshake got {', '.join(result)}."])


async def token_attempts(session: Session) -> Outcome:
    """No token, a wrong token, the right token: three handshakes."""
    path, token = session.demo.path, demo_token()
    attempts = [
        ("no token", path),
        ("wrong token", f"{path}?token={quote(WRONG_GUESS)}"),
        ("right token", f"{path}?token={quote(token)}"),
    ]
    findings = []
    for number, (label, target) in enumerate(attempts, 1):
        session.timeline.note(
            Text(f"Attempt {number} of {len(attempts)}: {label}", style="bold")
        )
        result = await ws_attempt(session, target, listen)
        findings.append(f"{label.capitalize()}: {', '.join(result)}.")
    return Outcome(findings)


async def ticks_then_leave(session: Session) -> Outcome:
    """Connect, take the first tick, leave, wait for the app to notice."""
    session.pace()  # read it now: leave right after the first tick
    status, *after = await ws_attempt(
        session, session.demo.path, leave_after_first
    )
    return Outcome([f"The handshake got {status}.", *after])


# -- Which client for which demo --------------------------------------------

Script = Callable[[Session], Awaitable[Outcome]]

SCRIPTS: dict[str, Script] = {
    "streaming_response": leave_mid_stream,
    "disconnect_receive": leave_mid_stream,
    "raise_oserror": leave_mid_stream,
    "ws_with_token": token_attempts,
    "ws_disconnect": ticks_then_leave,
}

DEFAULT_SCRIPTS: dict[Transport, Script] = {
    "http": get_once,
    "http2": get_with_trailers,
    "websocket": handshake_once,
}
