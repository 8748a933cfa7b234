"""Commands run as subprocesses, on psutil only (no /proc): each in a session
of its own, stopped with its whole tree (``stop_tree``): signal, SIGKILL."""

import atexit
import contextlib
import functools
import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import psutil

KILL_TIMEOUT = 5.0  # seconds for SIGKILLed processes to be gone


class StartError(Exception):
    """A server that did not become ready (it exited, or was not in time)."""


class Stopped(NamedTuple):
    """How a tree stopped, and what is left of it."""

    how: str  # "exited by itself", the signal that sufficed, or "SIGKILL"
    leftovers: list[int]  # the pids still alive after all that


def _running(process: psutil.Process) -> bool:
    """Whether ``process`` still runs (a zombie does not)."""
    with contextlib.suppress(psutil.Error):
        return process.is_running() and process.status() != "zombie"
    return False


def group_members(pgid: int) -> list[int]:
    """The running processes of process group ``pgid``."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(OSError):
            if os.getpgid(process.pid) == pgid and _running(process):
                found.append(process.pid)
    return found


def _tree(pid: int) -> set[psutil.Process]:
    """``pid``, the process group it leads (even once it has exited), and
    their descendants."""
    found = set()
    for each in {pid, *group_members(pid)}:
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(each)
            found.update([process, *process.children(recursive=True)])
    return found


def stop_tree(pid: int, signum: int = signal.SIGTERM,
              timeout: float = 3.0) -> Stopped:
    """Stop ``pid``, its descendants and the process group it leads:
    ``signum``, then SIGKILL after ``timeout`` seconds."""
    tree = _tree(pid)
    running = any(p.pid == pid and _running(p) for p in tree)
    how = signal.Signals(signum).name if running else "exited by itself"
    for sent, wait in ((signum, timeout), (signal.SIGKILL, KILL_TIMEOUT)):
        for process in filter(_running, tree):
            with contextlib.suppress(psutil.Error):
                process.send_signal(sent)
        deadline = time.monotonic() + wait
        while any(map(_running, tree)) and time.monotonic() <= deadline:
            time.sleep(0.02)
        if not any(map(_running, tree)):
            break
        how, tree = "SIGKILL", tree | _tree(pid)
    return Stopped(how, sorted(p.pid for p in tree if _running(p)))


class Subprocess:
    """``command`` in a session of its own, stdin closed, its output
    appended to ``output`` (None: inherited); its tree is SIGKILLed at exit
    if not stopped before."""

    def __init__(
        self, command: Sequence[str], *, cwd: Path,
        env: dict[str, str] | None = None, output: Path | None = None,
    ) -> None:
        with open(output, "ab") if output else contextlib.nullcontext() as log:
            self.popen = subprocess.Popen(  # noqa: S603
                list(command), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=None if log is None else subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self.popen.pid
        self.stopped: Stopped | None = None
        self._kill = functools.partial(stop_tree, self.pid, signal.SIGKILL, 0)
        atexit.register(self._kill)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_ready(self, ready: Callable[[], bool], timeout: float) -> None:
        """Poll ``ready()``; StartError if the process exits or times out."""
        deadline = time.monotonic() + timeout
        while (code := self.popen.poll()) is None:
            if ready():
                return
            if time.monotonic() > deadline:
                raise StartError(f"not ready after {timeout:.0f} s")
            time.sleep(0.02)
        raise StartError(f"exited with code {code} while starting")

    def stop(self, signum: int = signal.SIGTERM,
             timeout: float = 3.0) -> Stopped:
        """Stop the tree and reap the process (once: later calls repeat)."""
        if self.stopped is None:
            atexit.unregister(self._kill)
            self.stopped = stop_tree(self.pid, signum, timeout)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(1)
        return self.stopped
