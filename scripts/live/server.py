"""The demo's uvicorn, in a session of its own (Ctrl-C reaches the runner,
which stops it), and the timeline where its lines meet the client's."""

import asyncio
import contextlib
import ctypes
import os
import re
import shlex
import signal
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

import psutil
from rich.console import Console
from rich.table import Table
from rich.text import Text

from demos.catalog import HTTP_CLASSES, Demo
from scripts.net import ports, processes

HOST = ports.HOST
ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 10.0  # seconds for the server to accept connections
STOP_TIMEOUT = 3.0  # seconds for the server to exit after SIGINT
DRAIN_TIMEOUT = 2.0  # seconds to collect the server's last lines
KNOWN_ISSUES = {  # lines alarming on a projector, but known server bugs
    "ASGI callable returned without completing handshake.": "uvicorn bug "
    "(PR #3138): the client got it all",
}
LEVEL_STYLE = {"INFO": "info", "WARNING": "warning", "ERROR": "bad"}
LOG_LINE = re.compile(r"(?P<level>[A-Z]+):\s+(?P<message>.*)")
# uvicorn's start-up, shutdown and WebSocket connection lines (the access
# log says as much): shown with --verbose only.
FOLDED = re.compile(
    r"Started server|Waiting for application|Application \w+ complete"
    r"|Uvicorn running on|Shutting down$|Finished server|connection \w+"
)
Content = str | Text
Headers = Iterable[tuple[str | bytes, str | bytes]]


def style(ok: bool) -> str:  # what went as it should, or did not
    return "ok" if ok else "bad"


def status_text(code: int, reason: str) -> Text:
    return Text(f"{code} {reason}".strip(), style=style(code < 400))


def header_lines(headers: Headers) -> list[str]:
    return [
        ": ".join(x.decode("latin-1") if isinstance(x, bytes) else x for x in h)
        for h in headers
    ]


class Timeline:
    """Client events and server lines, in arrival order, stamped; with
    ``step``, ``pause()`` waits for Enter; ``secret``: shown as ***."""

    def __init__(
        self, console: Console, verbose: bool = False, step: bool = False,
        secret: str = "",
    ) -> None:
        self.console, self.start = console, time.monotonic()
        self.verbose, self.step, self.secret = verbose, step, secret

    def mask(self, text: str) -> str:
        for form in {self.secret, quote(self.secret)} - {""}:
            text = text.replace(form, "***")
        return text

    async def pause(self) -> None:
        """With ``step``: wait for a line on stdin (at its end: go on)."""
        if not self.step:
            return
        self.console.print(Text("Press Enter to go on", "runner"))
        loop, ready = asyncio.get_running_loop(), asyncio.Event()
        fd = sys.stdin.fileno()
        with contextlib.suppress(PermissionError):  # a file: read it now
            loop.add_reader(fd, ready.set)
            try:
                await ready.wait()
            finally:
                loop.remove_reader(fd)
        while os.read(fd, 1) not in (b"\n", b""):
            pass

    def now(self) -> float:
        return time.monotonic() - self.start

    def sent(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "→", what, details)

    def received(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "←", what, details)

    def note(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "•", what, details)

    def runner(self, what: str) -> None:  # what it did to the server
        self.row(self.now(), "runner", "»", Text(what, style="runner"))

    def server(self, line: str, at: float) -> None:
        """One line of the server's output: uvicorn's log or the app's."""
        if (match := LOG_LINE.fullmatch(line)) is None:
            body = Text(line, style="app")  # the app's own print()
        else:
            level, message = match["level"], match["message"]
            if not self.verbose and FOLDED.match(message):
                return
            body = Text(level, LEVEL_STYLE.get(level, "")).append(f" {message}")
            if known := KNOWN_ISSUES.get(message):
                body.append(f"\n  └ known {known}", style="detail")
        self.row(at, "server", "│", body)

    def row(
        self, at: float | None, who: str, mark: str, what: Content,
        details: Iterable[str] = (),
    ) -> None:
        body = Text(what) if isinstance(what, str) else what.copy()
        for line in details:
            if self.verbose or not line.lower().startswith("date:"):
                body.append(f"\n  {line}", style="detail")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", width=8, style="stamp")
        grid.add_column(width=8, style=who)
        grid.add_column()
        stamp = "" if at is None else f"+{at:.3f}s"
        grid.add_row(stamp, f"{who:6} {mark}", body)
        self.console.print(grid)

    def command(self, command: str) -> None:  # ready to copy
        self.console.print(Text(f"$ {command}", "command"), soft_wrap=True)


class ServerError(Exception):
    """The server did not start, or did not stay up."""


class LogLine(NamedTuple):
    at: float  # when it arrived
    text: str


PRCTL = getattr(ctypes.CDLL(None), "prctl", None)  # Linux's, else None
RUNNER = os.getpid()


