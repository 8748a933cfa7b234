"""The demo's uvicorn, in a session of its own (Ctrl-C reaches the runner,
which stops it, at once by uvicorn's force exit); its lines on the timeline."""

import asyncio
import contextlib
import ctypes
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import NamedTuple, TypeVar

import psutil

from demos.catalog import HTTP_CLASSES, Demo
from scripts.common import ROOT
from scripts.live import OBSERVED, RETURNED
from scripts.live.cli import PORT, STAGE_PACE, python_command
from scripts.live.timeline import Timeline
from scripts.net import ports

HOST = ports.HOST  # uvicorn's default, as is PORT: the command omits them
LAUNCH = "scripts.live.launch"  # what starts uvicorn: see its docstring
READY_TIMEOUT = 10.0  # seconds for the server to accept connections
GRACE = 2.0  # seconds for a clean stop (loaded: over 1) before the force exit
STOP_TIMEOUT = 3.0  # seconds for the server to exit after SIGINT
RESEND = 0.02  # seconds between the SIGINTs of a force exit
DRAIN_TIMEOUT = 2.0  # seconds to collect the server's last lines
PRCTL = getattr(ctypes.CDLL(None), "prctl", None)  # Linux's, else None
RUNNER = os.getpid()
T = TypeVar("T")


class ServerError(Exception):
    """The server did not start, or did not stay up."""


class LogLine(NamedTuple):
    at: float  # when it arrived
    text: str


def die_with_parent() -> None:
    """In the server, before uvicorn: SIGKILL once the runner's main thread
    is gone (Linux), not a clean stop, which would wait for an app asleep."""
    if PRCTL is not None:
        PRCTL(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != RUNNER:  # it died before prctl
        os.kill(os.getpid(), signal.SIGKILL)


def port_taken(port: int) -> str:
    """Why ``port`` is taken: its listener's PID and command, if known."""
    for conn in psutil.net_connections("tcp"):
        if conn.status == "LISTEN" and conn.laddr[1:] == (port,) and conn.pid:
            with contextlib.suppress(psutil.Error):
                command = shlex.join(psutil.Process(conn.pid).cmdline())
                return (f"Port {port} is held by PID {conn.pid}: {command}"
                        " — a leftover demo server? Stop it with `kill "
                        f"{conn.pid}`, or choose --port.")
    return f"Port {port} is already in use; choose another one with --port."


class DemoServer:
    """The demo's uvicorn, by launch.py, at ``interval`` (else the slide's
    pace, up to ``STAGE_PACE``), observed if HTTP; ``notes``: what differs."""

    def __init__(
        self, demo: Demo, port: int, interval: float | None, http: str | None,
        timeline: Timeline, shown_port: int | None = None,
    ) -> None:
        self.demo, self.port, self.http = demo, port, http
        self.timeline, self.notes = timeline, list[str]()
        self.lines, self.returns = list[LogLine](), list[float]()
        self.observations = list[str]()  # what the observer said
        slides = demo.seconds() if demo.pace else 0.0  # it imports the demo:
        why = "this run"  # now, not once the output began (slow)
        if interval is None and slides > STAGE_PACE:
            interval, why = STAGE_PACE, "the stage"
        self.pace = interval or slides  # seconds between the app's sends
        program, extra = [python_command("uvicorn")], list(demo.server_args)
        pace = [] if interval is None else ["--pace", repr(interval)]
        if pace and demo.pace:
            program = [python_command(), "-m", LAUNCH, *pace]
            self.notes.append(f"Paced for {why}: {demo.pace.module}."
                              f"{demo.pace.constant} = {interval:g} s (the "
                              f"slide's: {slides:g} s).")
        if http is not None:
            extra += ["--http", HTTP_CLASSES[http][0]]
            self.notes.append(f"HTTP for this run: {HTTP_CLASSES[http][1]}.")
        self.shown = shown_port or port  # the port the run says it has
        where = [] if self.shown == PORT else ["--port", str(self.shown)]
        self.command = shlex.join([*program, demo.target, *where, *extra])
        observe = ["--observe"] * (demo.transport == "http")
        self.args = ["-m", LAUNCH, *pace, *observe, demo.target,
                     "--host", HOST, "--port", str(port), *extra]
        self.process: asyncio.subprocess.Process | None = None
        self.reader: asyncio.Task[None] | None = None
        self.hurry = False  # force the exit at once: an interrupt
        self.ended = False  # its output: once it ends, the server exits
        self.changed = asyncio.Condition()

    async def start(self) -> None:
        """Launch uvicorn, unbuffered, and wait until it accepts."""
        if not ports.bindable(self.port, reuse=True):
            raise ServerError(port_taken(self.port))
        self.process = process = await asyncio.create_subprocess_exec(
            sys.executable, *self.args, cwd=ROOT, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True, preexec_fn=die_with_parent,
        )
        assert process.stdout is not None
        self.reader = asyncio.create_task(self.read(process.stdout))
        running = f"Uvicorn running on http://{HOST}:{self.port} "
        if not await self.until(lambda: self.ended or any(
            running in line.text for line in self.lines
        ), READY_TIMEOUT) or self.ended:
            why = f"did not accept connections on port {self.port} within "
            why += f"{READY_TIMEOUT:.0f} s"
            if self.ended:
                code = await process.wait()
                why = f"exited with code {code} before accepting connections"
            raise ServerError(f"The server {why}; its output is above.")
        self.timeline.start = time.monotonic()  # the stamps count from now
        self.timeline.runner(f"Server up: PID {process.pid}, port {self.shown}")

    async def stop(self) -> bool:
        """SIGINT; after ``GRACE``, or at once if ``hurry``, uvicorn's force
        exit (SIGINT resent); SIGKILL after ``STOP_TIMEOUT``. Whether it is
        gone; said unless hurried. Once gone, nothing more."""
        if (process := self.process) is None:  # never started
            return True
        started, sent = time.monotonic(), False
        while process.returncode is None and (
            waited := time.monotonic() - started
        ) < STOP_TIMEOUT:
            if not sent or self.hurry or waited >= GRACE:
                process.send_signal(signal.SIGINT)
                sent = True
            await asyncio.sleep(RESEND)
        if process.returncode is None:
            still = f"Still running after {STOP_TIMEOUT:.0f} s"
            self.timeline.runner(f"{still}: killing it (SIGKILL)")
            process.kill()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), DRAIN_TIMEOUT)
        if not self.hurry:  # its last lines, then its exit
            await self.until(lambda: self.ended, DRAIN_TIMEOUT)
            code = process.returncode
            self.timeline.runner(f"The server exited with code {code}")
        return process.returncode is not None

    async def until(self, ready: Callable[[], T], seconds: float) -> T:
        """``ready()`` once true, checked as lines come, up to ``seconds``."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds), self.changed:
                await self.changed.wait_for(ready)
        return ready()

    def lines_since(self, at: float, prefix: str) -> list[LogLine]:
        lines = self.lines
        return [x for x in lines if x.at > at and x.text.startswith(prefix)]

    async def read(self, stream: asyncio.StreamReader) -> None:
        """Show each line of the server's as it comes, but the observer's."""
        while raw := await stream.readline():
            text = self.timeline.mask(raw.decode(errors="replace").rstrip())
            at, seen = self.timeline.now(), text.removeprefix(OBSERVED)
            if seen == text:
                self.timeline.server(text, at)
                self.lines.append(LogLine(at, text))
            elif seen == RETURNED:
                self.returns.append(at)
            else:
                self.observations.append(seen)
            async with self.changed:
                self.changed.notify_all()
        async with self.changed:
            self.ended = True
            self.changed.notify_all()
