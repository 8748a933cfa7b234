"""Commands run as subprocesses, on psutil only (no /proc): each in a session
of its own, stopped with its whole tree (``stop_tree``): signal, SIGKILL."""

import atexit
import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, NamedTuple

import psutil

KILL_TIMEOUT = 5.0  # seconds for SIGKILLed processes to be gone


class StartError(Exception):
    """A server that did not become ready; ``code``: its exit code, if any."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


class Stopped(NamedTuple):
    """How a tree stopped, and what is left of it."""

    how: str  # "exited by itself", the signal that sufficed, or "SIGKILL"
    leftovers: list[int]  # the pids still alive after all that


def _alive(processes: Sequence[psutil.Process]) -> list[psutil.Process]:
    """Those still running, zombies not counted."""
    found = []
    for process in processes:
        with contextlib.suppress(psutil.Error):
            if process.is_running() and process.status() != "zombie":
                found.append(process)
    return found


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group ``pgid``."""
    found = []
    for process in _alive(list(psutil.process_iter())):
        with contextlib.suppress(OSError):
            if os.getpgid(process.pid) == pgid:
                found.append(process.pid)
    return found


def _tree(pid: int, group: bool) -> list[psutil.Process]:
    """``pid``, its descendants and, with ``group``, its group's: once each."""
    found: dict[int, psutil.Process] = {}
    for each in [pid, *(group_members(pid) if group else [])]:
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(each)
            for one in [process, *process.children(recursive=True)]:
                found.setdefault(one.pid, one)
    return list(found.values())


def stop_tree(
    pid: int, signum: int = signal.SIGTERM, timeout: float = 3.0,
    *, group: bool = False,
) -> Stopped:
    """Stop ``pid``, its descendants and, with ``group``, its process group
    (even once ``pid`` has exited): ``signum``, then SIGKILL."""
    tree = _tree(pid, group)
    root = [p for p in tree if p.pid == pid]
    how = signal.Signals(signum).name if _alive(root) else "exited by itself"
    for sent, wait in ((signum, timeout), (signal.SIGKILL, KILL_TIMEOUT)):
        for process in _alive(tree):
            with contextlib.suppress(psutil.Error):
                process.send_signal(sent)
        deadline = time.monotonic() + wait
        while _alive(tree) and time.monotonic() <= deadline:
            time.sleep(0.02)
        if not _alive(tree):
            break
        how, tree = "SIGKILL", tree + _tree(pid, group)
    return Stopped(how, sorted({p.pid for p in _alive(tree)}))


_LIVE: set["Subprocess"] = set()
_LIVE_LOCK = threading.Lock()


@atexit.register
def _kill_leftovers() -> None:
    with _LIVE_LOCK:
        started = list(_LIVE)
    for process in started:
        stop_tree(process.pid, signal.SIGKILL, 0, group=True)


class Subprocess:
    """``command`` in a session of its own, stdin closed, its output to
    ``output`` (None: inherited); its tree is SIGKILLed at exit;
    ``preexec``: run in the child before ``command``."""

    def __init__(
        self, command: Sequence[str], *, cwd: Path,
        env: dict[str, str] | None = None,
        output: Path | IO[bytes] | None = None,
        preexec: Callable[[], None] | None = None,
    ) -> None:
        with contextlib.ExitStack() as stack:
            if isinstance(output, Path):
                output = stack.enter_context(output.open("ab"))
            self.popen = subprocess.Popen(  # noqa: S603
                list(command), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=None if output is None else subprocess.STDOUT,
                start_new_session=True, preexec_fn=preexec,
            )
        self.pid = self.popen.pid
        self.stopped: Stopped | None = None
        with _LIVE_LOCK:
            _LIVE.add(self)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait_ready(self, ready: Callable[[], bool], timeout: float) -> None:
        """Poll ``ready()``; StartError if the process exits or times out."""
        deadline = time.monotonic() + timeout
        while (code := self.popen.poll()) is None:
            if ready():
                return
            if time.monotonic() > deadline:
                raise StartError(f"not ready after {timeout:.0f} s", None)
            time.sleep(0.02)
        raise StartError(f"exited with code {code} while starting", code)

    def stop(
        self, signum: int = signal.SIGTERM, timeout: float = 3.0
    ) -> Stopped:
        """Stop the tree and reap the process (once: later calls repeat)."""
        if self.stopped is None:
            self.stopped = stop_tree(self.pid, signum, timeout, group=True)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(1)
            with _LIVE_LOCK:
                _LIVE.discard(self)
        return self.stopped


Server = Subprocess  # its old name, until matrix, bench and deck say Subprocess
