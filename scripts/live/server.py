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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeVar

from demos.catalog import Demo
from scripts.live.timeline import Timeline
from scripts.net import processes

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 10.0  # seconds for the server to accept connections
STOP_TIMEOUT = 3.0  # seconds for the server to exit after SIGINT
DRAIN_TIMEOUT = 2.0  # seconds to collect the server's last lines
T = TypeVar("T")


class ServerError(Exception):
    """The server did not start, or did not stay up."""


def python_command() -> str:
    """This interpreter, spelled so the speaker can retype it."""
    with contextlib.suppress(ValueError):
        return str(Path(sys.executable).relative_to(Path.cwd()))
    return "python"


def port_is_free(port: int) -> bool:
    """Whether uvicorn, which reuses addresses, could listen on ``port``."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


@dataclass(frozen=True)
class LogLine:
    """One line the server wrote, and when it arrived."""

    at: float
    text: str


class Server:
    """The demo's uvicorn on ``port``; ``interval``, if given, replaces the
    demo's pace constant in the server process (the slide's code stays)."""

    def __init__(
        self, demo: Demo, port: int, timeline: Timeline, interval: float | None
    ) -> None:
        self.demo, self.port, self.interval = demo, port, interval
        self.timeline = timeline
        self.args = ["-m", "uvicorn", demo.target]
        if interval is not None:
            module, name = demo.pace_constant()
            code = f"{module}.{name} = {interval!r}; uvicorn.main()"
            self.args[:2] = ["-c", f"import uvicorn, {module}; {code}"]
        self.args += ["--host", HOST, "--port", str(port), *demo.server_args]
        self.command = shlex.join([python_command(), *self.args])
        self.lines: list[LogLine] = []
        self._changed = asyncio.Condition()
        self._process: processes.Server | None = None
        self._reader: asyncio.Task[None] | None = None

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
        self._process, output = self._spawn()
        stream = asyncio.StreamReader()
        await asyncio.get_running_loop().connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(stream), output
        )
        self._reader = asyncio.create_task(self._read(stream))
        running = f"Uvicorn running on http://{HOST}:{self.port} "
        try:  # uvicorn says it listens on our port, and the port accepts
            await asyncio.to_thread(
                self._process.wait_ready,
                lambda: any(running in line.text for line in self.lines)
                and processes.accepting(self.port),
                READY_TIMEOUT,
            )
        except processes.StartError as exc:
            raise await self._failed(exc.code) from None
        self.timeline.runner(f"The server accepts connections on {self.port}")

    def _spawn(self) -> tuple[processes.Server, IO[bytes]]:
        """The started server, and the read end of its output."""
        read_end, write_end = os.pipe()
        with os.fdopen(write_end, "wb") as output:
            process = processes.Server(
                [sys.executable, *self.args],
                cwd=ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                output=output,
            )
        return process, os.fdopen(read_end, "rb")

    async def _failed(self, code: int | None) -> ServerError:
        """Why the server is not ready: it exited, or it is too slow."""
        if code is None:
            return ServerError(
                f"The server did not accept connections on port {self.port} "
                f"within {READY_TIMEOUT:.0f} s; its output is above."
            )
        await self._drain()
        return ServerError(
            f"The server exited with code {code} before accepting "
            "connections; its output is above."
        )

    async def wait(self) -> int:
        """Wait for the server to exit on its own; return its exit code."""
        if self._process is None or self._reader is None:
            raise ServerError("The server was not started.")
        await asyncio.shield(self._reader)  # its output ends as it exits
        return await asyncio.to_thread(self._process.popen.wait)

    async def stop(self) -> None:
        """Ask the server to shut down (SIGINT), then insist (SIGKILL)."""
        if (process := self._process) is None:
            return
        if process.alive():
            self.timeline.runner("Stopping the server (SIGINT)")
        stopped = await asyncio.to_thread(
            process.stop, signal.SIGINT, STOP_TIMEOUT
        )
        if stopped.how == "SIGKILL":
            self.timeline.runner(
                f"Still running after {STOP_TIMEOUT:.0f} s: "
                "killing it (SIGKILL)"
            )
        await self._drain()
        self.timeline.runner(f"The server exited with code {stopped.code}")

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
        if self._reader is None or self._reader.done():
            return
        try:
            await asyncio.wait_for(self._reader, DRAIN_TIMEOUT)
        except TimeoutError:
            self.timeline.runner("The server's output did not end; moving on")
