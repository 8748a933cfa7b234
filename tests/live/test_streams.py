"""The streaming demos run live (``live_runs``, conftest): what the app does
once the client left, on stock uvicorn and on the prototype of uvicorn #3085
(``HTTP=oserror``); the spec version and the tasks the runner observes in
the server."""

import re

import pytest

from demos.catalog import BY_NAME, DISCONNECTED, HTTP1, SENDING, Demo
from scripts.live.clients import went_on
from tests.conftest import slide
from tests.live.cli import PROTOTYPE_PACE
from tests.live.conftest import PROTOTYPE, Finished, LiveRuns

STREAMING = (
    "streaming_response",
    "disconnect_receive",
    "raise_oserror",
    "fastapi_streaming",
)
# Streams that stop when the client leaves: a listener task on stock uvicorn.
STOPPING = ("disconnect_receive", "fastapi_streaming")
CHUNKS = len("Hello, world!")  # what every streaming demo sends, in full


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


SENT = f"server │ {SENDING} '"  # a chunk the app sends, as the runner shows


def stalled(run: Finished, pace: float) -> int:
    """The app's sends due between the client's last read and its hang-up.

    The runner hangs up right after its last read, unless the machine
    stalls it: the chunks the app produced meanwhile were sent before the
    client left, yet the runner shows them after. Measured in the run.
    """
    stamps = re.findall(r"\+([\d.]+)s client (?:← body|• Hangs up)", run.output)
    read, hung_up = float(stamps[-2]), float(stamps[-1])
    return int((hung_up - read) / pace)


def sent_after_leaving(run: Finished) -> int:
    """How many more SENDING lines the app printed after the client left."""
    match = re.search(rf"Client gone: [\w ]+, (\d+) more '{SENDING}' lines?\b",
                      run.output)
    assert match is not None, run.output
    return int(match[1])


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
    assert demo.summary_on("oserror") in run.output, run.output
    assert demo.summary not in run.output, run.output
    said = f"Client gone: {went_on(sent_after_leaving(run))}, "
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



OBSERVED = re.compile(
    r"Observed by the runner: spec_version ([\d.]+); "
    r"the response ran in (\d+) tasks?\."
)
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


def observed(run: Finished) -> tuple[tuple[int, ...], int]:
    """The spec version and the tasks the runner observed in the server."""
    (match,) = OBSERVED.finditer(run.output)
    return tuple(int(part) for part in match[1].split(".")), int(match[2])


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
