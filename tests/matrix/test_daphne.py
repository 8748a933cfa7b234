"""The two denial demos on daphne 4.2.3, a real subprocess on 127.0.0.1: it
does not advertise the denial response extension. `send_denial_response()`
raises in Starlette, and daphne answers 500 at its next check of its apps
(once a second); `HTTPException` makes Starlette send the denial messages
anyway, daphne ignores them, and the client gets nothing until daphne's own
handshake timeout resets the connection (`--websocket_connect_timeout`,
5 s by default, in whole seconds; its timer rounds the deadline down to the
second, so up to a second early)."""

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pytest

from scripts.matrix.catalog import APP, FULL, PROCESSES, QUICK, Profile
from scripts.matrix.probed import Probed
from scripts.net import clients
from scripts.net.clients import Reply
from scripts.net.exchanges import COMPLETE, RESET
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


# What the client gets (status, ending): a bare 500 at daphne's next check
# of its apps, Starlette's refusal logged; or no reply, the connection reset
# at daphne's handshake timeout, nothing logged.
EXPECTED = {"ws_send_denial_response": (500, COMPLETE),
            "ws_http_exception": (None, RESET)}


@pytest.mark.parametrize("name", list(DEMOS))
def test_daphne_answers_the_denial_demos_with_a_500_or_a_reset(
    name: str, measured: dict[str, Measured]
) -> None:
    (probed, reply), where = measured[name], slide(name)
    status, ending = EXPECTED[name]
    assert (reply.status, reply.headers, reply.body, reply.ending) == (
        status, [], b"", ending), f"{reply}: {where}"
    at_the_timeout = reply.seconds >= probed.handshake - 1
    assert at_the_timeout == (status is None), f"{reply.seconds:.2f} s"
    if status is None:
        errors = re.compile("ERROR|Error:|Exception|Traceback")
        assert not list(filter(errors.search, probed.log_lines())), where
    else:
        assert any(UNSUPPORTED in line for line in probed.log_lines()), where
