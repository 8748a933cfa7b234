"""Servers run as subprocesses: start, wait until ready, stop the whole tree.

One process manager for every pipeline (the probe, the benchmark, the live
runner, the tests), on psutil only: no /proc, so it works on macOS too.

- ``Server(command, cwd=..., env=..., output=...)`` starts ``command`` in a
  session (and process group) of its own, stdin closed, so that a Ctrl-C in
  the terminal reaches the caller only. ``output``: a file (path or open
  binary file) for stdout and stderr together; None inherits them.
- ``Server.wait_ready(ready, timeout)`` polls ``ready()`` (e.g.
  ``lambda: accepting(port)``); ``StartError`` (with the exit ``code``, or
  None on timeout) if the process exits first or ``timeout`` passes.
- ``Server.stop(signum=SIGTERM, timeout=3.0)`` stops the tree (below),
  reaps the process and returns ``Stopped(how, leftovers, code)``.
  ``running(command, ...)`` is a ``Server`` stopped when the block ends.
- ``stop_tree(pid, signum, timeout, group=False)`` works on any process,
  also one another library started (an asyncio subprocess: call it with
  ``asyncio.to_thread``). It sends ``signum`` to the process and every
  descendant (psutil ``children(recursive=True)``) and, with ``group``, to
  every member of the process group ``pid`` leads (even once ``pid`` itself
  has exited); waits up to ``timeout`` for all to be gone; SIGKILLs what is
  left; and reports the pids still alive. It never reaps (a zombie counts
  as gone): the caller's own ``wait()`` still gets the exit code.
- ``group_members(pgid)``: the live processes of a group, to check that
  nothing is left. ``accepting(port)``: whether a port takes connections.
- A ``Server`` still running at interpreter exit is SIGKILLed, tree and all.
"""

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil

HOST = "127.0.0.1"
KILL_TIMEOUT = 5.0  # seconds for SIGKILLed processes to be gone


class StartError(Exception):
    """A server that did not become ready; ``code`` is its exit code, or
    None if it was still running when the timeout passed."""

    def __init__(self, message: str, code: int | None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Stopped:
    """How a process tree was stopped: ``how`` is "exited by itself" (gone
    before any signal), the signal that sufficed ("SIGTERM", "SIGINT"), or
    "SIGKILL"; ``leftovers`` the pids still alive after all that (none,
    normally); ``code`` the exit code, for a ``Server``."""

    how: str
    leftovers: list[int]
    code: int | None = None


def accepting(port: int, host: str = HOST, timeout: float = 0.2) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    with contextlib.suppress(OSError):
        socket.create_connection((host, port), timeout).close()
        return True
    return False


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
    """Process ``pid``, its descendants and, with ``group``, the members
    of the process group it leads and theirs: each once."""
    found: dict[int, psutil.Process] = {}
    for each in [pid, *(group_members(pid) if group else [])]:
        with contextlib.suppress(psutil.Error):
            process = psutil.Process(each)
            found.setdefault(each, process)
            for child in process.children(recursive=True):
                found.setdefault(child.pid, child)
    return list(found.values())


def _gone(
    processes: Sequence[psutil.Process], signum: int, timeout: float
) -> bool:
    """Signal those alive; whether all are gone within ``timeout``."""
    for process in _alive(processes):
        with contextlib.suppress(psutil.Error):
            process.send_signal(signum)
    deadline = time.monotonic() + timeout
    while _alive(processes):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def stop_tree(
    pid: int, signum: int = signal.SIGTERM, timeout: float = 3.0,
    *, group: bool = False,
) -> Stopped:
    """Stop process ``pid`` and its tree: ``signum``, then SIGKILL."""
    processes = _tree(pid, group)
    root = [p for p in processes if p.pid == pid]
    how = signal.Signals(signum).name if _alive(root) else "exited by itself"
    if not _gone(processes, signum, timeout):
        how = "SIGKILL"
        processes += _tree(pid, group)
        _gone(processes, signal.SIGKILL, KILL_TIMEOUT)
    return Stopped(how, sorted({p.pid for p in _alive(processes)}))


_LIVE: set["Server"] = set()
_LIVE_LOCK = threading.Lock()


@atexit.register
def _kill_leftovers() -> None:
    with _LIVE_LOCK:
        servers = list(_LIVE)
    for server in servers:
        stop_tree(server.pid, signal.SIGKILL, 0, group=True)


class Server:
    """``command`` running in a session of its own (see the module)."""

    def __init__(
        self, command: Sequence[str], *, cwd: Path,
        env: Mapping[str, str] | None = None,
        output: Path | IO[bytes] | None = None,
    ) -> None:
        with contextlib.ExitStack() as stack:
            if isinstance(output, Path):
                output = stack.enter_context(output.open("ab"))
            self.popen = subprocess.Popen(  # noqa: S603
                list(command), cwd=cwd, env=None if env is None else dict(env),
                stdin=subprocess.DEVNULL, stdout=output,
                stderr=None if output is None else subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self.popen.pid
        self.stopped: Stopped | None = None
        with _LIVE_LOCK:
            _LIVE.add(self)

    def alive(self) -> bool:
        """Whether the process itself is still running."""
        return self.popen.poll() is None

    def wait_ready(self, ready: Callable[[], bool], timeout: float) -> None:
        """Poll ``ready()`` until true; ``StartError`` if the process exits
        first or ``timeout`` seconds pass."""
        deadline = time.monotonic() + timeout
        while True:
            code = self.popen.poll()
            if code is not None:
                message = f"exited with code {code} while starting"
                raise StartError(message, code)
            if ready():
                return
            if time.monotonic() > deadline:
                raise StartError(f"not ready after {timeout:.0f} s", None)
            time.sleep(0.02)

    def stop(
        self, signum: int = signal.SIGTERM, timeout: float = 3.0
    ) -> Stopped:
        """Stop the tree, reap the process, say how (the first answer
        again if stopped before)."""
        if self.stopped is None:
            stopped = stop_tree(self.pid, signum, timeout, group=True)
            code = None
            with contextlib.suppress(subprocess.TimeoutExpired):
                code = self.popen.wait(1)
            with _LIVE_LOCK:
                _LIVE.discard(self)
            self.stopped = Stopped(stopped.how, stopped.leftovers, code)
        return self.stopped


@contextlib.contextmanager
def running(
    command: Sequence[str], *, cwd: Path,
    env: Mapping[str, str] | None = None,
    output: Path | IO[bytes] | None = None,
    signum: int = signal.SIGTERM, timeout: float = 3.0,
) -> Iterator[Server]:
    """A ``Server`` for the block; its tree is stopped when the block ends."""
    server = Server(command, cwd=cwd, env=env, output=output)
    try:
        yield server
    finally:
        server.stop(signum, timeout)
