"""The disconnect benchmark: a smoke run, its parts, and the committed figures.

The smoke run measures both parts for real in a few seconds (3 clients a
pattern, an asyncio client instead of wrk) and checks what the slides
claim: on HTTP today, only listening for ``http.disconnect`` stops the
work; on uvicorn's WebSockets, and on HTTP with the prototype of #3085,
``send()`` raises. It runs through the command (in this process), which
writes the JSON and its two charts together; a run whose server cannot
start writes nothing. The committed JSON, from ``make bench``, must say the
same, and show the prototype (spec 2.5, Starlette's 2.4 path) paying off.
"""

import asyncio
import json
import os
import shlex
import shutil
from collections import Counter
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.types import Receive, Scope, Send

from demos import disconnect_receive, raise_oserror, streaming_response
from scripts import readme
from scripts.bench import apps, disconnect
from scripts.bench.disconnect import (
    SMOKE,
    SPECS,
    LoadRun,
    measure,
    parse_wrk,
    pinning,
    wrk_version,
)
from scripts.bench.wasted import PROTOTYPE, SERVERS, TIMEOUT
from scripts.matrix.catalog import BENEFITS, OSERROR
from scripts.net.servers import start_server
from scripts.pictures import charts
from scripts.pictures.code_images import CACHE
from tests.conftest import usage

ROOT = Path(__file__).resolve().parents[2]
Document = dict[str, Any]
OSERROR_SLIDE = f"slide {OSERROR!r}"
BENEFITS_SLIDE = f"slide {BENEFITS!r}"
WASTED_SLIDE = "slide 'Client Disconnection: the work nobody reads'"


CHARTS = ("bench_disconnect.json", "bench_fastapi.svg", "bench_wasted.svg")


@pytest.fixture(scope="module")
def smoke_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the smoke run's command wrote its JSON and charts."""
    folder = tmp_path_factory.mktemp("bench")
    output = folder / "bench_disconnect.json"
    assert disconnect.main(["--smoke", "--output", str(output)]) == 0
    return folder


@pytest.fixture(scope="module")
def smoke(smoke_folder: Path) -> Document:
    data: Document = json.loads(
        (smoke_folder / "bench_disconnect.json").read_text()
    )
    return data


def test_the_smoke_run_writes_its_json_and_charts_together(
    smoke_folder: Path, smoke: Document
) -> None:
    assert sorted(p.name for p in smoke_folder.iterdir()) == list(CHARTS)
    drawn = charts.build(
        ROOT, ROOT / CACHE, {"assets/bench_disconnect.json": smoke}
    )
    for name, data in drawn.items():
        assert (smoke_folder / Path(name).name).read_bytes() == data, name


