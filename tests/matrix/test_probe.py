"""The support matrix: real servers still do what the committed JSON says.

The servers are probed again (the quick profile: every server and every
feature at once, short timeouts) and their categorical results compared
with assets/support_matrix.json. The probe is also run against servers
that crash, die, hang or ignore SIGTERM: a server that does not start or
dies, and a probe that raises, fail the command, which then writes nothing.
"""

import json
from pathlib import Path
from typing import Any

import pytest

from scripts.matrix import probe
from scripts.matrix.catalog import (
    HANGS,
    NO,
    PROCESSES,
    TARGET_IDS,
    YES,
    spec_at_least,
)
from scripts.matrix.probe import differences
from scripts.matrix.run import FULL, QUICK
from scripts.net.processes import group_members
from scripts.pictures import charts
from scripts.pictures.code_images import CACHE
from tests.conftest import usage
from tests.matrix.conftest import PROTOTYPE, ROOT, STOCK, Document, cells
from tests.matrix.misbehaving import (
    CRASH,
    DIES,
    HANG,
    MISBEHAVING,
    UNREADABLE,
)


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
    still waits for; daphne's default (5 s) is what `make matrix` probes."""
    for profile in (FULL, QUICK):
        assert profile.handshake - 1 >= profile.timeout, profile
    assert FULL.handshake == 5


def test_no_server_process_outlives_the_probe(reprobed: Document) -> None:
    for server in reprobed["servers"]:
        process = server["process"]
        assert process["started"], f"{server['id']} did not start"
        assert process["left_behind"] == []
        assert group_members(process["pgid"]) == [], server["id"]


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
MATRIX_FILES = ("support_matrix.json", "support_matrix.svg",
                "support_matrix_simple.svg")


@pytest.fixture
def committed_copy(tmp_path: Path) -> Path:
    """A copy of the committed matrix and its picture, to be overwritten."""
    for name in MATRIX_FILES:
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
    assert "3 files replaced together" in out
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
    assert sorted(files(committed_copy.parent)) == list(MATRIX_FILES)


def test_compare_from_the_command_line_needs_a_valid_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "matrix.json"
    bad.write_text(json.dumps({"schema": 0}))
    assert probe.main(["--compare", "--output", str(bad)]) == 2
    assert "schema 0, not 1" in capsys.readouterr().err
    assert probe.main(["--jobs", "0"]) == 2


def test_the_probe_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    text = usage(probe.main, capsys)
    assert text.startswith("usage: python -m scripts.matrix.probe")
