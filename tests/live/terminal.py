"""A command run as the speaker types it: in a pseudo-terminal of its own
(80 by 24 unless told), its controlling terminal, so that Ctrl-C (``\\x03``) is
the terminal's SIGINT to make and the runner, and Enter turns a page; or,
``tty=False``, on pipes. What it prints is kept with the time each chunk
arrived."""

import contextlib
import fcntl
import os
import re
import signal
import struct
import subprocess
import termios
import threading
import time

import psutil
from rich.cells import cell_len

from tests.live.cli import FRESH, ROOT, server_alive

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
CLEAR = "\x1b[2J"  # where the runner starts a page
# A new shell in an interactive terminal: FRESH, but the width is the
# terminal's (no COLUMNS), as on stage.
STAGE = {k: v for k, v in FRESH.items() if k != "COLUMNS"} | {
    "TERM": "xterm-256color",
}


def claim_terminal() -> None:  # in the child, a session leader already
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """``command`` on a pseudo-terminal of ``rows`` by ``columns`` (or, not
    ``tty``, with its stdin and output on pipes)."""

    def __init__(self, command: list[str], env: dict[str, str] = STAGE,
                 rows: int = 24, columns: int = 80, tty: bool = True) -> None:
        if tty:
            self.output, slave = os.openpty()
            size = struct.pack("HHHH", rows, columns, 0, 0)
            fcntl.ioctl(slave, termios.TIOCSWINSZ, size)
            self.keys, keys, written = self.output, slave, slave
        else:
            (self.output, written), (keys, self.keys) = os.pipe(), os.pipe()
        self.chunks: list[tuple[float, bytes]] = []
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=keys, stdout=written,
            stderr=written, start_new_session=True,
            preexec_fn=claim_terminal if tty else None,
        )
        os.close(written)
        if not tty:
            os.close(keys)
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self) -> None:
        with contextlib.suppress(OSError):  # EIO: every writer is gone
            while chunk := os.read(self.output, 65536):
                self.chunks.append((time.monotonic(), chunk))

    @property
    def text(self) -> str:
        return b"".join(c for _, c in self.chunks).decode(errors="replace")

    @property
    def plain(self) -> str:
        return "\n".join(lines(self.text))

    def type(self, keys: bytes) -> float:
        """Type ``keys``; when."""
        at = time.monotonic()
        os.write(self.keys, keys)
        return at

    def wait_for(self, text: str, timeout: float, count: int = 1) -> bool:
        deadline = time.monotonic() + timeout
        while self.text.count(text) < count:
            if time.monotonic() > deadline or self.process.poll() is not None:
                return self.text.count(text) >= count
            time.sleep(0.01)
        return True

    def first_after(self, at: float) -> float | None:
        """When the first byte after ``at`` arrived, if one has."""
        return next((when for when, _ in self.chunks if when > at), None)

    def after(self, at: float) -> tuple[str, float | None]:
        """What arrived after ``at``, and when its last byte did."""
        late = [(when, chunk) for when, chunk in self.chunks if when > at]
        text = b"".join(chunk for _, chunk in late).decode(errors="replace")
        return text, (late[-1][0] if late else None)

    def finish(self, timeout: float) -> int:
        """Wait for the command and the end of its output; its exit code."""
        code = self.process.wait(timeout)
        self.reader.join(timeout)
        return code

    def stop(self) -> None:
        """Make sure the command, and any server it started, is gone."""
        with contextlib.suppress(psutil.Error):
            for child in psutil.Process(self.process.pid).children(True):
                child.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        for pid in re.findall(r"Server up: PID (\d+)", self.text):
            if server_alive(int(pid)):
                os.kill(int(pid), signal.SIGKILL)
        self.reader.join(5)
        for fd in {self.output, self.keys}:
            os.close(fd)


def lines(text: str) -> list[str]:
    """The rows ``text`` writes, colours and erasures aside."""
    plain = ANSI.sub("", text.replace("\r\n", "\n"))
    return [line.rsplit("\r", 1)[-1] for line in plain.split("\n")]


def screen_rows(text: str, columns: int = 80) -> int:
    """How many rows of a ``columns`` wide terminal ``text`` fills."""
    return sum(max(1, -(-cell_len(line) // columns)) for line in lines(text))


def pages(text: str) -> list[str]:
    """What each page of a paged run shows: the text after each clear."""
    return text.split(CLEAR)[1:]


def contention(cpu: float = 0.05) -> float:
    """How shared the CPU is now, measured: a busy loop's wall time over the
    CPU time it got (about 1 on an idle core, 3 beside four CPU-bound
    processes on two cores)."""
    wall, used = time.perf_counter(), time.process_time()
    while time.process_time() - used < cpu:
        pass
    return (time.perf_counter() - wall) / (time.process_time() - used)

