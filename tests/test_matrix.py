"""The support matrix: real servers still do what the committed JSON says.

The servers are probed again (the quick profile: every server and every
feature at once, short timeouts) and their categorical results compared
with assets/support_matrix.json: supported, partial or not; statuses;
which exception. Timings are never compared. A failure names each cell
that changed and the slides it makes wrong.

The committed JSON is also checked against the claims the slides make,
and the probe against servers that crash, hang or ignore SIGTERM.
"""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from scripts import probe_servers
from scripts.probe_catalog import (
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
from scripts.probe_servers import differences, group_members

ROOT = Path(__file__).resolve().parent.parent
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


@pytest.fixture(scope="module")
def committed() -> Document:
    return probe_servers.load(COMMITTED)


@pytest.fixture(scope="module")
def probed() -> Document:
    """Every server probed again, now, with two that misbehave (about 4 s
    on 2 cores, all at once)."""
    return probe_servers.probe([*PROCESSES, CRASH, HANG], probe_servers.QUICK)


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
    committed: Document, reprobed: Document
) -> None:
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


def test_a_crashing_and_a_hanging_server_are_results(
    probed: Document,
) -> None:
    crash, hang = probed["servers"][-2:]
    assert not crash["process"]["started"]
    assert crash["process"]["stopped_by"] == "exited by itself"
    for feature, cell in crash["cells"].items():
        assert cell["result"] == HANGS, feature
        assert "did not start: exited with code 3" in cell["note"]
        assert "boom" in cell["note"]
    assert hang["process"]["started"]
    assert {cell["result"] for cell in hang["cells"].values()} == {HANGS}
    # SIGTERM was ignored: the whole group got SIGKILL, child included.
    assert hang["process"]["stopped_by"] == "SIGKILL"
    assert hang["process"]["left_behind"] == []
    assert group_members(hang["process"]["pgid"]) == []


def test_compare_from_the_command_line_needs_a_valid_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "matrix.json"
    bad.write_text(json.dumps({"schema": 0}))
    assert probe_servers.main(["--compare", "--output", str(bad)]) == 2
    assert "schema 0, not 1" in capsys.readouterr().err
    assert probe_servers.main(["--jobs", "0"]) == 2


def test_the_probe_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        probe_servers.main(["--help"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith(
        "usage: python -m scripts.probe_servers"
    )
