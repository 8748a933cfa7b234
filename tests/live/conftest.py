"""The demos' live runs, ``make demo NAME=...`` as the slides show them,
shared by the modules that check their output: they start together when the
first test asks, a few at a time, the longest recorded first, so the runs
take about as long as the slowest demos."""

import re
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from demos.catalog import BY_NAME, SENDING, Demo
from scripts.net.ports import pick_port
from scripts.transcripts import duration
from tests.live.cli import FRESH, PACED, PROTOTYPE_PACE, STOP_TIMEOUT, Runner

RUN_TIMEOUT = 60.0  # seconds for one demo run (the slowest: ~5 s)
LANES = 6  # demo runs at once: most of a run is waiting
# The streams run on the prototype of uvicorn #3085, at a test pace.
PROTOTYPE = [f"{name} HTTP=oserror"
             for name in ("raise_oserror", "fastapi_streaming")]


@dataclass(frozen=True)
class Finished:
    """One finished ``make demo NAME=...`` run."""

    demo: Demo
    port: int
    code: int
    output: str
    server_pids: list[int]


SENT = f"server │ {SENDING} '"  # a chunk the app sends, as the runner shows
OBSERVED = re.compile(
    r"Observed by the runner: spec_version ([\d.]+); "
    r"the response ran in (\d+) tasks?\."
)


def stalled(run: Finished, pace: float) -> int:
    """The app's sends due between the client's last read and its hang-up:
    the runner hangs up right after its last read, unless the machine
    stalls it; the chunks the app produced meanwhile were sent before the
    client left, yet the runner shows them after. Measured in the run."""
    stamps = re.findall(r"\+([\d.]+)s client (?:← body|• Hangs up)", run.output)
    read, hung_up = float(stamps[-2]), float(stamps[-1])
    return int((hung_up - read) / pace)


def sent_after_leaving(run: Finished) -> int:
    """How many more SENDING lines the app printed after the client left."""
    match = re.search(rf"Client gone: [\w ]+, (\d+) more '{SENDING}' lines?\b",
                      run.output)
    assert match is not None, run.output
    return int(match[1])


def observed(run: Finished) -> tuple[tuple[int, ...], int]:
    """The spec version and the tasks the runner observed in the server."""
    (match,) = OBSERVED.finditer(run.output)
    return tuple(int(part) for part in match[1].split(".")), int(match[2])


def run_demo(key: str, runners: list[Runner], logs: Path) -> Finished:
    """Run ``make demo NAME=KEY`` (KEY: a demo's name, then any ``HTTP=``)
    as a slide shows it, in a new shell, to the end; ``DEMO_ARGS`` puts it
    on a free port, at its test pace."""
    name, *options = key.split()
    interval = PACED.get(name, PROTOTYPE_PACE if options else None)
    port = pick_port()
    pace = "" if interval is None else f" --interval {interval}"
    log = logs / f"{key.replace(' ', '_')}.log"
    command = f"make demo NAME={key}".split()
    env = {**FRESH, "DEMO_ARGS": f"--port {port}{pace}"}
    runner = Runner(log, command=command, env=env)
    runners.append(runner)
    try:
        code = runner.finish(RUN_TIMEOUT)
    finally:
        runner.stop()
    return Finished(BY_NAME[name], port, code, runner.output,
                    runner.server_pids())


def selected_runs(session: pytest.Session) -> list[str]:
    """The runs the selected tests using ``live_runs`` ask for (parameter
    ``demo``: a Demo or its name; ``key``: a name and options), the longest
    on stage first, as recorded."""
    keys = set()
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if "live_runs" in getattr(item, "fixturenames", ()) and callspec:
            if demo := callspec.params.get("demo"):
                keys.add(demo if isinstance(demo, str) else demo.name)
            if key := callspec.params.get("key"):
                keys.add(key)
    return sorted(keys, key=lambda key: -duration(".".join(
        part.removeprefix("HTTP=") for part in key.split())))


class LiveRuns:
    """The demo runs, a few at a time; one no test announced starts on call."""

    def __init__(self, logs: Path) -> None:
        self.logs, self.runners = logs, list[Runner]()
        self.executor = ThreadPoolExecutor(LANES, thread_name_prefix="demo")
        self.futures: dict[str, Future[Finished]] = {}

    def start(self, key: str) -> None:
        if key not in self.futures:
            self.futures[key] = self.executor.submit(
                run_demo, key, self.runners, self.logs
            )

    def finished(self, key: str) -> Finished:
        """The run of ``key`` (a demo's name, or more), once it is over."""
        self.start(key)
        return self.futures[key].result(RUN_TIMEOUT + STOP_TIMEOUT)

    def succeeded(self, key: str) -> Finished:
        """The run of ``key``, which must have exited 0."""
        run = self.finished(key)
        assert run.code == 0, run.output
        return run


@pytest.fixture(scope="session")
def live_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveRuns]:
    """Start the selected demos' runs, a few at a time; stop them at the end.

    It starts with the first test that asks, so the others run meanwhile.
    """
    runs = LiveRuns(tmp_path_factory.mktemp("runs"))
    for key in selected_runs(request.session):
        runs.start(key)
    try:
        yield runs
    finally:
        runs.executor.shutdown(wait=False, cancel_futures=True)
        for runner in list(runs.runners):
            runner.stop()
        runs.executor.shutdown(wait=True)
