"""The live runner, ``python -m demos``, run the way the speaker runs it.

Every demo of the catalog is run in a subprocess on a free port and its
output is checked for the facts its slide states. The runs start together
when this module starts, a few at a time, longest first, so the module
takes about as long as its slowest demos. ``--interval`` shortens the
waits of the paced demos (``ws_disconnect`` ticks every 10 s); one
streaming demo keeps the slide's pace, so that path is run too.
"""

import base64
import contextlib
import hashlib
import http.client
import importlib
import inspect
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from demos.__main__ import main
from demos.catalog import BY_NAME, DEMOS, Demo
from demos.catalog import PACED as PACED_DEMOS
from demos.content_md5 import CHUNKS as CONTENT_MD5_CHUNKS
from demos.fastapi_trailers import CHUNKS as FASTAPI_CHUNKS
from scripts.live import server as live_server
from scripts.net import processes
from scripts.net.ports import pick_port

ROOT = Path(__file__).resolve().parents[2]
# Wide, UTF-8 output: no line of the timeline is wrapped.
ENV = {**os.environ, "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"}
COMMAND_TIMEOUT = 20.0  # seconds for an unknown name
START_TIMEOUT = 20.0  # seconds until a served demo says how to try it
RUN_TIMEOUT = 60.0  # seconds for one demo run (the slowest: ~5 s)
STOP_TIMEOUT = 10.0  # seconds for the runner to exit once signalled
LANES = 3  # demo runs at once
# --interval for the runs; the others keep the slide's pace.
# disconnect_receive keeps 0.2 s: its "nothing after the client left"
# has one delay of margin against a busy machine.
PACED = {
    "ws_disconnect": 0.5,  # not 10 s: the app notices within 0.5 s
    "streaming_response": 0.1,
    "raise_oserror": 0.1,
}
SLOWEST_FIRST = (
    "disconnect_receive",
    "streaming_response",
    "raise_oserror",
    "ws_disconnect",
)
STREAMING = ("streaming_response", "disconnect_receive", "raise_oserror")


