"""Every demo of the catalog run live, ``make demo NAME=...``, its output
checked for the facts its slide states, and two streams on the prototype of
uvicorn #3085 (``--http oserror``); the runs: ``live_runs`` (conftest).
``--interval`` shortens the waits of the paced demos (``ws_disconnect``
ticks every 10 s); two streaming demos keep the slide's pace, so that path
is run too."""

import base64
import hashlib

import pytest

from demos.catalog import DEMOS, DISCONNECTED, HTTP1, SENDING, Demo
from demos.content_md5 import CHUNKS as CONTENT_MD5_CHUNKS
from demos.fastapi_trailers import CHUNKS as FASTAPI_CHUNKS
from tests.deck.slides import SLIDES, shown_commands
from tests.live.cli import (
    PACED,
    SECRET,
    port_is_free,
    server_alive,
)
from tests.live.conftest import PROTOTYPE, LiveRuns

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
    if demo.name in PACED:  # the slide's module, its constant set first
        pace = f"--pace {PACED[demo.name]!r}"
        launch = [f"$ .venv/bin/python -m scripts.live.launch {pace}"]
        paced = (f"Paced for this run: {demo.pace} = {PACED[demo.name]:g} s "
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
