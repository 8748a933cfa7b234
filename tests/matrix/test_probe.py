"""The support matrix: real servers still do what the committed JSON says.

The servers are probed again (the quick profile: every server and every
feature at once, short timeouts) and their categorical results compared
with assets/support_matrix.json: supported, partial or not; statuses;
which exception. Timings are never compared. A failure names each cell
that changed and the slides it makes wrong.

The committed JSON is also checked against the claims the slides make,
and the probe against servers that crash, die, hang or ignore SIGTERM: a
server that does not start or dies, and a probe that raises, fail the
command, which then writes nothing. daphne's closing-handshake window is
forced open, not hoped for.
"""

import base64
import copy
import json
import os
import socket
import struct
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scripts.assets import charts
from scripts.assets.code_images import CACHE
from scripts.matrix import app as probe_app
from scripts.matrix import probe
from scripts.matrix.catalog import (
    BY_ID,
    FEATURES,
    HANGS,
    NO,
    OSERROR,
    PARTIAL,
    PROCESSES,
    TARGET_IDS,
    TARGETS,
    VALUE,
    YES,
    Process,
    Target,
)
from scripts.matrix.cells import sends_cell
from scripts.matrix.probe import differences
from scripts.matrix.run import QUICK, Run
from scripts.net.clients import Left
from scripts.net.processes import group_members

LINUX_ONLY = pytest.mark.skipif(
    sys.platform != "linux", reason="socket buffer sizes are read from /proc"
)

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "assets" / "support_matrix.json"
Document = dict[str, Any]


# -- Servers that misbehave -------------------------------------------------

CRASH = Process(
    id="crash",
    package="none",
    args=("-c", "import sys; print('boom'); sys.exit(3)"),
    targets=(Target("crash", "none", "exits at once", ("http", "websocket")),),
)
# A server that exits at once; one that listens but never answers, ignores
# SIGTERM, and has a child that ignores it too.
SILENT = """
import signal, socket, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "time.sleep(60)"])
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", {port}))
sock.listen(64)
time.sleep(60)
"""
HANG = Process(
    id="hang",
    package="none",
    args=("-c", SILENT),
    targets=(Target("hang", "none", "never answers", ("http", "websocket")),),
)
# A server that dies during the probe: it accepts the readiness check's
# connection, then exits at the first probe's.
DYING = """
import os, socket
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", {port}))
sock.listen(64)
sock.accept()[0].close()
sock.accept()
print("dying now", flush=True)
os._exit(1)
"""
DIES = Process(
    id="dies",
    package="none",
    args=("-c", DYING),
    targets=(Target("dies", "none", "dies", ("http",)),),
)
# A real server whose answers a probe cannot read: /scope gives a 200 with
# no JSON, so probe_spec_http raises.
EMPTY = """
import uvicorn
async def app(scope, receive, send):
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200})
        await send({"type": "http.response.body", "body": b""})
uvicorn.run(app, host="127.0.0.1", port={port}, lifespan="off",
            log_level="warning", access_log=False)
"""
UNREADABLE = Process(
    id="unreadable",
    package="none",
    args=("-c", EMPTY),
    targets=(Target("unreadable", "none", "no JSON", ("http",)),),
)
MISBEHAVING = ("crash", "hang", "dies", "unreadable")


@pytest.fixture(scope="module")
def committed() -> Document:
    return probe.load(COMMITTED)


@pytest.fixture(scope="module")
def probed() -> Document:
    """Every server probed again, now, with four that misbehave (about 4 s
    on 2 cores, all at once)."""
    return probe.probe(
        [*PROCESSES, CRASH, HANG, DIES, UNREADABLE], QUICK
    )


@pytest.fixture(scope="module")
def reprobed(probed: Document) -> Document:
    """The real servers' part of ``probed``."""
    return {
        **probed,
        "servers": [s for s in probed["servers"] if s["id"] in TARGET_IDS],
    }


def cells(document: Document, feature: str) -> dict[str, dict[str, Any]]:
    """The cells of one feature, by target."""
    return {
        server["id"]: server["cells"][feature]
        for server in document["servers"]
        if feature in server["cells"]
    }


