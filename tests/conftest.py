"""Fixtures shared by the tests: real servers and a recorder of app output."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from starlette.types import ASGIApp, Receive, Scope, Send

from demos.catalog import BY_NAME
from tests.servers import RunningServer, ServerSpec, run_server

Serve = Callable[[ASGIApp, ServerSpec], RunningServer]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start real servers on 127.0.0.1; all are stopped when the test ends."""
    with contextlib.ExitStack() as stack:

        def start(app: ASGIApp, spec: ServerSpec) -> RunningServer:
            return stack.enter_context(run_server(app, spec))

        yield start


@dataclass
class Printed:
    """One line an app printed, with the monotonic time it printed it."""

    at: float
    text: str


@dataclass
class Prints:
    """Every line printed by the demo modules being recorded."""

    lines: list[Printed] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, *args: Any, **kwargs: Any) -> None:
        text = " ".join(str(arg) for arg in args)
        with self.lock:
            self.lines.append(Printed(time.monotonic(), text))

    def since(self, moment: float, prefix: str = "") -> list[Printed]:
        """The lines printed after ``moment`` that start with ``prefix``."""
        with self.lock:
            return [
                line
                for line in self.lines
                if line.at > moment and line.text.startswith(prefix)
            ]

    def wait_for(self, prefix: str, count: int, timeout: float) -> bool:
        """Wait up to ``timeout`` for ``count`` lines beginning ``prefix``."""
        deadline = time.monotonic() + timeout
        while len(self.since(0, prefix)) < count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.002)
        return True

    def first(self, prefix: str) -> Printed | None:
        """The first line starting with ``prefix``, if any."""
        return next(iter(self.since(0, prefix)), None)


WatchPrints = Callable[..., Prints]


@dataclass
class Returns:
    """An app wrapped so that a test can wait until a request's call ended.

    Waiting for the app to return replaces a guess about how long the
    server takes: whatever the server does right after the app returns
    (such as logging) has happened once its loop has turned once more.
    Lifespan calls are not counted.
    """

    app: ASGIApp
    returned: threading.Event = field(default_factory=threading.Event)

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] != "lifespan":
                self.returned.set()

    def wait(self, timeout: float) -> bool:
        """Whether a call returned within ``timeout`` seconds."""
        return self.returned.wait(timeout)


@pytest.fixture
def prints(monkeypatch: pytest.MonkeyPatch) -> WatchPrints:
    """Record what the given demo modules ``print``, with timestamps."""
    recorder = Prints()

    def watch(*modules: ModuleType) -> Prints:
        for module in modules:
            monkeypatch.setattr(module, "print", recorder.record, raising=False)
        return recorder

    return watch


@pytest.fixture
def server_errors(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """The ERROR lines the servers logged so far in this test."""
    caplog.set_level(logging.ERROR)

    def errors() -> list[str]:
        return [
            record.getMessage()
            for record in caplog.records
            if record.levelno >= logging.ERROR
        ]

    return errors


Report = Callable[[str, str, str], None]
FIGURE = "figure"


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Report:
    """Report a figure in the summary at the end of the run.

    Figures travel as the test's user properties, so that pytest-xdist
    brings them back from its workers.
    """

    def report(demo: str, server: str, measured: str) -> None:
        request.node.user_properties.append((FIGURE, (demo, server, measured)))

    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    figures = sorted(
        tuple(value)
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == FIGURE
    )
    if not figures:
        return
    terminalreporter.section("measured figures")
    for demo, server, measured in figures:
        terminalreporter.write_line(f"{demo:<22} {server:<26} {measured}")


def slide(name: str) -> str:
    """How a failure names the slide that shows demo ``name``."""
    demo = BY_NAME[name]
    return f"slide {demo.slide!r} (assets/asgi_innovations/{name}.svg)"


@pytest.fixture
def curl() -> str:
    """The curl binary. Missing curl skips locally and fails under CI."""
    path = shutil.which("curl")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("curl is required under CI; .ci/run installs it")
        pytest.skip("curl is not installed")
    return path
