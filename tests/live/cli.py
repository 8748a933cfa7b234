"""``python -m scripts.live ARGS`` as the speaker runs it: a subprocess in a
session of its own, wide UTF-8 output to a log, and checks that no server
survives."""

import contextlib
import os
import re
import signal
import sys
import time
from pathlib import Path

import psutil

from scripts.live.server import LAUNCH
from scripts.net import ports, processes

ROOT = Path(__file__).resolve().parents[2]
# Wide, UTF-8 output: no line of the timeline is wrapped.
# DEMO_TOKEN: a token no output may show (the runner masks it).
SECRET = "s3cret-of-the-tests"
# Not under make (MAKELEVEL: the runner would say what to type to make).
MAKE = ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")
ENV = {
    **{k: v for k, v in os.environ.items() if k not in MAKE},
    "COLUMNS": "200", "PYTHONIOENCODING": "utf-8", "DEMO_TOKEN": SECRET,
}
# A new shell in the repository root: no venv on PATH, no PYTHONPATH.
FRESH = {
    "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": os.environ["HOME"],
    **{k: ENV[k] for k in ("COLUMNS", "PYTHONIOENCODING", "DEMO_TOKEN")},
}
STOPPED = "Stopped: Ctrl-C; the server is gone."  # all a Ctrl-C prints
START_TIMEOUT = 20.0  # seconds until a served demo says how to try it
STOP_TIMEOUT = 10.0  # seconds for the runner to exit once signalled
# --interval for the runs; the others keep the slide's pace.
# disconnect_receive keeps 0.2 s: its "nothing after the client left"
# has one delay of margin against a busy machine.
PACED = {
    "ws_disconnect": 0.5,  # not 10 s: the app notices within 0.5 s
    "streaming_response": 0.1,
    "raise_oserror": 0.1,
}
PROTOTYPE_PACE = 0.1  # --interval of the runs with HTTP=oserror


def port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` and none answers there."""
    return ports.bindable(port, reuse=True) and not ports.accepting(port)


def server_alive(pid: int) -> bool:
    """Whether ``pid`` is still a running uvicorn (zombies do not count),
    started as the runner does (scripts/live/launch.py) or by hand."""
    with contextlib.suppress(psutil.Error):
        process = psutil.Process(pid)
        command = " ".join(process.cmdline())
        if process.status() != psutil.STATUS_ZOMBIE:
            return any(name in command for name in ("uvicorn", LAUNCH))
    return False


class Runner:
    """``python -m scripts.live ARGS`` in a session of its own, output to
    ``log``."""

    def __init__(
        self, log: Path, *args: str, command: list[str] | None = None,
        env: dict[str, str] = ENV,
    ) -> None:
        """``command`` (a ``make demo`` line, say) instead of ``python -m
        scripts.live ARGS``."""
        self.log = log
        command = command or [sys.executable, "-m", "scripts.live", *args]
        self.process = processes.Subprocess(command, cwd=ROOT, env=env,
                                            output=log)

    @property
    def output(self) -> str:
        """Everything the runner printed so far."""
        return self.log.read_text("utf-8", errors="replace")

    def wait_for(self, text: str, timeout: float) -> bool:
        """Wait until ``text`` is printed; False if it was not in time."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline or not self.process.alive():
                return text in self.output
            time.sleep(0.02)
        return True

    def finish(self, timeout: float) -> int:
        """Wait for the runner to exit; its exit code."""
        return self.process.popen.wait(timeout)

    def server_pids(self) -> list[int]:
        """The uvicorn processes the runner started, from their own log."""
        found = re.findall(r"Server up: PID (\d+)", self.output)
        return [int(pid) for pid in found]

    def stop(self) -> None:
        """Make sure neither the runner nor its server survives."""
        self.process.stop(signal.SIGTERM, STOP_TIMEOUT)
        for pid in self.server_pids():
            if server_alive(pid):
                processes.stop_tree(pid, signal.SIGKILL, 0)