def test_the_servers_still_do_what_the_matrix_says(
    committed: Document, probed: Document, reprobed: Document
) -> None:
    failed = [
        message
        for message in probed.get("failures", [])
        if not message.startswith(MISBEHAVING)
    ]
    assert not failed, "\n".join(failed)
    found = differences(committed, reprobed)
    assert not found, "\n".join(found)


def test_no_server_process_outlives_the_probe(reprobed: Document) -> None:
    for server in reprobed["servers"]:
        process = server["process"]
        assert process["started"], f"{server['id']} did not start"
        assert process["left_behind"] == []
        assert group_members(process["pgid"]) == [], server["id"]


def test_the_committed_matrix_covers_every_server_and_feature(
    committed: Document,
) -> None:
    assert [s["id"] for s in committed["servers"]] == list(TARGET_IDS)
    assert [f["id"] for f in committed["features"]] == [f.id for f in FEATURES]
    for server, target in zip(committed["servers"], TARGETS, strict=True):
        expected = [f.id for f in FEATURES if f.transport in target.transports]
        assert list(server["cells"]) == expected, server["id"]
        assert server["version"] == committed["versions"][target.package]
    probed = committed["probed"]
    assert probed["profile"] == "full"
    assert probed["date"]
    assert probed["machine"]["cores"]


def claim(feature: str) -> str:
    """How a failed claim names the slides it contradicts."""
    slides = ", ".join(repr(slide) for slide in BY_ID[feature].slides)
    return f"the matrix contradicts slide(s) {slides}"


def test_only_uvicorn_raises_oserror_and_only_on_websockets(
    committed: Document,
) -> None:
    """Slide 'Uvicorn raises OSError on... WebSockets!'."""
    http = cells(committed, "oserror_http")
    assert {cell["result"] for cell in http.values()} == {NO}, claim(
        "oserror_http"
    )
    websocket = cells(committed, "oserror_websocket")
    raising = {
        target for target, cell in websocket.items() if cell["result"] == YES
    }
    assert raising == {
        "uvicorn-websockets-sansio",
        "uvicorn-wsproto",
        "uvicorn-websockets",
    }, claim("oserror_websocket")
    for target in raising:
        assert websocket[target]["exception"] == (
            "uvicorn.protocols.utils.ClientDisconnected"
        ), OSERROR
        assert websocket[target]["observed"]["sends_after_leaving"] == 0


def test_no_http_server_claims_spec_2_4_yet(committed: Document) -> None:
    """Starlette trusts spec 2.4 to raise: claiming it without raising
    would let every StreamingResponse run on after its client left."""
    for target, cell in cells(committed, "spec_http").items():
        assert cell["result"] == VALUE
        version = cell["value"]
        assert version == "unset" or version < "2.4", (
            f"{target} now reports spec {version} on HTTP: "
            + claim("spec_http")
        )


def test_every_server_delivers_http_disconnect(committed: Document) -> None:
    """Slide 'Client Disconnection': listening is what works today."""
    found = cells(committed, "http_disconnect")
    assert {cell["result"] for cell in found.values()} == {YES}, claim(
        "http_disconnect"
    )


def test_closing_before_accept_is_a_403_everywhere(
    committed: Document,
) -> None:
    for target, cell in cells(committed, "close_before_accept").items():
        assert (cell["result"], cell["status"]) == (YES, 403), (
            f"{target}: " + claim("close_before_accept")
        )


def test_trailers_reach_the_client_on_http2_only(committed: Document) -> None:
    http1 = cells(committed, "trailers_http1")
    assert {cell["result"] for cell in http1.values()} == {NO}, claim(
        "trailers_http1"
    )
    assert cells(committed, "trailers_http2")["uvicorn-zttp-h2"]["result"] == (
        YES
    ), claim("trailers_http2")


def test_every_partial_or_hanging_cell_says_why(committed: Document) -> None:
    for server in committed["servers"]:
        for feature, cell in server["cells"].items():
            if cell["result"] in (PARTIAL, HANGS):
                assert cell.get("note"), f"{server['id']} {feature}"


