"""The disconnect benchmark's command: a smoke run, and the committed figures.

The smoke run measures both parts for real in a few seconds (3 clients a
pattern, an asyncio client instead of wrk) and checks what the slides
claim: on HTTP today, only listening for ``http.disconnect`` stops the
work; on uvicorn's WebSockets, and on HTTP with the prototype of #3085,
``send()`` raises. It runs through the command (in this process), which
writes the JSON only; a run whose server cannot start writes nothing. The
committed JSON, from ``make bench``, must say the same, and show the
prototype (spec 2.5, Starlette's 2.4 path) paying off. ``make bench`` then
draws the charts from the JSON with scripts.pictures (tests/pictures) and
rewrites the README's figures (``make check``).
"""

import json
import os
import shlex
import shutil
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest

from demos.catalog import BY_NAME
from scripts import readme
from scripts.bench import apps, disconnect
from scripts.bench.disconnect import SMOKE, pinning
from scripts.bench.wasted import PATTERNS, PROTOTYPE, SERVERS, Patterns
from scripts.common import ROOT
from scripts.figures import load_of, ratios
from scripts.matrix.catalog import BENEFITS_SLIDE, OSERROR_SLIDE
from tests.conftest import Report

Document = dict[str, Any]
OSERROR = f"slide {OSERROR_SLIDE!r}"
BENEFITS = f"slide {BENEFITS_SLIDE!r}"
WASTED = "slide 'Client Disconnection: the work nobody reads'"
JSON = "bench_disconnect.json"
SPECS = [spec for spec, _ in SERVERS.values()]


@pytest.fixture(scope="module")
def smoke_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the smoke run's command wrote its JSON."""
    folder = tmp_path_factory.mktemp("bench")
    assert disconnect.main(["--smoke", "--output", str(folder / JSON)]) == 0
    return folder


@pytest.fixture(scope="module")
def smoke(smoke_folder: Path) -> Document:
    data: Document = json.loads((smoke_folder / JSON).read_text())
    return data


def test_the_smoke_run_writes_its_json_and_nothing_else(
    smoke_folder: Path, smoke: Document, figure: Report
) -> None:
    """No chart: `make assets` draws them from the JSON."""
    assert [p.name for p in smoke_folder.iterdir()] == [JSON]
    assert smoke["measured"]["profile"] == "smoke"
    seconds = smoke["measured"]["seconds"]
    figure("bench", "smoke run, both measurements", f"{seconds:.1f} s")