def port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` and none answers there."""
    return live_server.port_is_free(port) and not processes.accepting(port)


def server_alive(pid: int) -> bool:
    """Whether ``pid`` is still a running uvicorn (zombies do not count)."""
    with contextlib.suppress(psutil.Error):
        return "uvicorn" in " ".join(psutil.Process(pid).cmdline())
    return False


class Runner:
    """``python -m demos ARGS`` in a session of its own, output to ``log``."""

    def __init__(self, log: Path, *args: str) -> None:
        self.log = log
        command = [sys.executable, "-m", "demos", *args]
        self.process = processes.Server(command, cwd=ROOT, env=ENV, output=log)

    @property
    def output(self) -> str:
        """Everything the runner printed so far."""
        return self.log.read_text("utf-8", errors="replace")

    def wait_for(self, text: str, timeout: float) -> bool:
        """Wait until ``text`` is printed; False if it was not in time."""
        deadline = time.monotonic() + timeout
        while text not in self.output:
            if time.monotonic() > deadline or not self.process.alive():
                return text in self.output
            time.sleep(0.02)
        return True

    def finish(self, timeout: float) -> int:
        """Wait for the runner to exit; its exit code."""
        return self.process.popen.wait(timeout)

    def server_pids(self) -> list[int]:
        """The uvicorn processes the runner started, from their own log."""
        found = re.findall(r"Started server process \[(\d+)\]", self.output)
        return [int(pid) for pid in found]

    def stop(self) -> None:
        """Make sure neither the runner nor its server survives."""
        self.process.stop(signal.SIGTERM, STOP_TIMEOUT)
        for pid in self.server_pids():
            if server_alive(pid):
                processes.stop_tree(pid, signal.SIGKILL, 0)


@dataclass(frozen=True)
class Run:
    """One finished ``python -m demos NAME`` run."""

    demo: Demo
    port: int
    code: int
    output: str
    server_pids: list[int]


def run_demo(name: str, runners: list[Runner], logs: Path) -> Run:
    """Run one demo on a free port, to the end, at its test pace."""
    port = pick_port()
    paced = ("--interval", str(PACED[name])) if name in PACED else ()
    runner = Runner(logs / f"{name}.log", name, "--port", str(port), *paced)
    runners.append(runner)
    try:
        code = runner.finish(RUN_TIMEOUT)
    finally:
        runner.stop()
    return Run(BY_NAME[name], port, code, runner.output, runner.server_pids())


def selected_demos(session: pytest.Session) -> list[str]:
    """The demos this module's selected tests ask for, slowest first."""
    names = set()
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "module", None) is sys.modules[__name__] and (
            callspec is not None and "demo" in callspec.params
        ):
            names.add(callspec.params["demo"].name)
    order = {name: index for index, name in enumerate(SLOWEST_FIRST)}
    return sorted(names, key=lambda name: order.get(name, len(order)))


@pytest.fixture(scope="module", autouse=True)
def live_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Future[Run]]]:
    """Start the selected demos' runs, a few at a time; stop them at the end.

    It starts with the module, so the other tests run meanwhile.
    """
    runners: list[Runner] = []
    logs = tmp_path_factory.mktemp("runs")
    executor = ThreadPoolExecutor(LANES, thread_name_prefix="demo")
    runs = {
        name: executor.submit(run_demo, name, runners, logs)
        for name in selected_demos(request.session)
    }
    try:
        yield runs
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
        for runner in list(runners):
            runner.stop()
        executor.shutdown(wait=True)


def finished(live_runs: dict[str, Future[Run]], demo: Demo) -> Run:
    """The run of ``demo``, once it is over."""
    return live_runs[demo.name].result(RUN_TIMEOUT + STOP_TIMEOUT)


def content_md5(chunks: list[bytes]) -> str:
    """The Content-MD5 of a body: base64 of its MD5 digest (RFC 1864)."""
    return base64.b64encode(hashlib.md5(b"".join(chunks)).digest()).decode()


# What each demo's output must show, besides what every run shows.
FACTS: dict[str, tuple[str, ...]] = {
    "asgi_app": (
        "GET / HTTP/1.1",
        "HTTP/1.1 200 OK",
        "content-type: text/plain",
        "body b'Hello, world!'",
    ),
    "ws": (
        "GET /ws HTTP/1.1 (WebSocket handshake)",
        "HTTP/1.1 403 Forbidden (handshake refused)",
        "body: b''",
    ),
    "ws_send_denial_response": (
        "HTTP/1.1 401 Unauthorized (handshake refused)",
        "www-authenticate: Bearer",
        "body: b'Unauthorized'",
    ),
    "ws_http_exception": (
        "HTTP/1.1 401 Unauthorized (handshake refused)",
        """body: b'{"detail":"Unauthorized"}'""",
    ),
    "ws_with_token": (
        "No token: HTTP 403 Forbidden, body b''.",
        "GET /ws?token=guess HTTP/1.1",
        """Wrong token: HTTP 401 Unauthorized, """
        """body b'{"detail":"Invalid token"}'.""",
        "GET /ws?token=let-me-in HTTP/1.1",
        "HTTP/1.1 101 Switching Protocols (handshake accepted)",
        "message 'Hello, authenticated client!'",
        "close 1000 (OK)",
    ),
    "content_md5": (
        "GET / HTTP/2 (prior knowledge)",
        "te: trailers",
        "trailer: content-md5",
        f"content-md5: {content_md5(CONTENT_MD5_CHUNKS)}",
        "content-md5 matches",
    ),
    "fastapi_trailers": (
        "GET / HTTP/2 (prior knowledge)",
        "te: trailers",
        "trailer: content-md5",
        f"content-md5: {content_md5(FASTAPI_CHUNKS)}",
        "content-md5 matches",
    ),
    "streaming_response": ("Sending 'H'", "Hangs up mid-stream"),
    "disconnect_receive": ("Sending 'H'", "Client disconnected"),
    "raise_oserror": ("Sending 'H'", "Hangs up mid-stream"),
    "ws_disconnect": (
        "HTTP/1.1 101 Switching Protocols (handshake accepted)",
        "message 'tick 1'",
        "Sent tick 1",
        "close 1000 (the client leaves)",
        "Client disconnected (code 1006)",
        "The app noticed",
    ),
}


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() in this process prints as wide as ENV's runs: nothing wraps."""
    monkeypatch.setenv("COLUMNS", ENV["COLUMNS"])


# main() in this process: the subprocess would prove nothing more than the
# demo runs below, which all go through `python -m demos`; the one
# subprocess here checks its exit code and streams for a refused name.
@pytest.mark.usefixtures("wide")
def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    for demo in DEMOS:
        for text in (demo.name, demo.slide, demo.summary):
            assert text in out
    assert "[--interval S]" in out


def test_unknown_demo() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "demos", "no_such_demo"],
        cwd=ROOT, env=ENV, capture_output=True, encoding="utf-8",
        timeout=COMMAND_TIMEOUT, check=False,
    )
    assert result.returncode == 2
    assert "Unknown demo: 'no_such_demo'" in result.stderr
    assert all(demo.name in result.stderr for demo in DEMOS)
    assert "Started server process" not in result.stdout + result.stderr


@pytest.mark.usefixtures("wide")
def test_no_demo_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: python -m demos")
    assert all(demo.name in err for demo in DEMOS)


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in ("--port", "--serve", "--list", "--interval SECONDS"):
        assert option in out
    assert all(name in " ".join(out.split()) for name in PACED)


@pytest.mark.usefixtures("wide")
def test_interval_of_an_unpaced_demo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = str(pick_port())  # should the check fail, the demo would run
    assert main(["asgi_app", "--port", port, "--interval", "0.5"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no server, no timeline
    assert err.startswith("The demo 'asgi_app' sends at no set interval;")
    paced = [demo.name for demo in DEMOS if demo.pace]
    assert paced == PACED_DEMOS
    assert f"--interval applies to {', '.join(paced)}." in err


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_interval_is_a_positive_number(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:  # --list: no demo runs
        main(["--list", "--interval", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"{value} is not a positive number of seconds" in err


@pytest.mark.parametrize(
    "demo", [demo for demo in DEMOS if demo.pace], ids=lambda demo: demo.name
)
def test_the_pace_is_the_constant_the_app_sleeps_for(demo: Demo) -> None:
    module, name = demo.pace_constant()
    assert demo.interval() > 0
    paced = inspect.getsource(importlib.import_module(module))
    assert f"await asyncio.sleep({name})" in paced, demo.pace
    if module != f"demos.{demo.name}":  # it serves that module's app
        served_module = demo.target.partition(":")[0]
        served = inspect.getsource(importlib.import_module(served_module))
        assert f"from {module} import app" in served, demo.pace


def http_get(port: int) -> tuple[int, bytes]:
    """GET / on the demo server: status and body."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/")
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_serve_until_ctrl_c(tmp_path: Path) -> None:
    port = pick_port()
    args = ("asgi_app", "--serve", "--port", str(port))
    runner = Runner(tmp_path / "log", *args)
    try:
        try_it = f"$ curl -N http://127.0.0.1:{port}/"
        assert runner.wait_for(try_it, START_TIMEOUT), runner.output
        assert http_get(port) == (200, b"Hello, world!")
        assert runner.wait_for('"GET / HTTP/1.1" 200', 5), runner.output
        runner.process.popen.send_signal(signal.SIGINT)
        assert runner.finish(STOP_TIMEOUT) == 0, runner.output
    finally:
        runner.stop()
    assert "The server exited with code 0" in runner.output
    assert not any(server_alive(pid) for pid in runner.server_pids())
    assert port_is_free(port)


def test_ctrl_c_mid_demo_stops_the_server(tmp_path: Path) -> None:
    # A tick far longer than the runner's patience with the server: Ctrl-C
    # lands while the client waits for the app to notice, and the app is
    # still asleep when the runner gives up on a clean stop.
    interval = 20 * live_server.STOP_TIMEOUT
    port = pick_port()
    runner = Runner(
        tmp_path / "log",
        *("ws_disconnect", "--port", str(port), "--interval", str(interval)),
    )
    try:
        assert runner.wait_for("Sent tick 1", START_TIMEOUT), runner.output
        runner.process.popen.send_signal(signal.SIGINT)
        assert runner.finish(STOP_TIMEOUT) == 130, runner.output
    finally:
        runner.stop()
    # The app still sleeps between ticks: uvicorn waits for it, up to
    # the runner's patience, and then it is killed.
    assert "Interrupted" in runner.output
    assert "Client disconnected" not in runner.output
    assert "killing it (SIGKILL)" in runner.output
    assert "The server exited with code -9" in runner.output
    assert not any(server_alive(pid) for pid in runner.server_pids())
    assert port_is_free(port)


@pytest.mark.parametrize("demo", DEMOS, ids=lambda demo: demo.name)
def test_every_demo_runs_live(
    demo: Demo, live_runs: dict[str, Future[Run]]
) -> None:
    run = finished(live_runs, demo)
    assert run.code == 0, run.output
    paced: tuple[str, ...] = ()
    if demo.name in PACED:  # the slide's module, its constant set first
        module, name = demo.pace_constant()
        code = f"{module}.{name} = {PACED[demo.name]!r}; uvicorn.main()"
        launch = [f"-c 'import uvicorn, {module}; {code}'", demo.target]
        paced = (f"Paced for this run: {demo.pace} = {PACED[demo.name]:g} s",)
    else:
        launch = ["-m uvicorn", demo.target]
    command = " ".join([
        *launch,
        f"--host 127.0.0.1 --port {run.port}",
        *demo.server_args,
    ])
    for fact in (
        command,
        *paced,
        "Started server process",
        "What this shows",
        demo.summary,
        "The server exited with code 0",
        *FACTS[demo.name],
    ):
        assert fact in run.output, f"{fact!r} missing from:\n{run.output}"
    assert "\x1b[" not in run.output  # piped: plain text, no colours


@pytest.mark.parametrize("demo", DEMOS, ids=lambda demo: demo.name)
def test_no_server_outlives_its_run(
    demo: Demo, live_runs: dict[str, Future[Run]]
) -> None:
    run = finished(live_runs, demo)
    assert len(run.server_pids) == 1, run.output
    assert not server_alive(run.server_pids[0])
    assert port_is_free(run.port)


@pytest.mark.parametrize(
    "demo", [BY_NAME[name] for name in STREAMING], ids=lambda demo: demo.name
)
def test_chunks_sent_after_the_client_left(
    demo: Demo, live_runs: dict[str, Future[Run]]
) -> None:
    run = finished(live_runs, demo)
    match = re.search(
        r"the app printed (\d+) more 'Sending' lines? in", run.output
    )
    assert match is not None, run.output
    after = int(match[1])
    if demo.name == "disconnect_receive":
        assert after == 0, run.output
    else:  # uvicorn drops the sends silently: the app streams to the end
        assert after > 0, run.output


def test_the_paced_tick_is_the_one_the_app_waited(
    live_runs: dict[str, Future[Run]],
) -> None:
    demo = BY_NAME["ws_disconnect"]
    run = finished(live_runs, demo)
    match = re.search(
        r"The app printed 'Client disconnected \(code 1006\)' "
        r"([\d.]+) s after the client left",
        run.output,
    )
    assert match is not None, run.output
    # At the slide's pace the app notices at its next tick, 10 s on.
    assert float(match[1]) < demo.interval(), run.output
