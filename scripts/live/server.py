"""The demo's uvicorn, in a session of its own (Ctrl-C reaches the runner,
which stops it), and the timeline where its lines meet the client's."""

import asyncio
import contextlib
import os
import re
import shlex
import signal
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

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
WHO_STYLE = {"client": "bold cyan", "server": "bold magenta", "runner": "dim"}
KNOWN_ISSUES = {  # lines alarming on a projector, but known server bugs
    "ASGI callable returned without completing handshake.": "uvicorn 0.54's "
    "websockets-sansio logs this after every denial response, though the "
    "client got all of it (uvicorn PR #3138)",
}
LEVEL_STYLE = {"INFO": "green", "WARNING": "yellow", "ERROR": "bold red"}
LOG_LINE = re.compile(r"(?P<level>[A-Z]+):\s+(?P<message>.*)")
Content = str | Text
Headers = Iterable[tuple[str | bytes, str | bytes]]


def style(ok: bool) -> str:  # what went as it should, or did not
    return "green" if ok else "red"


def status_text(code: int, reason: str) -> Text:
    return Text(f"{code} {reason}".strip(), style=f"bold {style(code < 400)}")


def header_lines(headers: Headers) -> list[str]:
    return [
        ": ".join(x.decode("latin-1") if isinstance(x, bytes) else x for x in h)
        for h in headers
    ]


class Timeline:
    """Client events and server lines, in arrival order, stamped."""

    def __init__(self) -> None:
        self.console, self.start = Console(highlight=False), time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.start

    def sent(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "→", what, details)

    def received(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "←", what, details)

    def note(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "•", what, details)

    def runner(self, what: str) -> None:  # what it did to the server
        self.row(self.now(), "runner", "»", Text(what, style="dim"))

    def server(self, line: str, at: float) -> None:
        """One line of the server's output: uvicorn's log or the app's."""
        if (match := LOG_LINE.fullmatch(line)) is None:
            body = Text(line, style="bold yellow")  # the app's own print()
        else:
            level, message = match["level"], match["message"]
            body = Text(level, LEVEL_STYLE.get(level, "")).append(f" {message}")
            if known := KNOWN_ISSUES.get(message):
                body.append(f"\n  ↳ known issue: {known}", style="dim")
        self.row(at, "server", "│", body)

    def row(
        self, at: float | None, who: str, mark: str, what: Content,
        details: Iterable[str] = (),
    ) -> None:
        body = Text(what) if isinstance(what, str) else what.copy()
        for line in details:
            body.append(f"\n  {line}", style="dim")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", width=9, style="dim")
        grid.add_column(width=8, style=WHO_STYLE.get(who, ""))
        grid.add_column()
        stamp = "" if at is None else f"+{at:.3f}s"
        grid.add_row(stamp, f"{who:6} {mark}", body)
        self.console.print(grid)

    def command(self, command: str) -> None:  # ready to copy
        self.console.print(Text(f"$ {command}", "bold green"), soft_wrap=True)


class ServerError(Exception):
    """The server did not start, or did not stay up."""


class LogLine(NamedTuple):
    at: float  # when it arrived
    text: str


def python_command() -> str:
    """This interpreter, spelled so the speaker can retype it."""
    with contextlib.suppress(ValueError):
        return str(Path(sys.executable).relative_to(Path.cwd()))
    return "python"


class Server:
    """The demo's uvicorn; ``interval`` replaces its pace constant in the
    server only; ``notes``: how this run differs from the slide's."""

    def __init__(
        self, demo: Demo, port: int, interval: float | None, http: str | None
    ) -> None:
        self.demo, self.port, self.interval = demo, port, interval
        self.timeline, self.lines = Timeline(), list[LogLine]()
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
            why = "is already in use; choose another one with --port"
            raise ServerError(f"Port {self.port} {why}.")
        read_end, write_end = os.pipe()
        with os.fdopen(write_end, "wb") as output:
            self.process = process = processes.Server(
                [sys.executable, *self.args], cwd=ROOT, output=output,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
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
        self.timeline.runner(f"The server accepts connections on {self.port}")

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
        if process.alive():
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
            text = raw.decode(errors="replace").rstrip()
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
