"""The demo's uvicorn, in a session of its own (Ctrl-C reaches the runner,
which stops it); its lines go to the timeline (timeline.py)."""

import asyncio
import contextlib
import ctypes
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import NamedTuple

import psutil

from demos.catalog import HTTP_CLASSES, Demo
from scripts.live.observe import Observation
from scripts.live.observe import parse as observation
from scripts.live.timeline import Timeline
from scripts.net import ports, processes

HOST = ports.HOST
LAUNCH = "scripts.live.launch"  # what starts uvicorn: see its docstring
ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 10.0  # seconds for the server to accept connections
STOP_TIMEOUT = 3.0  # seconds for the server to exit after SIGINT
DRAIN_TIMEOUT = 2.0  # seconds to collect the server's last lines


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
    """The demo's uvicorn, started by scripts/live/launch.py: ``interval``
    replaces its pace constant in the server only; ``observe``: the app
    reports each request's spec version and tasks (``observations``);
    ``notes``: how this run differs from the slide's."""

    def __init__(
        self, demo: Demo, port: int, interval: float | None, http: str | None,
        timeline: Timeline, observe: bool = True,
    ) -> None:
        self.demo, self.port, self.interval = demo, port, interval
        self.http, self.observe = http, observe
        self.seconds = interval  # the slide's: read now, before any output,
        if interval is None and demo.pace:  # as it imports the demo (slow)
            self.seconds = demo.interval()
        self.timeline, self.lines = timeline, list[LogLine]()
        self.observations, self.notes = list[Observation](), list[str]()
        launch, uvicorn = ["-m", LAUNCH], [demo.target]
        uvicorn += ["--host", HOST, "--port", str(port), *demo.server_args]
        if interval is not None:
            launch += ["--pace", f"{demo.pace}={interval!r}"]
            paced = f"Paced for this run: {demo.pace} = {interval:g} s"
            self.notes.append(f"{paced} in the server, not the slide's.")
        if http is not None:
            protocol, what = HTTP_CLASSES[http]
            uvicorn += ["--http", protocol]
            self.notes.append(f"HTTP for this run: {what}.")
        shown = launch if interval is not None else ["-m", "uvicorn"]
        self.command = shlex.join([python_command(), *shown, *uvicorn])
        self.args = [*launch, *["--observe"] * observe, *uvicorn]
        self.process: processes.Server | None = None
        self.reader: asyncio.Task[None] | None = None
        self.changed = asyncio.Condition()

    def pace(self) -> float:  # seconds between the app's sends, this run
        assert self.seconds is not None, f"{self.demo.name} has no pace"
        return self.seconds

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
        """Show each line of the server's output as it comes; keep the
        observer's apart (shown with ``--verbose``: it is not the app's)."""
        while raw := await stream.readline():
            text = self.timeline.mask(raw.decode(errors="replace").rstrip())
            line = LogLine(self.timeline.now(), text)
            if (seen := observation(line.text)) is not None:
                self.observations.append(seen)
                if self.timeline.verbose:
                    self.timeline.runner(f"Observed {seen}")
                continue
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
