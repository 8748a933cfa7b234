"""The support matrix: real servers still do what the committed JSON says.

The servers are probed again (the quick profile: every server and every
feature at once, short timeouts) and their categorical results compared
with assets/support_matrix.json. The probe is also run against servers
that crash, die, hang or ignore SIGTERM: a server that does not start or
dies, and a probe that raises, fail the command, which then writes nothing.
`make matrix` then draws the pictures from the JSON with scripts.pictures
(tests/pictures) and rewrites the README's figures (`make check`).
"""

import json
from pathlib import Path

import pytest

from scripts.common import ROOT
from scripts.matrix import probe
from scripts.matrix.catalog import (
    FULL,
    HANGS,
    NO,
    PROCESSES,
    QUICK,
    YES,
    spec_at_least,
)
from scripts.net.processes import group_members
from tests.conftest import Report, usage
from tests.matrix.conftest import (
    IDLE,
    MISBEHAVING,
    PROTOTYPE,
    STOCK,
    TARGET_IDS,
    Document,
    by_id,
    cells,
    differences,
)


@pytest.fixture(scope="module")
def probed() -> Document:
    """Every server probed again, now, with four that misbehave (about 4 s
    on 2 cores, all at once)."""
    return probe.probe([*PROCESSES, *MISBEHAVING], QUICK)


@pytest.fixture(scope="module")
def reprobed(probed: Document) -> Document:
    """The real servers' part of ``probed``."""
    return {
        **probed,
        "servers": [s for s in probed["servers"] if s["id"] in TARGET_IDS],
    }


def test_the_servers_still_do_what_the_matrix_says(
    committed: Document, probed: Document, reprobed: Document, figure: Report
) -> None:
    names = tuple(process.id for process in MISBEHAVING)
    failed = [message for message in probed.get("failures", [])
              if not message.startswith(names)]
    assert not failed, "\n".join(failed)
    found = differences(committed, reprobed)
    assert not found, "\n".join(found)
    seconds = probed["probed"]["seconds"]
    figure("matrix", "re-probe, quick, all at once", f"{seconds:.1f} s")


def test_the_prototype_raises_on_http_where_stock_uvicorn_does_not(
    committed: Document, reprobed: Document
) -> None:
    """uvicorn #3085 as `--http demos.oserror_protocols:…`, probed now:
    send() raises OSError once the client left, and HTTP scopes say 2.4 or
    more (#3085 says 2.5), as the committed matrix read from the server."""
    http, spec = cells(reprobed, "oserror_http"), cells(reprobed, "spec_http")
    was = cells(committed, "spec_http")
    for stock, prototype in zip(STOCK, PROTOTYPE, strict=True):
        assert (http[stock]["result"], spec[stock]["value"]) == (NO, "2.3")
        assert http[prototype]["result"] == YES, http[prototype]
        version = spec[prototype]["value"]
        assert spec_at_least(version, "2.4"), version
        assert version == was[prototype]["value"], "run `make matrix`"
        assert http[prototype]["exception"] == (
            "uvicorn.protocols.utils.ClientDisconnected"
        )
    commands = {s["id"]: s["process"]["command"] for s in reprobed["servers"]}
    assert "--http demos.oserror_protocols:H11Protocol " in commands[
        "uvicorn-3085-h11"
    ]
    assert "--http demos.oserror_protocols:HttpToolsProtocol " in commands[
        "uvicorn-3085-httptools"
    ]


def test_hypercorn_loses_only_a_second_trailers_message_now(
    reprobed: Document,
) -> None:
    """Probed now, over HTTP/2: a single trailers message arrives, and of
    two only the first (slide 'HTTP Trailers')."""
    cell = cells(reprobed, "trailers_http2")["hypercorn"]
    one = cell["observed"]["one_message"]["reply"]
    two = cell["observed"]["reply"]
    assert (one["trailers"], two["trailers"]) == (
        [("x-first", "one")], [("x-first", "one")]), cell
    assert cell["note"] == "one trailers message arrives; a second is lost"


def test_daphne_resets_a_denied_handshake_at_its_own_timeout_now(
    reprobed: Document,
) -> None:
    """Probed now, with the quick profile's handshake timeout: no reply,
    then a reset no sooner than the timeout's whole second allows."""
    [daphne] = [s for s in reprobed["servers"] if s["id"] == "daphne"]
    assert f"--websocket_connect_timeout {QUICK.handshake} " in daphne[
        "process"]["command"]
    for feature in ("denial", "denial_streamed"):
        cell = daphne["cells"][feature]
        assert (cell["result"], cell["observed"]["reply"]["ending"]) == (
            NO, "reset"), cell
        assert cell["seconds"] >= QUICK.handshake - 1, cell
        assert f"reset at its {QUICK.handshake} s handshake" in cell["note"]


def test_the_probe_outwaits_a_server_handshake_timeout() -> None:
    """A server's handshake timeout fires up to a second early: at least a
    second over the client's wait, it never drops a handshake the probe
    still waits for."""
    for profile in (FULL, QUICK):
        assert profile.handshake - 1 >= profile.timeout, profile


def test_no_server_process_outlives_the_probe(reprobed: Document) -> None:
    for server in reprobed["servers"]:
        process = server["process"]
        assert process["started"], f"{server['id']} did not start"
        assert process["left_behind"] == []
        assert group_members(process["pgid"]) == [], server["id"]


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


# -- The command writes its JSON, or nothing ---------------------------------

GRANIAN = next(p for p in PROCESSES if p.id == "granian")


@pytest.fixture
def committed_copy(tmp_path: Path) -> Path:
    """A copy of the committed matrix, to be overwritten."""
    copy = tmp_path / "support_matrix.json"
    copy.write_bytes((ROOT / "assets" / copy.name).read_bytes())
    return copy


def test_a_server_that_cannot_start_fails_the_command_and_writes_nothing(
    committed_copy: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`GRANIAN_LOOP=bogus make matrix`: a real setting granian refuses."""
    before = committed_copy.read_bytes()
    monkeypatch.setenv("GRANIAN_LOOP", "bogus")
    code = probe.main(["--quick", "--output", str(committed_copy)], [GRANIAN])
    err = capsys.readouterr().err
    assert code == 3
    assert "granian: the server did not start: exited with code" in err
    assert "granian \u00d7 OSError on send, WS" in err
    assert "is left as it was" in err
    assert committed_copy.read_bytes() == before
    assert list(committed_copy.parent.iterdir()) == [committed_copy]


def test_the_probe_writes_the_matrix_and_nothing_else(
    committed_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No picture: `make assets` draws them from the JSON."""
    code = probe.main(["--quick", "--output", str(committed_copy)], [IDLE])
    assert code == 0, capsys.readouterr().err
    written = json.loads(committed_copy.read_text())
    assert [s["id"] for s in written["servers"]] == ["idle"]
    assert written["servers"][0]["process"]["stopped_by"] == "SIGTERM"
    assert written["probed"]["profile"] == "quick"
    assert "failures" not in written
    assert list(committed_copy.parent.iterdir()) == [committed_copy]


def test_an_output_with_no_folder_is_refused_before_probing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nowhere = tmp_path / "missing" / "matrix.json"
    assert probe.main(["--output", str(nowhere)]) == 2  # before probing
    assert capsys.readouterr() == ("", f"{nowhere.parent}: no such folder\n")


def test_the_probe_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    text = usage(probe.main, capsys)
    assert text.startswith("usage: python -m scripts.matrix.probe")
