"""Every demo of the catalog run live, ``python -m demos NAME``, its output
checked for the facts its slide states, and two streams on the prototype of
uvicorn #3085 (``--http oserror``). The runs start together when this
module starts, a few at a time, longest first, so the module takes about as
long as its slowest demos. ``--interval`` shortens the waits of the paced
demos (``ws_disconnect`` ticks every 10 s); two streaming demos keep the
slide's pace, so that path is run too."""

import base64
import hashlib
import re
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from demos.catalog import BY_NAME, DEMOS, Demo
from demos.content_md5 import CHUNKS as CONTENT_MD5_CHUNKS
from demos.fastapi_trailers import CHUNKS as FASTAPI_CHUNKS
from scripts.net.ports import pick_port
from tests.live.cli import (
    PACED,
    STOP_TIMEOUT,
    Runner,
    port_is_free,
    server_alive,
)

RUN_TIMEOUT = 60.0  # seconds for one demo run (the slowest: ~5 s)
LANES = 3  # demo runs at once
SLOWEST_FIRST = (
    "disconnect_receive",
    "fastapi_streaming",
    "streaming_response",
    "raise_oserror",
    "ws_disconnect",
)
STREAMING = (
    "streaming_response",
    "disconnect_receive",
    "raise_oserror",
    "fastapi_streaming",
)
# Streams that stop when the client leaves: a listener task on stock uvicorn.
STOPPING = ("disconnect_receive", "fastapi_streaming")
# The same streams on the prototype of uvicorn #3085, at a test pace.
PROTOTYPE = {
    name: f"{name} --http oserror --interval 0.1"
    for name in ("raise_oserror", "fastapi_streaming")
}
CHUNKS = len("Hello, world!")  # what every streaming demo sends, in full


@dataclass(frozen=True)
class Run:
    """One finished ``python -m demos NAME`` run."""

    demo: Demo
    port: int
    code: int
    output: str
    server_pids: list[int]


def run_demo(key: str, runners: list[Runner], logs: Path) -> Run:
    """Run ``key`` (a demo's name, then any options) on a free port, to the
    end; a demo alone runs at its test pace."""
    name, *args = key.split()
    if not args and name in PACED:
        args = ["--interval", str(PACED[name])]
    port = pick_port()
    log = logs / f"{key.replace(' ', '_')}.log"
    runner = Runner(log, name, "--port", str(port), *args)
    runners.append(runner)
    try:
        code = runner.finish(RUN_TIMEOUT)
    finally:
        runner.stop()
    return Run(BY_NAME[name], port, code, runner.output, runner.server_pids())


def selected_runs(session: pytest.Session) -> list[str]:
    """The runs this module's selected tests ask for, slowest first."""
    keys = set()
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if getattr(item, "module", None) is sys.modules[__name__] and (
            callspec is not None
        ):
            if demo := callspec.params.get("demo"):
                keys.add(demo.name)
            if key := callspec.params.get("key"):
                keys.add(key)
    order = {name: index for index, name in enumerate(SLOWEST_FIRST)}
    return sorted(keys, key=lambda key: order.get(key, len(order)))


class Runs:
    """The demo runs, a few at a time; one no test announced starts on call."""

    def __init__(self, logs: Path) -> None:
        self.logs, self.runners = logs, list[Runner]()
        self.executor = ThreadPoolExecutor(LANES, thread_name_prefix="demo")
        self.futures: dict[str, Future[Run]] = {}

    def start(self, key: str) -> None:
        if key not in self.futures:
            self.futures[key] = self.executor.submit(
                run_demo, key, self.runners, self.logs
            )

    def finished(self, key: str) -> Run:
        """The run of ``key`` (a demo's name, or more), once it is over."""
        self.start(key)
        return self.futures[key].result(RUN_TIMEOUT + STOP_TIMEOUT)


