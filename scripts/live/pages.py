"""Pages on stage. With ``--step`` (the default in an interactive terminal)
a run waits for Enter between its phases, and each page starts on a clear
screen under a one-line header, so that every page fits the projector's
terminal and nothing is left behind between pages. Meanwhile keys are not
echoed, and an Enter typed before the prompt does not skip a page. With
``--record``, a line of its own (``MARK``) says where a page ends."""

import asyncio
import contextlib
import os
import sys
import termios
from collections.abc import Iterator

from rich.console import Console
from rich.text import Text

PROMPT = "Press Enter to go on"
MARK = "\f"  # a line of its own where --record's run would wait
ERASE = "\r\x1b[K"  # back to column 0, the row erased: the prompt, or ^C


def interactive() -> bool:
    """Whether someone watches and can press Enter: stdin and stdout are
    terminals (``make demo`` typed in one, not piped nor recorded)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def header(name: str, page: int, pages: int) -> Text:
    return Text.assemble((name, "title"), f" · page {page} of {pages}")


@contextlib.contextmanager
def keys_hidden(step: bool) -> Iterator[None]:
    """With ``step`` in a terminal: no key typed is echoed until the end."""
    if not (step and sys.stdin.isatty()):
        yield
        return
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    quiet = [*saved[:3], saved[3] & ~termios.ECHO, *saved[4:]]
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, saved)


def forget_keys(fd: int) -> None:
    """Drop what was typed before the prompt (a terminal only)."""
    if os.isatty(fd):
        termios.tcflush(fd, termios.TCIFLUSH)


def read_line(fd: int) -> None:
    """Read stdin up to a newline or its end (then it goes on)."""
    while os.read(fd, 1) not in (b"\n", b""):
        pass


async def enter(fd: int) -> None:
    """Wait for a line on ``fd`` without blocking the loop (a file: now)."""
    loop, ready = asyncio.get_running_loop(), asyncio.Event()
    with contextlib.suppress(PermissionError):  # a file: read it now
        loop.add_reader(fd, ready.set)
        try:
            await ready.wait()
        finally:
            loop.remove_reader(fd)
    read_line(fd)


class Pager:
    """The pages of one run of ``name``: ``pages`` in all; ``step``: wait
    for Enter at each end of page; ``marks``: print ``MARK`` there."""

    def __init__(
        self, console: Console, name: str = "", pages: int = 1,
        step: bool = False, marks: bool = False,
    ) -> None:
        self.console, self.name, self.pages = console, name, pages
        self.step, self.marks, self.page = step, marks, 1

    def clear(self) -> None:
        if self.step and self.console.is_terminal:
            self.console.clear()

    def end_of_page(self) -> bool:
        """Mark it, or prompt for Enter (what was typed before dropped):
        whether to wait for it."""
        if self.marks:
            self.console.file.write(MARK + "\n")
            self.console.file.flush()
        if self.step:
            with contextlib.suppress(OSError, ValueError):  # not a file
                forget_keys(sys.stdin.fileno())
            self.console.print(Text(PROMPT, "runner"), end="")
        return self.step

    def next_page(self) -> None:
        """After Enter: a clear screen, and the header of the next page."""
        self.page += 1
        self.clear()
        if not self.console.is_terminal:  # piped: the prompt's line ends
            self.console.print()
        self.console.rule(header(self.name, self.page, self.pages))

    async def wait(self) -> None:
        """The end of a page, live."""
        if self.end_of_page():
            await enter(sys.stdin.fileno())
            self.next_page()

    def wait_now(self) -> None:
        """The end of a page, in a replay (nothing else runs meanwhile);
        EOFError if stdin ends first."""
        if self.end_of_page():
            if not sys.stdin.readline():
                raise EOFError("stdin ended before Enter")
            self.next_page()

    def erase_row(self) -> None:
        """Erase the prompt (or the terminal's ^C) before a last line."""
        if self.console.is_terminal:
            self.console.file.write(ERASE)
