"""The timeline where the server's lines meet the client's: one stamped row
each, in arrival order, in the runner's palette."""

import asyncio
import contextlib
import os
import re
import sys
import time
from collections.abc import Iterable
from urllib.parse import quote

from rich.console import Console
from rich.table import Table
from rich.text import Text

KNOWN_ISSUES = {  # lines alarming on a projector, but known server bugs
    "ASGI callable returned without completing handshake.": "uvicorn bug "
    "(PR #3138): the client got it all",
}
LEVEL_STYLE = {"INFO": "info", "WARNING": "warning", "ERROR": "bad"}
# Header lines shown with --verbose only: the date, and the connection's
# own (hop-by-hop) fields, which say nothing about the demo.
QUIET_HEADERS = ("date:", "connection:", "sec-websocket-accept:")
LOG_LINE = re.compile(r"(?P<level>[A-Z]+):\s+(?P<message>.*)")
# uvicorn's start-up, shutdown and WebSocket connection lines (the access
# log says as much): shown with --verbose only.
FOLDED = re.compile(
    r"Started server|Waiting for application|Application \w+ complete"
    r"|Uvicorn running on|Shutting down$|Finished server|connection \w+"
)
Content = str | Text
Headers = Iterable[tuple[str | bytes, str | bytes]]


def style(ok: bool) -> str:  # what went as it should, or did not
    return "ok" if ok else "bad"


def status_text(code: int, reason: str) -> Text:
    return Text(f"{code} {reason}".strip(), style=style(code < 400))


def header_lines(headers: Headers) -> list[str]:
    return [
        ": ".join(x.decode("latin-1") if isinstance(x, bytes) else x for x in h)
        for h in headers
    ]


class Timeline:
    """Client events and server lines, in arrival order, stamped; with
    ``step``, ``pause()`` waits for Enter; ``secret``: shown as ***."""

    def __init__(
        self, console: Console, verbose: bool = False, step: bool = False,
        secret: str = "",
    ) -> None:
        self.console, self.start = console, time.monotonic()
        self.verbose, self.step, self.secret = verbose, step, secret

    def mask(self, text: str) -> str:
        for form in {self.secret, quote(self.secret)} - {""}:
            text = text.replace(form, "***")
        return text

    async def pause(self) -> None:
        """With ``step``: wait for a line on stdin (at its end: go on)."""
        if not self.step:
            return
        self.console.print(Text("Press Enter to go on", "runner"))
        loop, ready = asyncio.get_running_loop(), asyncio.Event()
        fd = sys.stdin.fileno()
        with contextlib.suppress(PermissionError):  # a file: read it now
            loop.add_reader(fd, ready.set)
            try:
                await ready.wait()
            finally:
                loop.remove_reader(fd)
        while os.read(fd, 1) not in (b"\n", b""):
            pass

    def now(self) -> float:
        return time.monotonic() - self.start

    def sent(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "→", what, details)

    def received(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "←", what, details)

    def note(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "•", what, details)

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

    def command(self, command: str) -> None:  # ready to copy
        self.console.print(Text(f"$ {command}", "command"), soft_wrap=True)
