"""What the live runner prints: a header, one timeline of both sides in the
order things happened, stamped from the start, then a summary."""

import re
import time
from collections.abc import Iterable

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

WHO_STYLE = {"client": "bold cyan", "server": "bold magenta", "runner": "dim"}
# Server lines that look alarming on a projector but are known server bugs.
KNOWN_ISSUES = {
    "ASGI callable returned without completing handshake.": (
        "uvicorn 0.54's websockets-sansio logs this after every denial "
        "response, though the client got all of it (uvicorn PR #3138)"
    ),
}
LEVEL_STYLE = {"INFO": "green", "WARNING": "yellow", "ERROR": "bold red"}
LOG_LINE = re.compile(r"(?P<level>[A-Z]+):\s+(?P<message>.*)")
Content = str | Text
Headers = Iterable[tuple[str | bytes, str | bytes]]


def style(ok: bool) -> str:  # for what went as it should, or did not
    return "green" if ok else "red"


def status_text(code: int, reason: str) -> Text:
    return Text(f"{code} {reason}".strip(), style=f"bold {style(code < 400)}")


def header_lines(headers: Headers) -> list[str]:
    """``name: value`` lines, as they read on the wire."""
    return [
        ": ".join(x.decode("latin-1") if isinstance(x, bytes) else x for x in h)
        for h in headers
    ]


class Timeline:
    """Client events and server lines, in arrival order, stamped."""

    def __init__(self, console: Console) -> None:
        self.console, self.start = console, time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self.start

    # What the client sent, received, and did or checked.
    def sent(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "→", what, details)

    def received(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "←", what, details)

    def note(self, what: Content, details: Iterable[str] = ()) -> None:
        self.row(self.now(), "client", "•", what, details)

    def runner(self, what: str) -> None:  # what it did to the server
        self.row(self.now(), "runner", "»", Text(what, style="dim"))

    def server(self, line: str, at: float) -> None:
        """One line of the server's output: uvicorn's log or the app's."""
        if (match := LOG_LINE.fullmatch(line)) is None:
            body = Text(line, style="bold yellow")  # the app's own print()
        else:
            level, message = match["level"], match["message"]
            body = Text(level, LEVEL_STYLE.get(level, "")).append(f" {message}")
            if known := KNOWN_ISSUES.get(message):
                body.append(f"\n  ↳ known issue: {known}", style="dim")
        self.row(at, "server", "│", body)

    def row(
        self, at: float | None, who: str, mark: str, what: Content,
        details: Iterable[str] = (),
    ) -> None:
        """One row: when, who, which way, what, and lines under it."""
        body = Text(what) if isinstance(what, str) else what.copy()
        for line in details:
            body.append(f"\n  {line}", style="dim")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", width=9, style="dim")
        grid.add_column(width=8, style=WHO_STYLE.get(who, ""))
        grid.add_column()
        stamp = "" if at is None else f"+{at:.3f}s"
        grid.add_row(stamp, f"{who:6} {mark}", body)
        self.console.print(grid)

    def header(self, title: Text, command: str, paced: str) -> None:
        """The demo's title, the server command, and its pace if changed."""
        self.console.rule(title)
        self.command(command)
        if paced:
            self.console.print(Text(paced, style="dim"))
        self.console.print()

    def command(self, command: str) -> None:  # ready to copy
        self.console.print(Text(f"$ {command}", "bold green"), soft_wrap=True)

    def summary(self, summary: str, findings: list[str], ok: bool) -> None:
        """What the demo proves, and what was measured to show it."""
        grid = Table.grid(padding=(0, 1))
        for finding in findings:
            grid.add_row("•", finding)
        body = Group(Text(summary, style="bold"), grid)
        panel = Panel(body, title="What this shows", border_style=style(ok))
        self.console.print("", panel)

    def try_it(self, command: str) -> None:
        self.console.print(Text("\nIn another terminal, try:", style="bold"))
        self.command(command)
        self.console.print(Text("Press Ctrl-C to stop.\n", style="dim"))

    def fail(self, message: str) -> None:
        self.console.print(Text(f"\nError: {message}", style="bold red"))
