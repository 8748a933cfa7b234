"""The demo's uvicorn, run by ``scripts.net.processes`` in a session of its
own (Ctrl-C reaches the runner, which then stops it); every line it writes
joins the timeline as it comes."""

import asyncio
import contextlib
import os
import shlex
import signal
import socket
import sys
from pathlib import Path
from typing import NamedTuple

from demos.catalog import Demo
from scripts.live.timeline import Timeline
from scripts.net import processes

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 10.0  # seconds for the server to accept connections
STOP_TIMEOUT = 3.0  # seconds for the server to exit after SIGINT
DRAIN_TIMEOUT = 2.0  # seconds to collect the server's last lines


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


def port_is_free(port: int) -> bool:
    """Whether uvicorn, which reuses addresses, could listen on ``port``."""
    with socket.socket() as probe, contextlib.suppress(OSError):
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((HOST, port))
        return True
    return False


class Server:
    """The demo's uvicorn on ``port``; ``interval``, if given, replaces the
    demo's pace constant in the server process (the slide's code stays)."""

    def __init__(
        self, demo: Demo, port: int, timeline: Timeline, interval: float | None
    ) -> None:
        self.demo, self.port, self.interval = demo, port, interval
        self.timeline, self.lines = timeline, list[LogLine]()
        self.args = ["-m", "uvicorn", demo.target]
        if interval is not None:
            module, name = demo.pace_constant()
            code = f"{module}.{name} = {interval!r}; uvicorn.main()"
            self.args[:2] = ["-c", f"import uvicorn, {module}; {code}"]
        self.args += ["--host", HOST, "--port", str(port), *demo.server_args]
        self.command = shlex.join([python_command(), *self.args])
        self.changed = asyncio.Condition()
        self.process: processes.Server | None = None
        self.reader: asyncio.Task[None] | None = None

    def pace(self) -> float:
        """Seconds between the app's sends, in this run."""
        return self.demo.interval() if self.interval is None else self.interval

    async def start(self) -> None:
        """Launch uvicorn, unbuffered, and wait until it accepts."""
        if not port_is_free(self.port):
            raise ServerError(
                f"Port {self.port} is already in use; "
                "choose another one with --port."
            )
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
                and processes.accepting(self.port),
                READY_TIMEOUT,
            )
        except processes.StartError as exc:
            why = f"did not accept connections on port {self.port} within "
            why += f"{READY_TIMEOUT:.0f} s"
            if exc.code is not None:
                await self.drain()
                why = f"exited with code {exc.code} before accepting "
                why += "connections"
            why += "; its output is above."
            raise ServerError(f"The server {why}") from None
        self.timeline.runner(f"The server accepts connections on {self.port}")

    async def wait(self) -> int:
        """Wait for the server to exit on its own; return its exit code."""
        if not (self.process and self.reader):
            raise ServerError("The server was not started.")
        await asyncio.shield(self.reader)  # its output ends as it exits
        return await asyncio.to_thread(self.process.popen.wait)

    async def stop(self) -> None:
        """Ask the server to shut down (SIGINT), then insist (SIGKILL)."""
        if (process := self.process) is None:
            return
        if process.alive():
            self.timeline.runner("Stopping the server (SIGINT)")
        stop = asyncio.to_thread(process.stop, signal.SIGINT, STOP_TIMEOUT)
        if (stopped := await stop).how == "SIGKILL":
            self.timeline.runner(
                f"Still running after {STOP_TIMEOUT:.0f} s: "
                "killing it (SIGKILL)"
            )
        await self.drain()
        self.timeline.runner(f"The server exited with code {stopped.code}")

    async def wait_for(
        self, prefix: str, since: float, seconds: float, count: int = 1
    ) -> list[LogLine]:
        """The lines since ``since`` that start with ``prefix``, once there
        are ``count`` of them or ``seconds`` have passed."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds), self.changed:
                await self.changed.wait_for(
                    lambda: len(self.lines_since(since, prefix)) >= count
                )
        return self.lines_since(since, prefix)

    def lines_since(self, at: float, prefix: str) -> list[LogLine]:
        return [
            line for line in self.lines
            if line.at > at and line.text.startswith(prefix)
        ]

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
