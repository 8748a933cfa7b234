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


def interactive() -> bool:
    """Whether someone watches and can press Enter: stdin and stdout are
    terminals (``make demo`` typed in one, not piped nor recorded)."""
    return sys.stdin.isatty() and sys.stdout.isatty()


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


async def enter(fd: int) -> None:
    """Wait for a line on ``fd``, or its end, without blocking the loop;
    what was typed before the prompt does not count (a terminal only)."""
    if os.isatty(fd):
        termios.tcflush(fd, termios.TCIFLUSH)
    loop, ready = asyncio.get_running_loop(), asyncio.Event()
    with contextlib.suppress(PermissionError):  # a file: read it now
        loop.add_reader(fd, ready.set)
        try:
            await ready.wait()
        finally:
            loop.remove_reader(fd)
    while os.read(fd, 1) not in (b"\n", b""):
        pass


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

    async def wait(self) -> None:
        """The end of a page: mark it, or prompt for Enter, then show the
        next page's header on a clear screen."""
        if self.marks:
            self.console.file.write(MARK + "\n")
            self.console.file.flush()
        if not self.step:
            return
        self.console.print(Text(PROMPT, "runner"), end="")
        await enter(sys.stdin.fileno())
        self.page += 1
        self.clear()
        if not self.console.is_terminal:  # piped: the prompt's line ends
            self.console.print()
        header = Text.assemble((self.name, "title"),
                               f" · page {self.page} of {self.pages}")
        self.console.rule(header)
