"""The demo's server under the runner: ``--serve`` until Ctrl-C, and Ctrl-C
in the middle of a demo; neither leaves a server behind."""

import http.client
import signal
import time
from pathlib import Path

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


def http_get(port: int) -> tuple[int, bytes]:
    """GET / on the demo server: status and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def ctrl_c(runner: Runner) -> str:
    """Ctrl-C to the runner: it exits 0; what it printed then."""
    before = len(runner.output)
    runner.process.popen.send_signal(signal.SIGINT)
    assert runner.finish(STOP_TIMEOUT) == 0, runner.output
    return runner.output[before:]


def gone(runner: Runner, port: int) -> bool:
    """Whether no server of the run is left, and its port is free."""
    alive = any(server_alive(pid) for pid in runner.server_pids())
    return not alive and port_is_free(port)


def test_serve_until_ctrl_c(tmp_path: Path) -> None:
    port = pick_port()
    args = ("asgi_app", "--serve", "--port", str(port))
    runner = Runner(tmp_path / "log", *args)
    try:
        try_it = f"$ curl -N http://127.0.0.1:{port}/"
        assert runner.wait_for(try_it, START_TIMEOUT), runner.output
        assert http_get(port) == (200, b"Hello, world!")
        assert runner.wait_for('"GET / HTTP/1.1" 200', 5), runner.output
        said = ctrl_c(runner)
    finally:
        runner.stop()
    assert said == STOPPED + "\n"
    assert gone(runner, port)


def test_ctrl_c_mid_demo_stops_the_server_at_once(tmp_path: Path) -> None:
    """A tick far longer than the runner's patience with a clean stop:
    Ctrl-C lands while the client waits for the app to notice, the app
    asleep. uvicorn's force exit (a second SIGINT) ends it: no SIGKILL,
    nothing but one line, exit 0 (make says nothing)."""
    interval = 20 * live_server.STOP_TIMEOUT
    port = pick_port()
    runner = Runner(
        tmp_path / "log",
        *("ws_disconnect", "--port", str(port), "--interval", str(interval)),
    )
    try:
        assert runner.wait_for("Waiting for tick 2", START_TIMEOUT), (
            runner.output
        )
        said = ctrl_c(runner)
    finally:
        runner.stop()
    assert said == STOPPED + "\n"
    assert gone(runner, port)


def test_no_server_outlives_a_killed_runner(tmp_path: Path) -> None:
    port = pick_port()
    args = ("asgi_app", "--serve", "--port", str(port))
    runner = Runner(tmp_path / "log", *args)
    try:
        assert runner.wait_for("$ curl", START_TIMEOUT), runner.output
        (pid,) = runner.server_pids()
        runner.process.popen.send_signal(signal.SIGKILL)  # no clean-up
        deadline = time.monotonic() + STOP_TIMEOUT
        while server_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not server_alive(pid), f"uvicorn {pid} outlived its runner"
    finally:
        runner.stop()
    assert port_is_free(port)
