"""The demo's server under the runner: Ctrl-C in the middle of a demo ends
it in one line, exit 0; no server outlives its runner, even one killed."""

import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scripts.live import server as live_server
from scripts.net.ports import pick_port
from tests.live.cli import (
    START_TIMEOUT,
    STOP_TIMEOUT,
    STOPPED,
    Runner,
    port_is_free,
    server_alive,
)

Start = Callable[..., tuple[Runner, int]]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    """``python -m scripts.live NAME ARGS`` on a free port, stopped after
    the test: the runner, and its port."""
    runners: list[Runner] = []

    def started(name: str, *args: str) -> tuple[Runner, int]:
        port = pick_port()
        runners.append(Runner(tmp_path / f"{len(runners)}.log", name,
                              "--port", str(port), *args))
        return runners[-1], port

    yield started
    for runner in runners:
        runner.stop()


def ctrl_c_once(runner: Runner, port: int, printed: str) -> None:
    """Once the runner printed ``printed``: Ctrl-C. It exits 0 and says one
    line; no server of its run is left, and the port is free."""
    assert runner.wait_for(printed, START_TIMEOUT), runner.output
    before = len(runner.output)
    runner.process.popen.send_signal(signal.SIGINT)
    assert runner.finish(STOP_TIMEOUT) == 0, runner.output
    assert runner.output[before:] == STOPPED + "\n"
    assert not any(server_alive(pid) for pid in runner.server_pids())
    assert port_is_free(port)


# A tick far longer than the runner's patience with a clean stop: the app
# is asleep while the client waits for it to notice.
ASLEEP = ("--interval", str(20 * live_server.STOP_TIMEOUT))


def test_ctrl_c_mid_demo_stops_the_server_at_once(start: Start) -> None:
    """Ctrl-C lands while the app sleeps. uvicorn's force exit (a second
    SIGINT) ends it: no SIGKILL, nothing but one line, exit 0 (make says
    nothing)."""
    runner, port = start("ws_disconnect", *ASLEEP)
    ctrl_c_once(runner, port, "Waiting for tick 2")


def test_no_server_outlives_a_killed_runner(start: Start) -> None:
    """uvicorn's main thread may be a zombie while its others still hold
    the port: both must be gone within STOP_TIMEOUT."""
    runner, port = start("ws_disconnect", *ASLEEP)
    assert runner.wait_for("Waiting for tick 2", START_TIMEOUT), runner.output
    (pid,) = runner.server_pids()
    runner.process.popen.send_signal(signal.SIGKILL)  # no clean-up
    deadline = time.monotonic() + STOP_TIMEOUT
    while (server_alive(pid) or not port_is_free(port)) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.02)
    assert not server_alive(pid), f"uvicorn {pid} outlived its runner"
    assert port_is_free(port)