# -- The comparison ---------------------------------------------------------


def test_a_changed_cell_names_itself_and_its_slides(
    committed: Document,
) -> None:
    now = copy.deepcopy(committed)
    granian = next(s for s in now["servers"] if s["id"] == "granian")
    granian["cells"]["denial"].update(result=YES, note="")
    uvicorn = next(s for s in now["servers"] if s["id"] == "uvicorn-h11")
    uvicorn["cells"]["oserror_http"].update(
        result=YES, exception="uvicorn.protocols.utils.ClientDisconnected"
    )
    found = differences(committed, now)
    assert len(found) == 2
    denial, oserror = sorted(found, key=lambda m: "uvicorn" in m)
    assert denial.startswith("granian \u00d7 denial response: the committed ")
    assert "says partial" in denial
    assert "now gives yes" in denial
    assert "'WebSocket Denial Response'" in denial
    assert "assets/support_matrix.svg" in denial
    assert oserror.startswith("uvicorn-h11 \u00d7 OSError on send, HTTP")
    assert "exception ClientDisconnected" in oserror
    assert "Uvicorn raises OSError on... WebSockets!" in oserror
    assert "FastAPI reaps the benefits" in oserror


def test_timings_and_notes_are_not_compared(committed: Document) -> None:
    now = copy.deepcopy(committed)
    for server in now["servers"]:
        for cell in server["cells"].values():
            cell["seconds"] = 99.0
            cell["note"] = "different words"
            cell.pop("observed", None)
    assert differences(committed, now) == []


def test_a_new_server_version_is_reported(committed: Document) -> None:
    now = copy.deepcopy(committed)
    now["versions"]["granian"] = "9.9.9"
    assert differences(committed, now) == [
        "granian 9.9.9 is installed, the matrix was probed with "
        f"{committed['versions']['granian']}"
    ]


def by_id(document: Document, target: str) -> dict[str, Any]:
    return next(s for s in document["servers"] if s["id"] == target)


def test_a_server_that_does_not_start_is_a_failure_not_a_result(
    probed: Document,
) -> None:
    crash = by_id(probed, "crash")
    assert not crash["process"]["started"]
    assert crash["process"]["stopped_by"] == "exited by itself"
    assert crash["cells"] == {}
    (failure,) = [m for m in probed["failures"] if m.startswith("crash")]
    assert "crash: the server did not start: exited with code 3" in failure
    assert "boom" in failure
    assert "crash \u00d7 spec_version, HTTP" in failure


def test_a_server_that_dies_during_the_probe_is_a_failure(
    probed: Document,
) -> None:
    assert by_id(probed, "dies")["process"]["started"]
    (failure,) = [m for m in probed["failures"] if m.startswith("dies")]
    assert failure.startswith(
        "dies: the server died during the probe (exit code 1: dying now)"
    ), failure
    assert "dies \u00d7 http.disconnect" in failure


def test_a_probe_that_raises_is_a_failure_naming_its_cell(
    probed: Document,
) -> None:
    failures = [m for m in probed["failures"] if m.startswith("unreadable")]
    assert failures == [
        "unreadable \u00d7 spec_version, HTTP: the probe failed: "
        "JSONDecodeError: Expecting value: line 1 column 1 (char 0)"
    ]


def test_a_server_that_does_not_answer_hangs(probed: Document) -> None:
    hang = by_id(probed, "hang")
    assert hang["process"]["started"]
    assert {cell["result"] for cell in hang["cells"].values()} == {HANGS}
    assert not [m for m in probed["failures"] if m.startswith("hang")]
    # SIGTERM was ignored: the whole group got SIGKILL, child included.
    assert hang["process"]["stopped_by"] == "SIGKILL"
    assert hang["process"]["left_behind"] == []
    assert group_members(hang["process"]["pgid"]) == []


# -- The command writes all or nothing --------------------------------------

GRANIAN = next(p for p in PROCESSES if p.id == "granian")
UVICORN = PROCESSES[0]


