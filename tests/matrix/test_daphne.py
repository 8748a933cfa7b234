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

from scripts.matrix.catalog import APP, FULL, PROCESSES, QUICK, Profile
from scripts.matrix.probed import Probed
from scripts.net import clients
from scripts.net.clients import COMPLETE, RESET, Reply
from tests.conftest import slide

DAPHNE = next(p for p in PROCESSES if p.id == "daphne")
DEMOS = {  # demo -> how hard to look: its daphne's handshake timeout
    "ws_send_denial_response": FULL,  # daphne's default, 5 s: well after
    "ws_http_exception": QUICK,  # 2 s: the reset comes 1 to 2 s in
}
UNSUPPORTED = "The server doesn't support the Websocket Denial Response"


def start(name: str, profile: Profile, folder: Path) -> Probed:
    """daphne serving ``demos/NAME.py``, as the probe starts it."""
    args = tuple(f"demos.{name}:app" if a == APP else a for a in DAPHNE.args)
    process = DAPHNE._replace(id=f"daphne {name}", args=args)
    probed = Probed(process, profile, folder)
    probed.start()
    return probed


class Measured(NamedTuple):
    probed: Probed
    reply: Reply


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[
    dict[str, Measured]
]:
    """One daphne a demo, started together (about 0.6 s each), and one
    handshake to each, at once, waiting past daphne's own timeout."""
    folder = tmp_path_factory.mktemp("daphne-demos")
    with ThreadPoolExecutor(len(DEMOS)) as pool:
        started = dict(zip(DEMOS, pool.map(
            lambda item: start(item[0], item[1], folder), DEMOS.items()),
            strict=True))
        try:
            for name, probed in started.items():
                assert probed.started, f"{name}: {probed.crashed}"
            replies = pool.map(handshake, started.values())
            yield {name: Measured(probed, reply) for (name, probed), reply
                   in zip(started.items(), replies, strict=True)}
        finally:
            for probed in started.values():
                probed.stop()


def handshake(probed: Probed) -> Reply:
    """A WebSocket handshake to /ws, waiting past daphne's own timeout."""
    wait = probed.profile.timeout + probed.handshake
    return clients.websocket_handshake(probed.port, "/ws", wait)


def test_send_denial_response_gets_a_bare_500_from_daphne(
    measured: dict[str, Measured],
) -> None:
    (probed, reply), where = measured["ws_send_denial_response"], slide(
        "ws_send_denial_response")
    assert (reply.status, reply.headers, reply.body, reply.ending) == (
        500, [], b"", COMPLETE), f"{reply}: {where}"
    # daphne's next check of its apps, not its handshake timeout
    assert reply.seconds < probed.handshake - 1, f"{reply.seconds:.2f} s"
    assert any(UNSUPPORTED in line for line in probed.log_lines()), where


def test_http_exception_gets_no_reply_and_a_reset_at_the_timeout(
    measured: dict[str, Measured],
) -> None:
    (probed, reply), where = measured["ws_http_exception"], slide(
        "ws_http_exception")
    assert (reply.status, reply.headers, reply.body, reply.ending) == (
        None, [], b"", RESET), f"{reply}: {where}"
    assert probed.handshake - 1 <= reply.seconds, f"{reply.seconds:.2f} s"
    assert probed.logged_errors() == [], where
