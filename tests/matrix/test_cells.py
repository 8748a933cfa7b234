"""daphne's closing-handshake window, forced open: the race behind a flaky
cell of the probe (scripts/matrix/cells.py), made deterministic."""

import base64
import os
import socket
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scripts.matrix.catalog import APP, NO, PROCESSES, QUICK, YES
from scripts.matrix.cells import ProbeError, sends_cell
from scripts.matrix.probed import Probed
from scripts.net.clients import Left

LINUX_ONLY = pytest.mark.skipif(
    sys.platform != "linux", reason="socket buffer sizes are read from /proc"
)

DAPHNE = next(p for p in PROCESSES if p.id == "daphne")
WINDOW = "tests.matrix.window_app:app"  # the probe's app, and a burst


@pytest.fixture(scope="module")
def daphne(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Probed]:
    args = tuple(WINDOW if arg == APP else arg for arg in DAPHNE.args)
    probed = Probed(DAPHNE._replace(args=args), QUICK,
                    tmp_path_factory.mktemp("daphne"))
    try:
        probed.start()
        assert probed.started, probed.crashed
        yield probed
    finally:
        probed.stop()


def masked_close() -> bytes:
    """A client's close frame, code 1000 (client frames are masked)."""
    mask = os.urandom(4)
    payload = struct.pack("!H", 1000)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x88, 0x80 | len(payload)]) + mask + masked


def send_buffer_limit() -> int:
    """The most a socket's send buffer grows to (tcp_wmem's maximum)."""
    return int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])


def upgrade(sock: socket.socket, port: int, target: str) -> bytes:
    """A WebSocket handshake on ``sock``, by hand: the reply's head."""
    key = base64.b64encode(os.urandom(16)).decode()
    sock.connect(("127.0.0.1", port))
    sock.sendall(
        f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        head += sock.recv(1)
    return head


@LINUX_ONLY
def test_daphne_raises_inside_the_closing_handshake_and_drops_after_it(
    daphne: Probed,
) -> None:
    """The race behind a flaky cell, made deterministic.

    When autobahn reads the client's close frame it marks the connection
    closed and asks Twisted to drop it; daphne hears of it only when the
    TCP connection is gone (onClose). A send in between raises autobahn's
    Disconnected. Twisted drops a connection only once its write buffer is
    flushed: a client that does not read keeps that window open as long
    as it likes. Here it keeps it open until the app has seen a send
    raise, then reads everything; every send after that is dropped.
    """
    burst = 2 * send_buffer_limit() + 4 * 1024 * 1024
    probe = f"window-{os.getpid()}"
    target = f"/send?id={probe}&seconds=1.5&burst={burst}"
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        head = upgrade(sock, daphne.port, target)
        assert head.startswith(b"HTTP/1.1 101 "), head
        # The first bytes of the burst: all of it is in daphne's buffers
        # (the app sends it without yielding), more than the sockets hold.
        assert sock.recv(1) == b"\x82"  # a binary frame, FIN set
        left = time.monotonic()  # before the close frame: nothing can
        sock.sendall(masked_close())  # raise in the app earlier than this
        raised = daphne.event(f"{probe}.raised", 5.0)
        assert raised is not None, "no send raised inside the window"
        assert raised["exception"] == "autobahn.exception.Disconnected"
        assert not raised["oserror"]
        # Now read, in large windows: the window closes, well before the
        # app's last send (the 12 MiB take a tenth of a second).
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        while sock.recv(1 << 20):
            pass
        closed = time.monotonic()
    app = daphne.event(probe, 5.0)
    assert app is not None
    assert raised["at"] > left
    later = [at for at in app["sends"] if at > closed]
    assert later, "no send after the connection was over"
    assert [r for r in app["raises"] if r[0] > closed] == []
    # The probe's cell is decided after the close: the window's raise is
    # kept in observed, and the result is what the committed matrix says.
    found = sends_cell(Left(left, closed), app)
    assert found["result"] == NO
    assert found["exception"] is None
    assert found["observed"]["raised_inside_close"] >= 1
    assert found["observed"]["raised_after_close"] == 0


def sends(through: list[float], raised: list[float]) -> dict[str, object]:
    """The app's record of /send: sends that went through, and raises."""
    raises = [[at, "ClientDisconnected", True] for at in raised]
    return {"sends": through, "raises": raises}


def test_a_send_before_the_server_reads_the_close_does_not_decide() -> None:
    """The client closed at 1.0; the server read it only after its send at
    1.1 went through: it raises from then on, the cell is yes."""
    found = sends_cell(Left(1.0, 1.0), sends([0.5, 1.1], [1.2, 1.3]))
    assert (found["result"], found["seconds"]) == (YES, 0.2)
    assert found["observed"]["sends_after_close"] == 1


def test_a_send_through_after_a_raise_is_no_single_answer() -> None:
    with pytest.raises(ProbeError, match="went through after one raised"):
        sends_cell(Left(1.0, 1.0), sends([1.1, 1.3], [1.2]))