def test_a_server_that_cannot_start_fails_the_run_and_writes_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The wasted work is measured, then the throughput server (a real
    uvicorn, told a loop it does not have) fails: nothing is replaced."""
    for name in CHARTS:
        (tmp_path / name).write_bytes((ROOT / "assets" / name).read_bytes())
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    monkeypatch.setenv("UVICORN_LOOP", "bogus")
    output = tmp_path / "bench_disconnect.json"
    assert disconnect.main(["--smoke", "--output", str(output)]) == 3
    err = capsys.readouterr().err
    assert err.startswith(
        "the benchmark failed: the benchmark's uvicorn did not start "
        "(exit code "
    ), err
    assert "bench_disconnect.json and its charts are left as they were" in err
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.fixture(scope="module")
def committed() -> Document:
    data: Document = json.loads(
        (ROOT / "assets/bench_disconnect.json").read_text()
    )
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
            f"{OSERROR_SLIDE}: on HTTP, {pattern} should stream to the end "
            f"after the client left; it sent {row['chunks_total']}"
        )
        assert row["chunks_after"]["min"] >= 1
        assert row["noticed"] == 0, OSERROR_SLIDE
    stops = [(server, "websocket", pattern) for server in SERVERS
             for pattern in ("send_only", "listen", "catch_oserror")]
    stops += [("prototype", "http", pattern) for pattern in
              ("send_only", "listen", "catch_oserror", "fastapi")]
    stops += [("uvicorn", "http", pattern) for pattern in ("listen", "fastapi")]
    for key in stops:  # at the next send, or at once
        row = rows[key]
        assert row["chunks_after"]["max"] <= 1, (key, WASTED_SLIDE)
        if key[2] in ("listen", "catch_oserror"):  # they print it
            assert row["noticed"] == row["clients"], (key, WASTED_SLIDE)
    raised = {("uvicorn", "websocket", "send_only"): "ClientDisconnected",
              ("prototype", "websocket", "send_only"): "ClientDisconnected",
              ("prototype", "http", "send_only"): "ClientDisconnected",
              ("prototype", "http", "fastapi"): "ClientDisconnect",  # Starlette
              ("uvicorn", "http", "fastapi"): None}  # its listener task stops
    for key, name in raised.items():
        outcome = f"raised {name}" if name else "returned"
        assert rows[key]["outcomes"] == {outcome: rows[key]["clients"]}, key


def test_the_smoke_run_finds_what_the_slides_say(smoke: Document) -> None:
    check_wasted_work(smoke)
    assert smoke["measured"]["profile"] == "smoke"
    for row in smoke["wasted_work"]["results"]:
        assert row["clients"] == SMOKE.clients * SMOKE.rounds


def test_the_smoke_run_loads_every_variant(smoke: Document) -> None:
    results = smoke["throughput"]["results"]
    assert [r["variant"] for r in results] == [
        f"{framework}-{spec}" for framework in apps.FRAMEWORKS for spec in SPECS
    ]
    for row in results:
        assert row["errors"] == 0
        assert row["requests"] == SMOKE.requests * SMOKE.repeats
        assert row["rps"]["median"] > 0
        assert 0 < row["p50_ms"]["median"] <= row["p99_ms"]["median"]
    assert set(smoke["throughput"]["ratios"]) == {
        "starlette",
        "fastapi",
    }


def test_the_smoke_run_leaves_the_demos_as_they_were(smoke: Document) -> None:
    assert streaming_response.DELAY == 0.2
    assert raise_oserror.DELAY == 0.2
    assert apps.DELAY == 0.2
    for module in (streaming_response, disconnect_receive, raise_oserror):
        assert "print" not in vars(module)


def test_the_committed_figures_back_the_slides(committed: Document) -> None:
    check_wasted_work(committed)
    assert committed["measured"]["profile"] == "full"
    assert committed["throughput"]["load"]["tool"].startswith("wrk ")
    for row in committed["throughput"]["results"]:
        assert row["errors"] == 0
        assert row["rps"]["n"] >= 5
    for framework, ratio in committed["throughput"]["ratios"].items():
        assert ratio["rps"] > 1.05, (
            f"{BENEFITS_SLIDE}: the prototype no longer pays off: {framework}"
        )


def round_ranges() -> dict[str, tuple[Decimal, Decimal]]:
    """Per framework, the lowest and highest round's requests/s ratio,
    the prototype's over stock's, from the committed runs in decimal arithmetic,
    each rounded once, half up, to 2 digits."""
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


# -- The parts --------------------------------------------------------------


def test_the_servers_say_the_spec_their_runs_are_labelled_with() -> None:
    """measure() asks each server its spec_version first: servers swapped,
    the run fails before loading anything."""
    started = {name: start_server(apps.throughput_app, spec)
               for name, spec in SERVERS.items()}
    loaded: list[str] = []

    def load(url: str, warm: bool) -> LoadRun:
        loaded.append(url)
        return LoadRun(1, 1.0, 1.0, 1.0, 1.0, 0)

    try:
        ports = {spec: started[name][0].port for spec, name in
                 (("2.3", "uvicorn"), ("2.5", "prototype"))}
        assert measure(ports, load, 1, {})["results"][0]["requests"] == 1
        swapped = dict(zip(ports, reversed(ports.values()), strict=True))
        said = r"^the spec 2\.3 server says spec 2\.5$"
        with pytest.raises(RuntimeError, match=said):
            measure(swapped, load, 1, {})
        assert len(loaded) == 8  # the first run's warm-ups and runs only
    finally:
        for stopping in [stop() for _, stop in started.values()]:
            stopping.join()


def test_a_stream_takes_two_tasks_at_spec_2_3_and_one_from_2_4() -> None:
    """The one difference the throughput chart names: at spec 2.3 each
    Starlette or FastAPI StreamingResponse starts a task to stream while
    the request's own task listens for http.disconnect; at 2.4 it streams
    in the request's task alone. Counted by a task factory on the loop of
    each server the benchmark compares, no client leaving."""
    request: ContextVar[str] = ContextVar("request", default="")
    started: Counter[str] = Counter()

    def factory(
        loop: asyncio.AbstractEventLoop, coro: Any, **options: Any
    ) -> asyncio.Task[Any]:
        started[request.get()] += 1  # the caller's context: its request
        return asyncio.Task(coro, loop=loop, **options)

    async def counting(scope: Scope, receive: Receive, send: Send) -> None:
        asyncio.get_running_loop().set_task_factory(factory)
        spec = scope["asgi"].get("spec_version")
        request.set(f"{scope['query_string'].decode()}-{spec}")
        await apps.throughput_app(scope, receive, send)

    servers = [start_server(counting, spec) for spec in SERVERS.values()]
    try:
        for running, _ in servers:
            for framework in apps.FRAMEWORKS:
                response = httpx2.get(f"{running.url}/stream?{framework}",
                                      timeout=TIMEOUT, trust_env=False)
                assert response.content == apps.CHUNK * apps.CHUNKS
    finally:
        for stopping in [stop() for _, stop in servers]:
            stopping.join()
    tasks = {name: 1 + started[name]  # the request's own task, and those
             for name in (f"{f}-{s}" for f in apps.FRAMEWORKS for s in SPECS)}
    assert tasks == {"starlette-2.3": 2, "starlette-2.5": 1,
                     "fastapi-2.3": 2, "fastapi-2.5": 1}, BENEFITS_SLIDE


def test_servers_and_wrk_get_a_core_each_if_they_can() -> None:
    taskset = "/usr/bin/taskset"
    server, load, said = pinning([2, 3], taskset, True)
    assert (server, load) == ([taskset, "-c", "2"], [taskset, "-c", "3"])
    assert said == "uvicorn: taskset -c 2, wrk: taskset -c 3"
    assert pinning([0, 1], taskset, False) == (
        [taskset, "-c", "0"], [], "uvicorn: taskset -c 0"
    )
    assert pinning([0], taskset, True) == ([], [], "not pinned: 1 core")
    assert pinning([0, 1], None, True) == ([], [], "not pinned: no taskset")


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


WRK_OUTPUT = """\
Running 4s test @ http://127.0.0.1:20000/stream?variant=fastapi-2.3
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.95ms    9.50ms  98.13ms   91.37%
    Req/Sec     1.53k   123.11     1.71k    77.50%
  Latency Distribution
     50%  950.00us
     75%   11.20ms
     90%   18.06ms
     99%    1.04s
  6104 requests in 4.00s, 1.62MB read
  Non-2xx or 3xx responses: 2
  Socket errors: connect 0, read 1, write 0, timeout 3
Requests/sec:   1525.85
Transfer/sec:    415.41KB
"""


def test_wrk_output_is_parsed_with_its_units() -> None:
    run = parse_wrk(WRK_OUTPUT)
    assert run.requests == 6104
    assert run.seconds == pytest.approx(4.0)
    assert run.rps == pytest.approx(1525.85)
    assert run.p50_ms == pytest.approx(0.95)
    assert run.p99_ms == pytest.approx(1040.0)
    assert run.errors == 6
    with pytest.raises(ValueError, match="no 99% latency"):
        parse_wrk(WRK_OUTPUT.replace("99%", "98%"))


def test_wrk_reports_its_version_if_installed() -> None:
    """The full run (`make bench`) loads the server with wrk."""
    wrk = shutil.which("wrk")
    if wrk is None:
        pytest.skip("wrk is not installed; .ci/run installs it")
    assert wrk_version(wrk)[0].isdigit()


def test_the_benchmark_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    text = usage(disconnect.main, capsys)
    assert text.startswith("usage: python -m scripts.bench.disconnect")
