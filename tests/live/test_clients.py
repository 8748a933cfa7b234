"""Every demo of the catalog run live, ``make demo NAME=...``, its output
checked for the facts its slide states and against its recording; the
streams, on stock uvicorn and on the prototype of uvicorn #3085 (``HTTP=
oserror``): what the app does once the client left, the spec version and
the tasks the runner observes. The runs: ``live_runs`` (conftest), all
from this module (one worker makes them). ``--interval`` shortens the waits
of the paced demos (``ws_disconnect`` ticks every 10 s); two streaming
demos keep the slide's pace, so that path is run too."""

import base64
import hashlib
import re

import pytest

from demos.catalog import BY_NAME, DEMOS, DISCONNECTED, HTTP1, SENDING, Demo
from demos.content_md5 import CHUNKS as CONTENT_MD5_CHUNKS
from demos.fastapi_trailers import CHUNKS as FASTAPI_CHUNKS
from scripts.live.clients import WENT_ON
from scripts.transcripts import RECORDINGS, load
from tests.conftest import slide
from tests.deck.slides import SLIDES, shown_commands
from tests.live.cli import (
    PACED,
    PROTOTYPE_PACE,
    SECRET,
    port_is_free,
    server_alive,
)
from tests.live.conftest import (
    PROTOTYPE,
    SENT,
    LiveRuns,
    observed,
    sent_after_leaving,
    stalled,
)
from tests.live.recordings import difference

STREAMING = (
    "streaming_response",
    "disconnect_receive",
    "raise_oserror",
    "fastapi_streaming",
)
# Streams that stop when the client leaves: a listener task on stock uvicorn.
STOPPING = ("disconnect_receive", "fastapi_streaming")
CHUNKS = len("Hello, world!")  # what every streaming demo sends, in full
# Each recording, by the run it records: "NAME" or "NAME HTTP=oserror".
RECORDED = {r.command.removeprefix("make demo NAME="): r for r in RECORDINGS}
# What the slides tell the speaker to type: each one is a run below.
SHOWN = [
    command.removeprefix("make demo NAME=")
    for command in shown_commands(SLIDES.read_text(encoding="utf-8"))
    if command.startswith("make demo NAME=")
]


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
        "GET /ws?token=*** HTTP/1.1",  # DEMO_TOKEN masked, and in the log:
        '"WebSocket /ws?token=***" [accepted]',
        "HTTP/1.1 101 Switching Protocols (handshake accepted)",
        "message 'Hello, authenticated client!'",
        "Right token: HTTP 101 Switching Protocols, 1 message, close 1000",
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
    "streaming_response": (f"{SENDING} 'H'", "Hangs up mid-stream; watching"),
    "disconnect_receive": (f"{SENDING} 'H'", "Client disconnected"),
    "raise_oserror": (f"{SENDING} 'H'", "Hangs up mid-stream"),
    "fastapi_streaming": (
        "content-type: text/plain; charset=utf-8",
        f"{SENDING} 'H'",
        "body b'H'",
        "Hangs up mid-stream",
    ),
    "ws_disconnect": (
        "HTTP/1.1 101 Switching Protocols (handshake accepted)",
        "message 'tick 1'",
        "Sent tick 1",
        "close 1000 (the client leaves)",
        f"Waiting for tick 2 ({PACED['ws_disconnect']:g} s)",
        f"{DISCONNECTED} (code 1006)",
        "The app noticed",
    ),
}


@pytest.mark.parametrize("demo", DEMOS, ids=lambda demo: demo.name)
def test_every_demo_runs_live(demo: Demo, live_runs: LiveRuns) -> None:
    run = live_runs.succeeded(demo.name)
    paced: tuple[str, ...] = ()
    if demo.name in PACED and demo.pace:  # the slide's constant, set first
        pace = f"--pace {PACED[demo.name]!r}"
        launch = [f"$ .venv/bin/python -m scripts.live.launch {pace}"]
        constant = f"{demo.pace.module}.{demo.pace.constant}"
        paced = (f"Paced for this run: {constant} = {PACED[demo.name]:g} s "
                 f"(the slide's: {demo.seconds():g} s).",)
    else:
        launch = ["$ .venv/bin/uvicorn"]
    command = " ".join([  # uvicorn's default host and port are not shown
        *launch, demo.target, f"--port {run.port}", *demo.server_args,
    ])
    observes = "Observed by the runner: spec_version "
    assert (observes in run.output) == (demo.name in HTTP1), run.output
    for fact in (
        command,
        *paced,
        "Server up: PID",
        "What this shows",
        demo.summary,
        "The server exited with code 0",
        *FACTS[demo.name],
    ):
        assert fact in run.output, f"{fact!r} missing from:\n{run.output}"
    assert "\x1b[" not in run.output  # piped: plain text, no colours
    assert "Press Enter" not in run.output  # nor pages
    for folded in ("Started server process", "startup complete", "(SIGINT)"):
        assert folded not in run.output  # with --verbose only
    assert SECRET not in run.output  # DEMO_TOKEN, masked
    if DISCONNECTED not in demo.prints:
        assert f"printed '{DISCONNECTED}'" not in run.output


