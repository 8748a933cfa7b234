"""scripts/live/launch.py, how the runner starts a demo's uvicorn: the paced
command it prints runs as typed in a new shell, at that pace (``Demo.paced``),
and does not observe (the runner's summary says the observation is its own);
a bad ``--pace`` is refused."""

import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console

from demos.catalog import BY_NAME
from scripts.live import OBSERVED
from scripts.live.cli import python_command
from scripts.live.server import DemoServer
from scripts.live.timeline import Timeline
from scripts.net import ports, processes
from scripts.net.clients import http1
from scripts.net.ports import pick_port
from tests.live.cli import FRESH, ROOT, START_TIMEOUT, STOP_TIMEOUT

IO_TIMEOUT = 10.0  # seconds for the whole streamed body


def test_the_printed_paced_command_runs_as_typed(tmp_path: Path) -> None:
    demo = BY_NAME["streaming_response"]
    slide_pace, port = demo.seconds(), pick_port()
    timeline = Timeline(Console(file=io.StringIO()))
    server = DemoServer(demo, port, slide_pace / 4, None, timeline)
    assert server.command.startswith(
        f"{python_command()} -m scripts.live.launch --pace {slide_pace / 4}"
    )
    assert "--observe" in server.args
    assert "--observe" not in server.command  # the runner's, not shown
    log = tmp_path / "log"
    typed = processes.Subprocess(["bash", "-c", server.command], cwd=ROOT,
                                 env=FRESH, output=log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not ports.accepting(port) and time.monotonic() < deadline:
            assert typed.alive(), log.read_text()
            time.sleep(0.05)
        started = time.monotonic()
        body = http1(port, timeout=IO_TIMEOUT).body
        took = time.monotonic() - started
    finally:
        typed.stop(signal.SIGINT, STOP_TIMEOUT)
    output = log.read_text()
    assert body == b"Hello, world!", output
    # At the slide's pace the stream sleeps 12 times its delay at least.
    assert took < (len(body) - 1) * slide_pace, output
    assert output.count("Sending '") == len(body), output
    assert OBSERVED not in output  # what the printed command does: no observer


@pytest.mark.parametrize(
    ("pace", "app"),
    [("0", "streaming_response"), ("x", "streaming_response"),
     ("-1", "ws_disconnect"), ("1", "asgi_app"), ("1", "nope")],
)
def test_a_bad_pace_is_refused(pace: str, app: str) -> None:
    """Not a positive number, or not a paced demo of the catalog."""
    done = subprocess.run(
        [sys.executable, "-m", "scripts.live.launch", "--pace", pace,
         f"demos.{app}:app", "--port", str(pick_port())],
        cwd=ROOT, capture_output=True, text=True, timeout=START_TIMEOUT,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith("python -m scripts.live.launch: error: argument "
                           "--pace: "), done.stderr
    assert "Started server process" not in done.stderr
