"""A server process under probe (``Probed``): its port, its events file
(app.py writes it), its log, its stop."""

import contextlib
import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from scripts.common import ROOT
from scripts.matrix.app import EVENTS
from scripts.matrix.catalog import Process, Profile
from scripts.net.ports import accepting, pick_port
from scripts.net.processes import StartError, Stopped, Subprocess

SERIAL = itertools.count(1)  # a server's files' name, a probe's id


class Probed:
    """One server process of ``Process``, started for ``profile``."""

    def __init__(self, process: Process, profile: Profile, folder: Path):
        self.process, self.profile = process, profile
        name = f"server-{next(SERIAL)}"
        self.events, self.log = folder / f"{name}.jsonl", folder / f"{name}.log"
        self.port, self.started, self.crashed = 0, False, ""
        # The server's handshake limit, if the probe sets one: else 0.
        self.handshake = profile.handshake * ("{handshake}" in process.args)
        self.server: Subprocess | None = None

    def start(self) -> None:
        """Start the server (again if its port was taken); else ``crashed``."""
        env = {**os.environ, EVENTS: str(self.events),
               "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        for _attempt in range(3):
            self.port = pick_port()
            args = self.process.command(self.profile, str(self.port))
            self.server = Subprocess([sys.executable, *args], cwd=ROOT, env=env,
                                     output=self.log)
            try:
                self.server.wait_ready(lambda: accepting(self.port), 20.0)
            except StartError as error:  # exited, or not ready in time
                self.crashed = f"{error}: {self.log_lines()[-1]}"
            else:
                self.started = True
                return
            self.stop()
            if not any("in use" in line.lower() for line in self.log_lines()):
                return

    def stop(self) -> Stopped:
        """Stop the whole tree: how, and what is left of it."""
        if self.server is None:
            return Stopped("never started", [])
        return self.server.stop(timeout=self.profile.timeout)

    def event(self, probe: str, timeout: float) -> dict[str, Any] | None:
        """The app's record for ``probe``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() <= deadline:
            with contextlib.suppress(OSError):
                for line in self.events.read_text().splitlines():
                    with contextlib.suppress(ValueError):  # half-written
                        found: dict[str, Any] = json.loads(line)
                        if found.get("id") == probe:
                            return found
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
        return f"exit code {code}: {self.log_lines()[-1]}"

    def log_lines(self) -> list[str]:
        """What the server printed, but blank lines: "(no output)" if none."""
        text = ""
        with contextlib.suppress(OSError):
            text = self.log.read_text(errors="replace")
        return [line.rstrip() for line in text.splitlines()
                if line.strip()] or ["(no output)"]
