"""The timeline where the server's lines meet the client's: one stamped row
each, in arrival order, in the runner's palette."""

import asyncio
import re
import textwrap
import time
from collections.abc import Iterable
from urllib.parse import quote

from rich.console import Console
from rich.table import Table
from rich.text import Text

from scripts.live.pages import Pager

KNOWN_ISSUES = {  # lines alarming on a projector, but known server bugs
    "ASGI callable returned without completing handshake.": "uvicorn bug "
    "(PR #3138): the client got it all",
}
LEVEL_STYLE = {"INFO": "info", "WARNING": "warning", "ERROR": "bad"}
# Header lines shown with --verbose only: the date, the server's name, and
# the connection's own (hop-by-hop) fields: they say nothing about the demo.
QUIET_HEADERS = ("date:", "server:", "connection:", "sec-websocket-accept:")
LOG_LINE = re.compile(r"(?P<level>[A-Z]+):\s+(?P<message>.*)")
# uvicorn's start-up, shutdown and WebSocket connection lines (the access
# log says as much): shown with --verbose only.
FOLDED = re.compile(
    r"Started server|Waiting for application|Application \w+ complete"
    r"|Uvicorn running on|Shutting down$|Finished server|connection \w+"
)
OPTION = re.compile(r"(?<!\S)(-\S*) (?=[^-\s])")  # an option and its value
CONTINUED = " \\"  # ends a row of a command that goes on below
# A page ends once no row came for SETTLE seconds (or SETTLE_LIMIT passed):
# a server logs some lines just after the client has its answer.
SETTLE, SETTLE_LIMIT = 0.2, 1.0
Content = str | Text
Headers = Iterable[tuple[str | bytes, str | bytes]]


def style(ok: bool) -> str:  # what went as it should, or did not
    return "ok" if ok else "bad"


def header_lines(headers: Headers) -> list[str]:
    return [
        ": ".join(x.decode("latin-1") if isinstance(x, bytes) else x for x in h)
        for h in headers
    ]


class Timeline:
    """Client events and server lines, in arrival order, stamped since the
    server is up; ``pager``: the run's pages (with ``step``, ``pause()``
    waits for Enter; with ``marks``, it marks the page's end); ``secret``:
    shown as ***; once ``muted``, nothing more is shown but ``stopped()``."""

    def __init__(
        self, console: Console, verbose: bool = False, step: bool = False,
        secret: str = "", marks: bool = False,
    ) -> None:
        self.console, self.start = console, time.monotonic()
        self.last = self.start  # when the last row came
        self.verbose, self.secret, self.muted = verbose, secret, False
        self.pager = Pager(console, step=step, marks=marks)

    def mask(self, text: str) -> str:
        for form in {self.secret, quote(self.secret)} - {""}:
            text = text.replace(form, "***")
        return text

    async def pause(self) -> None:
        """The end of a page, once no row came for ``SETTLE`` (a server's
        late line stays on its page); the stamps do not count the wait."""
        if not (self.pager.step or self.pager.marks):
            return
        waited = time.monotonic()
        while (quiet := time.monotonic() - self.last) < SETTLE:
            if time.monotonic() - waited >= SETTLE_LIMIT:
                break
            await asyncio.sleep(SETTLE - quiet)
        await self.pager.wait()
        self.start += time.monotonic() - waited

    def zero(self) -> None:  # the stamps count from now on: the server is up
        self.start = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.start

    def sent(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "→", what, details)

    def received(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "←", what, details)

    def note(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "•", what, details)

    def answer(
        self, version: str, code: int, reason: str, headers: Headers,
        said: str = "", details: Iterable[str] = (),
    ) -> None:
        """A status line received, its headers (and ``details``) below."""
        status = Text(f"{code} {reason}".strip(), style=style(code < 400))
        self.received(Text.assemble(f"HTTP/{version} ", status, said),
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
        self, at: float | None, who: str, mark: str, what: Content,
        details: Iterable[str] = (),
    ) -> None:
        if self.muted:
            return
        self.last = time.monotonic()
        body = Text(what) if isinstance(what, str) else what.copy()
        for line in details:
            if self.verbose or not line.lower().startswith(QUIET_HEADERS):
                body.append(f"\n  {line}", style="detail")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", width=8, style="stamp")
        grid.add_column(width=8, style=who)
        grid.add_column()
        stamp = "" if at is None else f"+{at:.3f}s"
        grid.add_row(stamp, f"{who:6} {mark}", body)
        self.console.print(grid)

    def command(self, command: str) -> None:
        """``$ command``, ready to copy or retype, cut between its words (an
        option stays with its value) into rows within the console's width,
        each but the last ending with `` \\``: the shell reads one command."""
        glued = OPTION.sub("\\1\xa0", command)  # textwrap cuts no \xa0
        rows = textwrap.wrap(
            glued, self.console.width - len(CONTINUED), initial_indent="$ ",
            subsequent_indent="    ", break_long_words=False,
            break_on_hyphens=False,
        )
        said = f"{CONTINUED}\n".join(rows).replace("\xa0", " ")
        self.console.print(Text(said, "command"), soft_wrap=True)
