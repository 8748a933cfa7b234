"""Fixtures shared by the tests: real servers and a recorder of app output."""

from __future__ import annotations

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
from scripts.net.servers import (
    RunningServer,
    ServerSpec,
    Stopping,
    start_server,
)

Serve = Callable[[ASGIApp, ServerSpec], RunningServer]


@pytest.fixture(scope="session")
def stopping() -> Iterator[list[Stopping]]:
    """Servers told to stop, joined together once the session ends.

    uvicorn takes 0.2 s to shut down, whoever asks: a test does not wait
    for it, and the session still fails if any server never stops.
    """
    servers: list[Stopping] = []
    yield servers
    for server in servers:
        server.join()


@dataclass
class Servers:
    """The servers one test started: they are told to stop when it ends."""

    started: list[RunningServer] = field(default_factory=list)

    def threads(self) -> set[str]:
        return {server.thread.name for server in self.started}


@pytest.fixture
def servers() -> Servers:
    return Servers()


@pytest.fixture
def serve(servers: Servers, stopping: list[Stopping]) -> Iterator[Serve]:
    """Start real servers on 127.0.0.1; all are told to stop after the test."""
    stops: list[Callable[[], Stopping]] = []

    def start(app: ASGIApp, spec: ServerSpec) -> RunningServer:
        server, stop = start_server(app, spec)
        servers.started.append(server)
        stops.append(stop)
        return server

    yield start
    stopping.extend(stop() for stop in stops)


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
    # Servers of earlier tests, still shutting down: their apps' lines
    # are not this test's.
    stopping: list[Stopping] = field(default_factory=list)

    def record(self, *args: Any, **kwargs: Any) -> None:
        here = threading.current_thread()
        if any(server.thread is here for server in self.stopping):
            return
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
def prints(
    monkeypatch: pytest.MonkeyPatch, stopping: list[Stopping]
) -> WatchPrints:
    """Record what the given demo modules ``print``, with timestamps."""
    recorder = Prints(stopping=stopping)

    def watch(*modules: ModuleType) -> Prints:
        for module in modules:
            monkeypatch.setattr(module, "print", recorder.record, raising=False)
        return recorder

    return watch


@pytest.fixture
def server_errors(
    caplog: pytest.LogCaptureFixture, servers: Servers
) -> Callable[[], list[str]]:
    """The ERROR lines this test's servers logged so far.

    Only this test's servers count: another test's server may still be
    shutting down, and log, meanwhile.
    """
    caplog.set_level(logging.ERROR)

    def errors() -> list[str]:
        return [
            record.getMessage()
            for record in caplog.records
            if record.levelno >= logging.ERROR
            and record.threadName in servers.threads()
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


def usage(
    main: Callable[[list[str]], object], capsys: pytest.CaptureFixture[str]
) -> str:
    """What a command's ``--help`` prints; it must exit 0."""
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


# Scheduling, derived: the test files that take longest start first, so
# that the two workers (pytest-xdist, --dist loadfile) end together rather
# than one starting a long file while the other is idle. How long a file
# takes is what the last run on this machine measured (pytest's cache);
# with no such run, how many module- or session-wide fixtures (servers,
# builds, browsers) its tests set up.
DURATIONS = "asgi-innovations/durations"  # test file -> seconds, last run


def shared_fixtures(item: pytest.Item) -> int:
    """How many of ``item``'s fixtures are set up once per file or run."""
    info = getattr(item, "_fixtureinfo", None)  # pytest's, on every test
    defs = info.name2fixturedefs if info else {}
    return sum(1 for chain in defs.values()
               if chain and chain[-1].scope in ("module", "session"))


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    measured = config.cache.get(DURATIONS, {}) if config.cache else {}
    weight: dict[str, float] = {}
    for item in items:
        file = item.nodeid.partition("::")[0]
        guess = float(shared_fixtures(item))
        weight[file] = max(weight.get(file, 0.0), guess)
    if measured and set(weight) <= set(measured):
        weight = {file: float(measured[file]) for file in weight}
    items.sort(key=lambda item: -weight[item.nodeid.partition("::")[0]])


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    file = report.nodeid.partition("::")[0]
    TOOK[file] = TOOK.get(file, 0.0) + report.duration


TOOK: dict[str, float] = {}  # this run's seconds by test file


def pytest_sessionfinish(session: pytest.Session) -> None:
    worker = hasattr(session.config, "workerinput")  # xdist's workers
    if TOOK and session.config.cache and not worker:
        rounded = {file: round(seconds, 1) for file, seconds in TOOK.items()}
        session.config.cache.set(DURATIONS, rounded)