@pytest.mark.parametrize(
    "key", [demo.name for demo in DEMOS] + PROTOTYPE
)
def test_no_server_outlives_its_run(key: str, live_runs: LiveRuns) -> None:
    run = live_runs.finished(key)
    assert len(run.server_pids) == 1, run.output
    assert not server_alive(run.server_pids[0])
    assert port_is_free(run.port)


@pytest.mark.parametrize("key", SHOWN)
def test_every_demo_command_a_slide_shows_runs_as_typed(
    key: str, live_runs: LiveRuns
) -> None:
    """``make demo NAME=...`` in a new shell (no venv), as shown."""
    run = live_runs.succeeded(key)
    assert "Traceback" not in run.output, run.output


# Each recording, by the run it records: "NAME" or "NAME HTTP=oserror".


@pytest.mark.parametrize(
    "demo", [BY_NAME[name] for name in STREAMING], ids=lambda demo: demo.name
)
def test_chunks_sent_after_the_client_left(
    demo: Demo, live_runs: LiveRuns
) -> None:
    run = live_runs.finished(demo.name)
    after = sent_after_leaving(run)
    if demo.name in STOPPING:
        assert after <= stalled(run, demo.seconds()), run.output
    else:  # uvicorn drops the sends silently: the app streams to the end
        assert after > 0, run.output
        assert run.output.count(SENT) == CHUNKS, run.output


@pytest.mark.parametrize("key", PROTOTYPE)
def test_the_prototype_stops_the_stream_at_once(
    key: str, live_runs: LiveRuns
) -> None:
    run = live_runs.succeeded(key)
    for fact in (
        f"--port {run.port} --http demos.oserror_protocols:HttpToolsProtocol",
        "HTTP for this run: the prototype of uvicorn #3085",
        "Hangs up mid-stream",
        "The server exited with code 0",
    ):
        assert fact in run.output, f"{fact!r} missing from:\n{run.output}"
    # At most the chunk the app was producing as the client left: its send
    # raises, and the server logs nothing about it (spec 2.4).
    bound = 1 + stalled(run, PROTOTYPE_PACE)
    assert sent_after_leaving(run) <= bound, run.output
    assert 0 < run.output.count(SENT) < CHUNKS, run.output
    assert "ERROR" not in run.output, run.output
    if key.startswith("raise_oserror"):  # it catches OSError, and says so
        assert f"It printed '{DISCONNECTED}' " in run.output, run.output
    demo = BY_NAME[key.split()[0]]  # the summary of this run, not stock's
    assert demo.oserror in run.output, run.output
    assert demo.summary not in run.output, run.output
    said = f"Client gone: {WENT_ON[sent_after_leaving(run)]}, "
    assert said in run.output, run.output


def test_the_paced_tick_is_the_one_the_app_waited(
    live_runs: LiveRuns,
) -> None:
    demo = BY_NAME["ws_disconnect"]
    run = live_runs.finished(demo.name)
    match = re.search(
        rf"The app printed '{DISCONNECTED} \(code 1006\)' "
        r"([\d.]+) s after the client left",
        run.output,
    )
    assert match is not None, run.output
    # At the slide's pace the app notices at its next tick, 10 s on.
    assert float(match[1]) < demo.seconds(), run.output



# The asyncio tasks a response runs in while it streams: its own, and one
# listening for http.disconnect if any: disconnect_receive's own, or
# Starlette's in a StreamingResponse below spec 2.4.
TASKS = {
    "asgi_app": 1,
    "streaming_response": 1,
    "disconnect_receive": 2,
    "raise_oserror": 1,
    "fastapi_streaming": 2,
}


@pytest.mark.parametrize("name", HTTP1)
def test_the_runner_observes_the_spec_version_and_tasks_on_stock_uvicorn(
    name: str, live_runs: LiveRuns
) -> None:
    run = live_runs.succeeded(name)
    version, tasks = observed(run)
    assert version < (2, 4), run.output  # stock uvicorn raises no OSError
    assert tasks == TASKS[name], slide(name)


@pytest.mark.parametrize("key", PROTOTYPE)
def test_on_the_prototype_a_stream_runs_in_one_task(
    key: str, live_runs: LiveRuns
) -> None:
    """The spec version is read from the run: the prototype says 2.4 or
    later, and Starlette drops its listener task."""
    run = live_runs.succeeded(key)
    version, tasks = observed(run)
    assert version >= (2, 4), run.output
    assert tasks == 1, slide(key.split()[0])


@pytest.mark.parametrize("key", RECORDED)
def test_the_recording_does_what_the_live_demo_does(
    key: str, live_runs: LiveRuns
) -> None:
    run, stem = live_runs.succeeded(key), RECORDED[key].stem
    message = difference(stem, load(stem), run.output, run.port)
    assert not message, message
