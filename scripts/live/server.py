"""The demo's uvicorn, in a session of its own (Ctrl-C reaches the runner,
which stops it: at once, by uvicorn's own force exit, a second SIGINT); its
lines go to the timeline (timeline.py)."""

import asyncio
import contextlib
import ctypes
import os
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import NamedTuple

import psutil

from demos.catalog import HTTP_CLASSES, Demo
from scripts.common import ROOT
from scripts.live.observe import Observation
from scripts.live.observe import parse as observation
from scripts.live.timeline import Timeline
from scripts.net import ports, processes

HOST = ports.HOST  # uvicorn's default, as is PORT: the command omits them
PORT = 8000
LAUNCH = "scripts.live.launch"  # what starts uvicorn: see its docstring
READY_TIMEOUT = 10.0  # seconds for the server to accept connections
GRACE = 1.0  # seconds for a clean shutdown before uvicorn's force exit
STOP_TIMEOUT = 3.0  # seconds for the server to exit after SIGINT
RESEND = 0.02  # seconds between the SIGINTs of a force exit
DRAIN_TIMEOUT = 2.0  # seconds to collect the server's last lines
PRCTL = getattr(ctypes.CDLL(None), "prctl", None)  # Linux's, else None
RUNNER = os.getpid()


class ServerError(Exception):
    """The server did not start, or did not stay up."""


class LogLine(NamedTuple):
    at: float  # when it arrived
    text: str


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


def python_command(name: str = "python") -> str:
    """This interpreter (or the script ``name`` beside it), spelled so the
    speaker can retype it: .venv/bin/python, .venv/bin/uvicorn."""
    path = Path(sys.executable)
    if name != "python":
        path = path.with_name(name)
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return name


class DemoServer:
    """The demo's uvicorn, started by launch.py, its lines on ``timeline``:
    ``interval`` paces the demo in the server only (``paced_for``: why);
    ``observe``: the app reports each request's spec version and tasks
    (``observations``) and when it returns (``returns``); ``notes``: how
    this run differs from the slide's; ``shown_port``: the port its command
    shows (default: ``port``)."""

    def __init__(
        self, demo: Demo, port: int, interval: float | None, http: str | None,
        timeline: Timeline, observe: bool = True, paced_for: str = "this run",
        shown_port: int | None = None,
    ) -> None:
        self.demo, self.port, self.http = demo, port, http
        self.observe = observe
        self.seconds = interval  # the slide's: read now, before any output,
        if interval is None and demo.pace:  # as it imports the demo (slow)
            self.seconds = demo.seconds()
        self.timeline, self.lines = timeline, list[LogLine]()
        self.observations, self.notes = list[Observation](), list[str]()
        self.returns = list[float]()  # when the app returned, each request
        extra, pace = list(demo.server_args), ["--pace", f"{interval!r}"]
        if interval is not None:
            self.notes.append(f"Paced for {paced_for}: {demo.pace} = "
                              f"{interval:g} s (the slide's: "
                              f"{demo.seconds():g} s).")
        if http is not None:
            protocol, what = HTTP_CLASSES[http]
            extra += ["--http", protocol]
            self.notes.append(f"HTTP for this run: {what}.")
        program = [python_command(), "-m", LAUNCH, *pace]
        if interval is None:
            program, pace = [python_command("uvicorn")], []
        shown = [] if (shown_port or port) == PORT else [
            "--port", str(shown_port or port)]
        self.command = shlex.join([*program, demo.target, *shown, *extra])
        self.args = ["-m", LAUNCH, *pace, *["--observe"] * observe,
                     demo.target, "--host", HOST, "--port", str(port), *extra]
        self.process: processes.Subprocess | None = None
        self.reader: asyncio.Task[None] | None = None
        self.stopping: asyncio.Task[bool] | None = None
        self.hurry = False  # force the exit at once: an interrupt
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
            self.process = process = processes.Subprocess(
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
            why = f"The server {why}; its output is above."
            raise ServerError(why) from None
        self.timeline.zero()
        self.timeline.runner(f"Server up: PID {process.pid}, port {self.port}")

    async def wait(self) -> int:
        """Wait for the server to exit on its own; its exit code."""
        assert self.process, "the server was not started"
        assert self.reader, "the server was not started"
        await asyncio.shield(self.reader)  # its output ends as it exits
        return await asyncio.to_thread(self.process.popen.wait)

    def begin_stop(self, now: bool = False) -> None:
        """Start ``stop()`` (at once: ``now``), or hurry the one going on."""
        self.hurry = self.hurry or now
        if self.process is not None and self.stopping is None:
            self.stopping = asyncio.create_task(self.shut_down(self.process))

    async def stop(self, now: bool = False) -> bool:
        """Ask the server to shut down (SIGINT); once it had ``GRACE``, or
        ``now``, force it (uvicorn's second SIGINT); SIGKILL after
        ``STOP_TIMEOUT``. Whether it is gone; said unless muted."""
        self.begin_stop(now)
        if self.stopping is None:  # never started
            return True
        return await asyncio.shield(self.stopping)

    async def shut_down(self, process: processes.Subprocess) -> bool:
        if process.alive() and self.timeline.verbose:
            self.timeline.runner("Stopping the server (SIGINT)")
        started = sent = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            process.popen.send_signal(signal.SIGINT)
        while process.alive() and time.monotonic() - started < STOP_TIMEOUT:
            await asyncio.sleep(RESEND)
            now = time.monotonic()
            if (self.hurry or now - started >= GRACE) and now - sent >= RESEND:
                with contextlib.suppress(ProcessLookupError):
                    process.popen.send_signal(signal.SIGINT)
                sent = now
        if process.alive():
            still = f"Still running after {STOP_TIMEOUT:.0f} s"
            self.timeline.runner(f"{still}: killing it (SIGKILL)")
        stopped = await asyncio.to_thread(process.stop, signal.SIGKILL, 0)
        if not self.hurry:
            await self.drain()
            code = process.popen.returncode
            self.timeline.runner(f"The server exited with code {code}")
        return not stopped.leftovers

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
                if self.timeline.verbose:
                    self.timeline.runner(f"Observed {seen}")
            else:
                self.timeline.server(line.text, line.at)
            async with self.changed:
                if seen is None:
                    self.lines.append(line)
                elif seen.returned:
                    self.returns.append(line.at)
                else:
                    self.observations.append(seen)
                self.changed.notify_all()

    async def returned(self, since: float, seconds: float) -> float | None:
        """When the app returned from a request after ``since``, waiting up
        to ``seconds``; None if it did not (or nothing observes it)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds), self.changed:
                await self.changed.wait_for(
                    lambda: any(at > since for at in self.returns)
                )
        return next((at for at in self.returns if at > since), None)

    async def drain(self) -> None:
        """Let the last lines of output reach the timeline."""
        if self.reader is None or self.reader.done():
            return
        try:
            await asyncio.wait_for(self.reader, DRAIN_TIMEOUT)
        except TimeoutError:
            self.timeline.runner("The server's output did not end; moving on")