@pytest.fixture
def committed_copy(tmp_path: Path) -> Path:
    """A copy of the committed matrix and its picture, to be overwritten."""
    for name in ("support_matrix.json", "support_matrix.svg"):
        (tmp_path / name).write_bytes((ROOT / "assets" / name).read_bytes())
    return tmp_path / "support_matrix.json"


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_server_that_cannot_start_fails_the_command_and_writes_nothing(
    committed_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`GRANIAN_LOOP=bogus make matrix`: a real setting granian refuses."""
    before = files(committed_copy.parent)
    monkeypatch.setenv("GRANIAN_LOOP", "bogus")
    code = probe.main(
        ["--quick", "--output", str(committed_copy)], [GRANIAN]
    )
    err = capsys.readouterr().err
    assert code == 3
    assert "granian: the server did not start: exited with code" in err
    assert "granian \u00d7 OSError on send, WS" in err
    assert "left as they were" in err
    assert files(committed_copy.parent) == before


def test_the_matrix_and_its_picture_are_written_together(
    committed_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = probe.main(
        ["--quick", "--output", str(committed_copy)], [UVICORN]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "2 files replaced together" in out
    written = probe.load(committed_copy)
    assert [s["id"] for s in written["servers"]] == [
        target.id for target in UVICORN.targets
    ]
    assert "failures" not in written
    picture = committed_copy.with_suffix(".svg").read_bytes()
    assert (
        picture
        == charts.build(
            ROOT, ROOT / CACHE, {"assets/support_matrix.json": written}
        )["assets/support_matrix.svg"]
    )
    assert sorted(files(committed_copy.parent)) == [
        "support_matrix.json",
        "support_matrix.svg",
    ]


# -- daphne's closing-handshake window, forced open -------------------------

DAPHNE = next(p for p in PROCESSES if p.id == "daphne")


@pytest.fixture(scope="module")
def daphne(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Run]:
    run = Run(
        DAPHNE, QUICK, tmp_path_factory.mktemp("daphne")
    )
    try:
        run.start()
        assert run.started, run.crashed
        yield run
    finally:
        run.stop()


def masked_close() -> bytes:
    """A client's close frame, code 1000 (client frames are masked)."""
    mask = os.urandom(4)
    payload = struct.pack("!H", 1000)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x88, 0x80 | len(payload)]) + mask + masked


def send_buffer_limit() -> int:
    """The most a socket's send buffer grows to (tcp_wmem's maximum)."""
    return int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])


@LINUX_ONLY
def test_daphne_raises_inside_the_closing_handshake_and_drops_after_it(
    daphne: Run,
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
    assert burst <= probe_app.MAX_BURST
    probe = f"window-{os.getpid()}"
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /send?id={probe}&seconds=1.0&interval=0.02&burst={burst} "
        f"HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    )
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", daphne.port))
        sock.sendall(request.encode())
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            head += sock.recv(1)
        assert head.startswith(b"HTTP/1.1 101 "), head
        # The first bytes of the burst: all of it is in daphne's buffers
        # (the app sends it without yielding), more than the sockets hold.
        assert sock.recv(1) == b"\x82"  # a binary frame, FIN set
        sock.sendall(masked_close())
        left = time.monotonic()
        raised = daphne.event(f"{probe}.raised", 5.0)
        assert raised is not None, "no send raised inside the window"
        assert raised["exception"] == "autobahn.exception.Disconnected"
        assert not raised["oserror"]
        while sock.recv(1 << 20):  # now read: the window closes
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
    found = sends_cell(app, Left(left, closed))
    assert found["result"] == NO
    assert found["exception"] is None
    assert found["observed"]["raised_inside_close"] >= 1
    assert found["observed"]["raised_after_close"] == 0


def test_compare_from_the_command_line_needs_a_valid_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "matrix.json"
    bad.write_text(json.dumps({"schema": 0}))
    assert probe.main(["--compare", "--output", str(bad)]) == 2
    assert "schema 0, not 1" in capsys.readouterr().err
    assert probe.main(["--jobs", "0"]) == 2


def test_the_probe_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        probe.main(["--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(
        "usage: python -m scripts.matrix.probe"
    )