@pytest.fixture(scope="module", autouse=True)
def live_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runs]:
    """Start the selected demos' runs, a few at a time; stop them at the end.

    It starts with the module, so the other tests run meanwhile.
    """
    runs = Runs(tmp_path_factory.mktemp("runs"))
    for key in selected_runs(request.session):
        runs.start(key)
    try:
        yield runs
    finally:
        runs.executor.shutdown(wait=False, cancel_futures=True)
        for runner in list(runs.runners):
            runner.stop()
        runs.executor.shutdown(wait=True)


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
    "fastapi_streaming": (
        "content-type: text/plain; charset=utf-8",
        "Sending 'H'",
        "body b'H'",
        "Hangs up mid-stream",
    ),
    "ws_disconnect": (
        "HTTP/1.1 101 Switching Protocols (handshake accepted)",
        "message 'tick 1'",
        "Sent tick 1",
        "close 1000 (the client leaves)",
        "Client disconnected (code 1006)",
        "The app noticed",
    ),
}


@pytest.mark.parametrize("demo", DEMOS, ids=lambda demo: demo.name)
def test_every_demo_runs_live(demo: Demo, live_runs: Runs) -> None:
    run = live_runs.finished(demo.name)
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


@pytest.mark.parametrize(
    "key", [demo.name for demo in DEMOS] + list(PROTOTYPE.values())
)
def test_no_server_outlives_its_run(key: str, live_runs: Runs) -> None:
    run = live_runs.finished(key)
    assert len(run.server_pids) == 1, run.output
    assert not server_alive(run.server_pids[0])
    assert port_is_free(run.port)


@pytest.mark.parametrize(
    "demo", [BY_NAME[name] for name in STREAMING], ids=lambda demo: demo.name
)
def test_chunks_sent_after_the_client_left(demo: Demo, live_runs: Runs) -> None:
    run = live_runs.finished(demo.name)
    after = sent_after_leaving(run)
    if demo.name in STOPPING:
        assert after <= stalled(run, demo.interval()), run.output
    else:  # uvicorn drops the sends silently: the app streams to the end
        assert after > 0, run.output
        assert len(re.findall(SENDING, run.output)) == CHUNKS, run.output


SENDING = r"server │ Sending '"  # a chunk the app sends, as the runner shows it


def stalled(run: Run, pace: float) -> int:
    """The app's sends due between the client's last read and its hang-up.

    The runner hangs up right after its last read, unless the machine
    stalls it: the chunks the app produced meanwhile were sent before the
    client left, yet the runner shows them after. Measured in the run.
    """
    stamps = re.findall(r"\+([\d.]+)s client (?:← body|• Hangs up)", run.output)
    read, hung_up = float(stamps[-2]), float(stamps[-1])
    return int((hung_up - read) / pace)


def sent_after_leaving(run: Run) -> int:
    """How many more 'Sending' lines the app printed after the client left."""
    match = re.search(
        r"the app printed (\d+) more 'Sending' lines? in", run.output
    )
    assert match is not None, run.output
    return int(match[1])


@pytest.mark.parametrize("key", PROTOTYPE.values())
def test_the_prototype_stops_the_stream_at_once(
    key: str, live_runs: Runs
) -> None:
    run = live_runs.finished(key)
    assert run.code == 0, run.output
    for fact in (
        f"--port {run.port} --http demos.oserror_protocols:HttpToolsProtocol",
        "HTTP for this run: the prototype of uvicorn #3085",
        "Hangs up mid-stream",
        "The server exited with code 0",
    ):
        assert fact in run.output, f"{fact!r} missing from:\n{run.output}"
    # At most the chunk the app was producing as the client left: its send
    # raises, and the server logs nothing about it (spec 2.4).
    assert sent_after_leaving(run) <= 1 + stalled(run, 0.1), run.output
    assert 0 < len(re.findall(SENDING, run.output)) < CHUNKS, run.output
    assert "ERROR" not in run.output, run.output
    if key.startswith("raise_oserror"):  # it catches OSError, and says so
        assert "It printed 'Client disconnected' " in run.output, run.output


def test_the_paced_tick_is_the_one_the_app_waited(
    live_runs: Runs,
) -> None:
    demo = BY_NAME["ws_disconnect"]
    run = live_runs.finished(demo.name)
    match = re.search(
        r"The app printed 'Client disconnected \(code 1006\)' "
        r"([\d.]+) s after the client left",
        run.output,
    )
    assert match is not None, run.output
    # At the slide's pace the app notices at its next tick, 10 s on.
    assert float(match[1]) < demo.interval(), run.output
