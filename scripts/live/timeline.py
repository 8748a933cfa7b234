"""What the live runner prints: a header, one timeline of both sides, in the
order things happened and stamped from the start, then a summary."""

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
Headers = Iterable[tuple[str | bytes, str | bytes]]


def status_text(code: int, reason: str) -> Text:
    """An HTTP status, green when it went through, red when refused."""
    style = "bold green" if code < 400 else "bold red"
    return Text(f"{code} {reason}".strip(), style=style)


def as_text(value: str | bytes) -> str:
    """A header name or value as text."""
    return value.decode("latin-1") if isinstance(value, bytes) else value


def header_lines(headers: Headers) -> list[str]:
    """``name: value`` lines, as they read on the wire."""
    return [f"{as_text(name)}: {as_text(value)}" for name, value in headers]


class Timeline:
    """Client events and server lines, in arrival order, stamped."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.start = time.monotonic()

    def now(self) -> float:
        """Seconds since the start."""
        return time.monotonic() - self.start

    def sent(self, what: str | Text, details: Iterable[str] = ()) -> None:
        """The client sent something."""
        self.row(self.now(), "client", "→", what, details)

    def received(self, what: str | Text, details: Iterable[str] = ()) -> None:
        """The client received something."""
        self.row(self.now(), "client", "←", what, details)

    def note(self, what: str | Text, details: Iterable[str] = ()) -> None:
        """Something the client did or checked."""
        self.row(self.now(), "client", "•", what, details)

    def detail(self, line: str) -> None:
        """One more line for the row above."""
        self.row(None, "", "", Text(f"  {line}", style="dim"))

    def runner(self, what: str) -> None:
        """Something this runner did to the server."""
        self.row(self.now(), "runner", "»", Text(what, style="dim"))

    def server(self, line: str, at: float) -> None:
        """One line of the server's output: uvicorn's log or the app's."""
        match = LOG_LINE.fullmatch(line)
        if match is None:
            body = Text(line, style="bold yellow")  # the app's own print()
        else:
            level = match["level"]
            body = Text.assemble(
                (level, LEVEL_STYLE.get(level, "")), " ", match["message"]
            )
            if known := KNOWN_ISSUES.get(match["message"]):
                body.append(f"\n  ↳ known issue: {known}", style="dim")
        self.row(at, "server", "│", body)

    def row(
        self,
        at: float | None,
        who: str,
        mark: str,
        what: str | Text,
        details: Iterable[str] = (),
    ) -> None:
        """One row: when, who, which way, what, and lines under it."""
        body = Text(what) if isinstance(what, str) else what.copy()
        for line in details:
            body.append(f"\n  {line}", style="dim")
        style = WHO_STYLE.get(who, "")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(justify="right", width=9, style="dim")
        grid.add_column(width=6, style=style)
        grid.add_column(width=1, style=style)
        grid.add_column()
        grid.add_row("" if at is None else f"+{at:.3f}s", who, mark, body)
        self.console.print(grid)

    def header(self, title: Text, command: str, paced: str) -> None:
        """The demo's title, the server command, and its pace if changed."""
        self.console.rule(title)
        self.command(command)
        if paced:
            self.console.print(Text(paced, style="dim"))
        self.console.print()

    def command(self, command: str) -> None:
        """A command line, ready to copy."""
        text = Text(f"$ {command}", style="bold green")
        self.console.print(text, soft_wrap=True)

    def summary(self, summary: str, findings: list[str], ok: bool) -> None:
        """What the demo proves, and what was measured to show it."""
        grid = Table.grid(padding=(0, 1))
        for finding in findings:
            grid.add_row("•", finding)
        body = Group(Text(summary, style="bold"), grid)
        self.console.print()
        self.console.print(
            Panel(body, title="What this shows", border_style=style(ok))
        )

    def try_it(self, command: str) -> None:
        """The command to type in another terminal, and how to stop."""
        self.console.print()
        self.console.print(Text("In another terminal, try:", style="bold"))
        self.command(command)
        self.console.print(Text("Press Ctrl-C to stop.", style="dim"))
        self.console.print()

    def fail(self, message: str) -> None:
        """Why the demo could not be shown."""
        self.console.print()
        self.console.print(Text(f"Error: {message}", style="bold red"))


def style(ok: bool) -> str:
    """Green for what went as it should, red for what did not."""
    return "green" if ok else "red"