def test_a_server_that_cannot_start_fails_the_run_and_writes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The wasted work is measured, then the throughput server (a real
    uvicorn, told a loop it does not have) fails: nothing is replaced."""
    output = tmp_path / JSON
    output.write_bytes((ROOT / "assets" / JSON).read_bytes())
    before = output.read_bytes()
    monkeypatch.setenv("UVICORN_LOOP", "bogus")
    assert disconnect.main(["--smoke", "--output", str(output)]) == 3
    err = capsys.readouterr().err
    assert err.startswith(
        "the benchmark failed: the benchmark's spec 2.3 uvicorn did not start: "
        "exited with code "
    ), err
    assert f"{output} is left as it was" in err
    assert output.read_bytes() == before
    assert list(tmp_path.iterdir()) == [output]


def test_an_output_with_no_folder_is_refused_before_measuring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nowhere = tmp_path / "missing" / JSON
    assert disconnect.main(["--smoke", "--output", str(nowhere)]) == 2
    assert capsys.readouterr() == ("", f"{nowhere.parent}: no such folder\n")


@pytest.fixture(scope="module")
def committed() -> Document:
    data: Document = json.loads((ROOT / "assets" / JSON).read_text())
    return data


def wasted(document: Document) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {
        (row["server"], row["transport"], row["pattern"]): row
        for row in document["wasted_work"]["results"]
    }


def check_wasted_work(document: Document) -> None:
    """What the Client Disconnection slides claim, in any measurement."""
    rows = wasted(document)
    assert {key[0] for key in rows} == set(SERVERS)
    work = document["wasted_work"]
    for pattern in ("send_only", "catch_oserror"):
        row = rows["uvicorn", "http", pattern]
        assert row["chunks_total"]["min"] == work["stream_messages"], (
            f"{OSERROR}: on HTTP, {pattern} should stream to the end "
            f"after the client left; it sent {row['chunks_total']}"
        )
        assert row["chunks_after"]["min"] >= 1
        assert row["noticed"] == 0, OSERROR
    stops = [(server, "websocket", pattern) for server in SERVERS
             for pattern in ("send_only", "listen", "catch_oserror")]
    stops += [("prototype", "http", pattern) for pattern in
              ("send_only", "listen", "catch_oserror", "fastapi")]
    stops += [("uvicorn", "http", pattern)
              for pattern in ("listen", "fastapi")]
    for key in stops:  # at the next send, or at once
        row = rows[key]
        # Sends are a delay apart: a machine that stalled the app after
        # its client left adds one a delay it stalled, never the stream.
        stalled = int(row["seconds_after"]["max"] / work["delay"])
        assert row["chunks_after"]["max"] <= 1 + stalled, (key, WASTED)
        # The median client (the chart's) leaves before the stream ends; a
        # client held up before it read its messages (a loaded machine) may
        # leave after the end, with nothing to measure.
        assert row["chunks_total"]["median"] < work["stream_messages"], (
            key, WASTED)
        if key[2] in ("listen", "catch_oserror"):  # they print it
            assert row["noticed"] == row["clients"], (key, WASTED)
    # uvicorn's ClientDisconnected; Starlette's ClientDisconnect; None: a
    # return, Starlette's listener task having stopped the stream.
    raised = {("uvicorn", "websocket", "send_only"): "ClientDisconnected",
              ("prototype", "websocket", "send_only"): "ClientDisconnected",
              ("prototype", "http", "send_only"): "ClientDisconnected",
              ("prototype", "http", "fastapi"): "ClientDisconnect",
              ("uvicorn", "http", "fastapi"): None}
    for key, name in raised.items():
        outcome = f"raised {name}" if name else "returned"
        assert rows[key]["outcomes"] == {outcome: rows[key]["clients"]}, key


def test_the_smoke_run_finds_what_the_slides_say(smoke: Document) -> None:
    check_wasted_work(smoke)
    for row in smoke["wasted_work"]["results"]:
        assert row["clients"] == SMOKE.clients * SMOKE.rounds


def test_the_smoke_run_loads_every_variant(smoke: Document) -> None:
    results = smoke["throughput"]["results"]
    assert [r["variant"] for r in results] == [
        f"{framework}-{spec}" for framework in apps.FRAMEWORKS
        for spec in SPECS
    ]
    for row in results:
        assert row["errors"] == 0
        assert row["requests"] == SMOKE.run * SMOKE.repeats
        load = load_of(row)
        assert load.rps > 0
        assert 0 < load.p50 <= load.p99
    for ratio in ratios(smoke["throughput"]).values():  # runs paired
        assert ratio.rps > 0


def test_the_smoke_run_leaves_the_demos_as_they_were(smoke: Document) -> None:
    """Their pace as the slides say it, and prints to the terminal again."""
    for name in PATTERNS.values():
        if name in BY_NAME:
            assert BY_NAME[name].seconds() == 0.2, name
    assert not isinstance(sys.stdout, Patterns)


def test_the_committed_figures_back_the_slides(committed: Document) -> None:
    check_wasted_work(committed)
    assert committed["measured"]["profile"] == "full"
    assert committed["throughput"]["load"]["tool"].startswith("wrk ")
    for row in committed["throughput"]["results"]:
        assert row["errors"] == 0
        assert len(row["runs"]) >= 5
    for framework, ratio in ratios(committed["throughput"]).items():
        assert ratio.rps > 1.05, (
            f"{BENEFITS}: the prototype no longer pays off: {framework}"
        )


def round_ranges() -> dict[str, tuple[Decimal, Decimal]]:
    """Per framework, the lowest and highest round's requests/s ratio,
    the prototype's over stock's, from the committed runs in decimal
    arithmetic, each rounded once, half up, to 2 digits."""
    bench = json.loads((ROOT / "assets/bench_disconnect.json").read_text())
    runs = {r["variant"]: r["runs"] for r in bench["throughput"]["results"]}
    found = {}
    for framework in apps.FRAMEWORKS:
        pairs = zip(runs[f"{framework}-2.3"], runs[f"{framework}-2.5"],
                    strict=True)
        each = [Decimal(str(new["rps"])) / Decimal(str(old["rps"]))
                for old, new in pairs]
        low, high = (
            value.quantize(Decimal("0.01"), ROUND_HALF_UP)
            for value in (min(each), max(each))
        )
        found[framework] = (low, high)
    return found


def test_the_readme_gives_each_figure_rounded_once(
    committed: Document,
) -> None:
    """The ratios' range is the lowest and highest round's, each rounded
    once (1.64466 is 1.64, not 1.645 rounded again to 1.65); so are the
    table's requests/s (11,880.49 is 11,880, not 11,880.5 rounded again).
    And README.md says it: `make readme` was run."""
    said = readme.bench_list()
    for framework, (low, high) in round_ranges().items():
        assert f"[{low}\N{EN DASH}{high}]" in said, framework
    for row in committed["throughput"]["results"]:
        rps = [Decimal(str(run["rps"])) for run in row["runs"]]
        fewest, most = (int(v.quantize(Decimal(1), ROUND_HALF_UP))
                        for v in (min(rps), max(rps)))
        assert f"{fewest:,}\N{EN DASH}{most:,}]" in said, row["variant"]
    assert said in (ROOT / "README.md").read_text(encoding="utf-8"), (
        "README.md does not give the committed figures: run `make readme`"
    )


def test_the_committed_figures_name_machine_versions_and_date(
    committed: Document,
) -> None:
    measured = committed["measured"]
    assert measured["date"]
    assert measured["machine"]["cores"] >= 1
    for name in ("uvicorn", "starlette", "fastapi", "wrk"):
        assert committed["versions"][name]
    cost = committed["throughput"]  # what ran: its commands, its pinning
    assert cost["servers"]["2.5"]["command"].endswith(f" --http {PROTOTYPE}")
    assert "--http" not in cost["servers"]["2.3"]["command"]
    assert cost["pinned"].startswith(("uvicorn: taskset -c ", "not pinned: "))


def test_the_smoke_run_records_its_servers_commands_and_pinning(
    smoke: Document,
) -> None:
    cost = smoke["throughput"]
    commands = {spec: cost["servers"][spec]["command"] for spec in SPECS}
    assert commands["2.5"].endswith(f" --http {PROTOTYPE}")
    assert "--http" not in commands["2.3"]
    cores = sorted(os.sched_getaffinity(0))
    pinned = pinning(cores, shutil.which("taskset"), False)
    assert cost["pinned"] == pinned[2]
    for command in commands.values():
        assert command.startswith(shlex.join(pinned[0]) + " python -m uvicorn")