def die_with_parent() -> None:
    """In the server, before uvicorn: SIGTERM once the runner is gone, even
    SIGKILLed (Linux; the thread that started it must stay: the main one)."""
    if PRCTL is not None:
        PRCTL(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != RUNNER:  # it died before prctl
        os.kill(os.getpid(), signal.SIGTERM)


def port_taken(port: int) -> str:
    """Why ``port`` is taken: its listener's PID and command, if known."""
    for conn in psutil.net_connections("tcp"):
        if conn.status == "LISTEN" and conn.laddr[1:] == (port,) and conn.pid:
            with contextlib.suppress(psutil.Error):
                command = shlex.join(psutil.Process(conn.pid).cmdline())
                return (
                    f"Port {port} is held by PID {conn.pid}: {command} — a "
                    f"leftover demo server? Stop it with `kill {conn.pid}`, "
                    "or choose --port."
                )
    return f"Port {port} is already in use; choose another one with --port."


def python_command() -> str:
    """This interpreter, spelled so the speaker can retype it."""
    with contextlib.suppress(ValueError):
        return str(Path(sys.executable).relative_to(Path.cwd()))
    return "python"


class Server:
    """The demo's uvicorn; ``interval`` replaces its pace constant in the
    server only; ``notes``: how this run differs from the slide's."""

    def __init__(
        self, demo: Demo, port: int, interval: float | None, http: str | None,
        timeline: Timeline,
    ) -> None:
        self.demo, self.port, self.interval = demo, port, interval
        self.timeline, self.lines = timeline, list[LogLine]()
        self.args, self.notes = ["-m", "uvicorn", demo.target], list[str]()
        if interval is not None:
            module, name = demo.pace_constant()
            code = f"{module}.{name} = {interval!r}; uvicorn.main()"
            self.args[:2] = ["-c", f"import uvicorn, {module}; {code}"]
            paced = f"Paced for this run: {demo.pace} = {interval:g} s"
            self.notes.append(f"{paced} in the server, not the slide's.")
        self.args += ["--host", HOST, "--port", str(port), *demo.server_args]
        if http is not None:
            protocol, what = HTTP_CLASSES[http]
            self.args += ["--http", protocol]
            self.notes.append(f"HTTP for this run: {what}.")
        self.command = shlex.join([python_command(), *self.args])
        self.process: processes.Server | None = None
        self.reader: asyncio.Task[None] | None = None
        self.changed = asyncio.Condition()

    def pace(self) -> float:  # seconds between the app's sends, this run
        return self.demo.interval() if self.interval is None else self.interval

    async def start(self) -> None:
        """Launch uvicorn, unbuffered, and wait until it accepts."""
        if not ports.bindable(self.port, reuse=True):
            raise ServerError(port_taken(self.port))
        read_end, write_end = os.pipe()
        with os.fdopen(write_end, "wb") as output:
            self.process = process = processes.Server(
                [sys.executable, *self.args], cwd=ROOT, output=output,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                preexec=die_with_parent,
            )
        stream, pipe = asyncio.StreamReader(), os.fdopen(read_end, "rb")
        await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(stream), pipe
        )
        self.reader = asyncio.create_task(self.read(stream))
        running = f"Uvicorn running on http://{HOST}:{self.port} "
        try:  # uvicorn says it listens on our port, and the port accepts
            await asyncio.to_thread(
                process.wait_ready,
                lambda: any(running in line.text for line in self.lines)
                and ports.accepting(self.port),
                READY_TIMEOUT,
            )
        except processes.StartError as exc:
            why = f"did not accept connections on port {self.port} within "
            why += f"{READY_TIMEOUT:.0f} s"
            if exc.code is not None:
                await self.drain()
                why = f"exited with code {exc.code} before accepting "
                why += "connections"
            message = f"The server {why}; its output is above."
            raise ServerError(message) from None
        self.timeline.runner(f"Server up: PID {process.pid}, port {self.port}")

    async def wait(self) -> int:
        """Wait for the server to exit on its own; its exit code."""
        assert self.process, "the server was not started"
        assert self.reader, "the server was not started"
        await asyncio.shield(self.reader)  # its output ends as it exits
        return await asyncio.to_thread(self.process.popen.wait)

    async def stop(self) -> None:
        """Ask the server to shut down (SIGINT), then insist (SIGKILL)."""
        if (process := self.process) is None:
            return
        if process.alive() and self.timeline.verbose:
            self.timeline.runner("Stopping the server (SIGINT)")
        stop = asyncio.to_thread(process.stop, signal.SIGINT, STOP_TIMEOUT)
        if (await stop).how == "SIGKILL":
            still = f"Still running after {STOP_TIMEOUT:.0f} s"
            self.timeline.runner(f"{still}: killing it (SIGKILL)")
        await self.drain()
        code = process.popen.returncode
        self.timeline.runner(f"The server exited with code {code}")

    async def wait_for(
        self, prefix: str, since: float, seconds: float, count: int = 1
    ) -> list[LogLine]:
        """Lines since ``since`` starting ``prefix``: ``count``, or fewer."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds), self.changed:
                await self.changed.wait_for(
                    lambda: len(self.lines_since(since, prefix)) >= count
                )
        return self.lines_since(since, prefix)

    def lines_since(self, at: float, prefix: str) -> list[LogLine]:
        lines = self.lines
        return [x for x in lines if x.at > at and x.text.startswith(prefix)]

    async def read(self, stream: asyncio.StreamReader) -> None:
        while raw := await stream.readline():
            text = self.timeline.mask(raw.decode(errors="replace").rstrip())
            line = LogLine(self.timeline.now(), text)
            self.timeline.server(line.text, line.at)
            async with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    async def drain(self) -> None:
        """Let the last lines of output reach the timeline."""
        if self.reader is None or self.reader.done():
            return
        try:
            await asyncio.wait_for(self.reader, DRAIN_TIMEOUT)
        except TimeoutError:
            self.timeline.runner("The server's output did not end; moving on")
