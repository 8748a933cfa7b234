"""The two denial demos on daphne 4.2.3, a real subprocess on 127.0.0.1: it
does not advertise the denial response extension. `send_denial_response()`
raises in Starlette, and daphne answers 500 at its next check of its apps
(once a second); `HTTPException` makes Starlette send the denial messages
anyway, daphne ignores them, and the client gets nothing until daphne's own
handshake timeout resets the connection (`--websocket_connect_timeout`,
5 s by default, in whole seconds; its timer rounds the deadline down to the
second, so up to a second early)."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

from scripts.matrix.catalog import APP, PROCESSES
from scripts.matrix.run import FULL, QUICK, Profile, Run
from scripts.net import clients
from scripts.net.clients import COMPLETE, RESET, Reply
from tests.conftest import slide

DAPHNE = next(p for p in PROCESSES if p.id == "daphne")
DEMOS = {  # demo -> how hard to look: its daphne's handshake timeout
    "ws_send_denial_response": FULL,  # daphne's default, 5 s: well after
    "ws_http_exception": QUICK,  # 2 s: the reset comes 1 to 2 s in
}
UNSUPPORTED = "The server doesn't support the Websocket Denial Response"


def start(name: str, profile: Profile, folder: Path) -> Run:
    """daphne serving ``demos/NAME.py``, as the probe starts it."""
    args = tuple(f"demos.{name}:app" if a == APP else a for a in DAPHNE.args)
    run = Run(DAPHNE._replace(id=f"daphne {name}", args=args), profile, folder)
    run.start()
    return run


class Measured(NamedTuple):
    run: Run
    reply: Reply


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[
    dict[str, Measured]
]:
    """One daphne a demo, started together (about 0.6 s each), and one
    handshake to each, at once, waiting past daphne's own timeout."""
    folder = tmp_path_factory.mktemp("daphne-demos")
    with ThreadPoolExecutor(len(DEMOS)) as pool:
        runs = dict(zip(DEMOS, pool.map(
            lambda item: start(item[0], item[1], folder), DEMOS.items()),
            strict=True))
        try:
            for name, run in runs.items():
                assert run.started, f"{name}: {run.crashed}"
            replies = pool.map(handshake, runs.values())
            yield {name: Measured(run, reply) for (name, run), reply in zip(
                runs.items(), replies, strict=True)}
        finally:
            for run in runs.values():
                run.stop()


def handshake(run: Run) -> Reply:
    """A WebSocket handshake to /ws, waiting past daphne's own timeout."""
    wait = run.profile.timeout + run.handshake
    return clients.websocket_handshake(run.port, "/ws", wait)


def test_send_denial_response_gets_a_bare_500_from_daphne(
    measured: dict[str, Measured],
) -> None:
    (run, reply), where = measured["ws_send_denial_response"], slide(
        "ws_send_denial_response")
    assert (reply.status, reply.headers, reply.body, reply.ending) == (
        500, [], b"", COMPLETE), f"{reply}: {where}"
    # daphne's next check of its apps, not its handshake timeout
    assert reply.seconds < run.handshake - 1, f"{reply.seconds:.2f} s: {where}"
    assert any(UNSUPPORTED in line for line in run.log_lines()), where


def test_http_exception_gets_no_reply_and_a_reset_at_the_timeout(
    measured: dict[str, Measured],
) -> None:
    (run, reply), where = measured["ws_http_exception"], slide(
        "ws_http_exception")
    assert (reply.status, reply.headers, reply.body, reply.ending) == (
        None, [], b"", RESET), f"{reply}: {where}"
    assert run.handshake - 1 <= reply.seconds, f"{reply.seconds:.2f} s"
    assert run.logged_errors() == [], where
