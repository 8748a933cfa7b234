"""One server process of the probe: how hard to look (``Profile``), and the
server's run (``Run``): its port, its events file, its log, its stop."""

import contextlib
import itertools
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.common import ROOT
from scripts.matrix import app
from scripts.matrix.catalog import Process
from scripts.net.ports import accepting, pick_port
from scripts.net.processes import Server, StartError


@dataclass(frozen=True)
class Profile:
    """How hard to look: timeouts (seconds), and how much runs at once."""

    name: str
    jobs: int  # server processes at once
    concurrent: bool  # a server's features at once
    timeout: float  # a client waits for a reply: longer "hangs"
    watch: float  # an app keeps sending after its client left
    interval: float  # between the app's sends
    start_timeout: float  # for a server to accept connections
    stop_timeout: float  # between SIGTERM and SIGKILL
    # A server's own limit on a WebSocket handshake, where it has an option
    # for it ({handshake} in its arguments: daphne's whole seconds). The
    # probe waits past it. daphne drops the connection up to a second early
    # (its timer rounds the deadline down to the second), so it exceeds
    # ``timeout`` by a second: no handshake the client waits for is dropped.
    handshake: int


FULL = Profile("full", 1, False, 3.0, 2.0, 0.02, 20.0, 3.0, 5)  # daphne's 5
QUICK = Profile("quick", 16, True, 1.0, 0.6, 0.02, 20.0, 1.0, 2)


def arguments(process: Process, profile: Profile, port: str) -> list[str]:
    """The server's arguments after ``python``, for ``profile`` and ``port``."""
    return [argument.replace("{port}", port).replace(
        "{handshake}", str(profile.handshake)) for argument in process.args]


class ProbeError(Exception):
    """A probe that could not measure: the command fails, naming the cell."""


class Run:
    """One server process: its port, its events file and its log."""

    def __init__(self, process: Process, profile: Profile, folder: Path):
        self.process, self.profile = process, profile
        slug = re.sub(r"[^a-z0-9]+", "-", process.id.lower()).strip("-")
        self.events, self.log = (folder / f"{slug}.{kind}"
                                 for kind in ("events.jsonl", "log"))
        self.port, self.started = 0, False
        # The server's handshake limit, if the probe sets one: else 0.
        self.handshake = profile.handshake * ("{handshake}" in process.args)
        self.server: Server | None = None
        self.start_seconds: float | None = None
        self.stopped = self.crashed = ""
        self.leftovers: list[int] = []
        self._ids = itertools.count(1)

    def start(self) -> None:
        """Start the server (again if its port was taken); else ``crashed``."""
        env = {**os.environ, app.EVENTS: str(self.events),
               "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        timeout = self.profile.start_timeout
        for _attempt in range(3):
            self.port = pick_port()
            args = arguments(self.process, self.profile, str(self.port))
            begun = time.monotonic()
            self.server = Server([sys.executable, *args], cwd=ROOT, env=env,
                                 output=self.log)
            try:
                self.server.wait_ready(lambda: accepting(self.port), timeout)
            except StartError as error:
                self.crashed = (
                    f"not accepting connections after {timeout:.0f} s"
                    if error.code is None else f"exited with code "
                    f"{error.code} while starting: {self.last_log_line()}"
                )
            else:
                self.started = True
                self.start_seconds = time.monotonic() - begun
                return
            self.stop()
            if not any("in use" in line.lower() for line in self.log_lines()):
                return

    def stop(self) -> None:
        """Stop the whole tree; how, and what is left, are recorded."""
        if self.server is not None:
            stopped = self.server.stop(timeout=self.profile.stop_timeout)
            self.stopped, self.leftovers = stopped.how, stopped.leftovers

    def next_id(self, feature: str) -> str:
        return f"{feature}-{next(self._ids)}"

    def event(self, probe: str, timeout: float) -> dict[str, Any] | None:
        """The app's record for ``probe``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() <= deadline:
            with contextlib.suppress(OSError):
                for line in self.events.read_text().splitlines():
                    with contextlib.suppress(ValueError):  # half-written
                        record: dict[str, Any] = json.loads(line)
                        if record.get("id") == probe:
                            return record
            time.sleep(0.01)
        return None

    def death(self) -> str:
        """Why the server is gone ("" if it accepts): a dead server resets
        its connections before its exit code is seen, so that is awaited."""
        assert self.server is not None
        if self.server.alive() and accepting(self.port, timeout=1.0):
            return ""
        try:
            code = self.server.popen.wait(2)
        except subprocess.TimeoutExpired:
            return "it stopped accepting connections"
        return f"exit code {code}: {self.last_log_line()}"

    def last_log_line(self) -> str:
        return (self.log_lines() or ["(no output)"])[-1]

    def log_lines(self) -> list[str]:
        with contextlib.suppress(OSError):
            text = self.log.read_text(errors="replace")
            return [line.rstrip() for line in text.splitlines() if line.strip()]
        return []

    def logged_errors(self) -> list[str]:
        """ERROR lines and exceptions the server logged, deduplicated."""
        found: dict[str, None] = {}
        for line in self.log_lines():
            if re.search(r"ERROR|Error:|Exception|Traceback", line):
                line = re.sub(r"^\S*\d{4}-\d\d-\d\d[ T][\d:,.]+( \+\d+)?\]?\s*",
                              "", line)
                found[re.sub(r"^\[\d+\]\s*", "", line)[:160]] = None
        return list(found)[:12]
