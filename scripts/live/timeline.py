"""The timeline: the server's lines and the client's, a stamped row each;
its pages: with ``--step``, Enter (keys typed before the prompt neither
echoed nor counted), then a clear screen; with ``--record``, ``BREAK``."""

import asyncio
import contextlib
import os
import re
import sys
import termios
import textwrap
import time
from collections.abc import Iterable, Iterator
from urllib.parse import quote

from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from scripts.transcripts import BREAK

PROMPT = "Press Enter to go on"
KNOWN_ISSUES = {  # lines alarming on a projector, but known server bugs
    "ASGI callable returned without completing handshake.": "uvicorn bug "
    "(PR #3138): the client got it all",
}
LEVEL_STYLE = {"INFO": "info", "WARNING": "warning", "ERROR": "bad"}
# Header lines shown with --verbose only: they say nothing about the demo.
QUIET_HEADERS = ("date:", "server:", "connection:", "sec-websocket-accept:")
LOG_LINE = re.compile(r"(?P<level>[A-Z]+):\s+(?P<message>.*)")
# uvicorn's start-up, shutdown and WebSocket connection lines: --verbose.
FOLDED = re.compile(
    r"Started server|Waiting for application|Application \w+ complete"
    r"|Uvicorn running on|Shutting down$|Finished server|connection \w+"
)
OPTION = re.compile(r"(?<!\S)(-\S*) (?=[^-\s])")  # an option and its value
CONTINUED = " \\"  # ends a row of a command that goes on below
# A page ends after SETTLE s with no row (late lines), SETTLE_LIMIT at most.
SETTLE, SETTLE_LIMIT = 0.2, 1.0
Headers = Iterable[tuple[str, str]]


def header_lines(headers: Headers) -> list[str]:
    return [f"{name}: {value}" for name, value in headers]


@contextlib.contextmanager
def keys_hidden(step: bool) -> Iterator[None]:
    """With ``step`` in a terminal: no key typed is echoed until the end."""
    if not (step and sys.stdin.isatty()):
        yield
        return
    saved = termios.tcgetattr(sys.stdin)
    quiet = [*saved[:3], saved[3] & ~termios.ECHO, *saved[4:]]
    termios.tcsetattr(sys.stdin, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(sys.stdin, termios.TCSANOW, saved)


async def enter(fd: int) -> None:
    """Wait for a line on ``fd``, or its end, without blocking the loop."""
    loop, ready = asyncio.get_running_loop(), asyncio.Event()
    with contextlib.suppress(PermissionError):  # a file: read it now
        loop.add_reader(fd, ready.set)
        try:
            await ready.wait()
        finally:
            loop.remove_reader(fd)
    while os.read(fd, 1) not in (b"\n", b""):
        pass


class Timeline:
    """Rows stamped since the server is up, on ``pages`` pages of a run of
    ``name`` (``pause``); ``secret``: shown as ***; once ``muted``, none."""

    def __init__(
        self, console: Console, name: str = "", pages: int = 1,
        verbose: bool = False, step: bool = False, secret: str = "",
        marks: bool = False,
    ) -> None:
        self.console, self.name, self.pages, self.page = console, name, pages, 1
        self.verbose, self.step, self.marks = verbose, step, marks
        self.secret, self.muted = secret, False
        self.start = self.last = time.monotonic()  # the stamps' 0, a row's

    def mask(self, text: str) -> str:
        for form in {self.secret, quote(self.secret)} - {""}:
            text = text.replace(form, "***")
        return text

    def clear(self) -> None:
        if self.step and self.console.is_terminal:
            self.console.clear()

    async def pause(self) -> None:
        """A page's end, once no row came for ``SETTLE`` (a late line stays
        on its page): marked with ``marks``; with ``step``, Enter, then the
        next page's header on a clear screen. Stamps skip the wait."""
        if not (self.step or self.marks):
            return
        waited = time.monotonic()
        while (quiet := time.monotonic() - self.last) < SETTLE:
            if time.monotonic() - waited >= SETTLE_LIMIT:
                break
            await asyncio.sleep(SETTLE - quiet)
        if self.marks:
            self.console.file.write(BREAK + "\n")
            self.console.file.flush()
        if self.step:
            if sys.stdin.isatty():  # what was typed before the prompt
                termios.tcflush(sys.stdin, termios.TCIFLUSH)
            self.console.print(Text(PROMPT, "runner"), end="")
            await enter(sys.stdin.fileno())
            self.page += 1
            self.clear()
            if not self.console.is_terminal:  # piped: the prompt's line ends
                self.console.print()
            self.console.rule(Text.assemble(
                (self.name, "title"), f" · page {self.page} of {self.pages}"))
        self.start += time.monotonic() - waited

    def now(self) -> float:
        return time.monotonic() - self.start

    def client(
        self, mark: str, what: str | Text, details: Iterable[str] = ()
    ) -> None:
        """What the client did: → sent, ← received, • noted."""
        self.row(self.now(), "client", mark, what, details)

    def answer(
        self, version: str, code: int, reason: str, headers: Headers,
        said: str = "", details: Iterable[str] = (),
    ) -> None:
        """A status line received, its headers (and ``details``) below."""
        status = Text(f"{code} {reason}".strip(),
                      style="ok" if code < 400 else "bad")
        self.client("←", Text.assemble(f"HTTP/{version} ", status, said),
                    [*header_lines(headers), *details])

    def runner(self, what: str) -> None:  # what it did to the server
        self.row(self.now(), "runner", "»", Text(what, style="runner"))

    def server(self, line: str, at: float) -> None:
        """One line of the server's output: uvicorn's log or the app's."""
        if (match := LOG_LINE.fullmatch(line)) is None:
            body = Text(line, style="app")  # the app's own print()
        else:
            level, message = match["level"], match["message"]
            if not self.verbose and FOLDED.match(message):
                return
            body = Text(level, LEVEL_STYLE.get(level, "")).append(f" {message}")
            if known := KNOWN_ISSUES.get(message):
                body.append(f"\n  └ known {known}", style="detail")
        self.row(at, "server", "│", body)

    def row(
        self, at: float | None, who: str, mark: str, what: str | Text,
        details: Iterable[str] = (),
    ) -> None:
        if self.muted:
            return
        self.last = time.monotonic()
        body = Text(what) if isinstance(what, str) else what.copy()
        for line in details:
            if self.verbose or not line.lower().startswith(QUIET_HEADERS):
                body.append(f"\n  {line}", style="detail")
        grid = Table.grid(
            Column(justify="right", width=8, style="stamp"),
            Column(width=8, style=who), Column(), padding=(0, 1))
        stamp = "" if at is None else f"+{at:.3f}s"
        grid.add_row(stamp, f"{who:6} {mark}", body)
        self.console.print(grid)

    def command(self, command: str) -> None:
        """``$ command``, to copy or retype, cut between words (an option
        stays with its value) into rows ending `` \\``: the shell reads one."""
        glued = OPTION.sub("\\1\xa0", command)  # textwrap cuts no \xa0
        rows = textwrap.wrap(
            glued, self.console.width - len(CONTINUED), initial_indent="$ ",
            subsequent_indent="    ", break_long_words=False,
            break_on_hyphens=False,
        )
        said = f"{CONTINUED}\n".join(rows).replace("\xa0", " ")
        self.console.print(Text(said, "command"), soft_wrap=True)
