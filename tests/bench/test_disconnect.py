"""The disconnect benchmark: a smoke run, its parts, and the committed figures.

The smoke run measures both parts for real in a few seconds (3 clients a
pattern, an asyncio client instead of wrk) and checks what the slides
claim: on HTTP today, only listening for ``http.disconnect`` stops the
work; on uvicorn's WebSockets, ``send()`` raises. It runs through the
command (in this process), which writes the JSON and its two charts
together; a run whose server cannot start writes nothing. The committed
JSON, from ``make bench``, must say the same, and show spec 2.4 paying off.
"""

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from demos import disconnect_receive, raise_oserror, streaming_response
from scripts.assets import charts
from scripts.assets.code_images import CACHE
from scripts.bench import apps, disconnect
from scripts.bench.disconnect import SMOKE, parse_wrk, wrk_version
from scripts.matrix.catalog import BENEFITS, OSERROR
from tests.conftest import usage

ROOT = Path(__file__).resolve().parents[2]
Document = dict[str, Any]
OSERROR_SLIDE = f"slide {OSERROR!r}"
BENEFITS_SLIDE = f"slide {BENEFITS!r}"


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


def wasted(document: Document) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (row["transport"], row["pattern"]): row
        for row in document["wasted_work"]["results"]
    }


def check_wasted_work(document: Document) -> None:
    """What the Client Disconnection slides claim, in any measurement."""
    rows = wasted(document)
    work = document["wasted_work"]
    for pattern in ("send_only", "catch_oserror"):
        row = rows["http", pattern]
        assert row["chunks_total"]["min"] == work["stream_messages"], (
            f"{OSERROR_SLIDE}: on HTTP, {pattern} should stream to the end "
            f"after the client left; it sent {row['chunks_total']}"
        )
        assert row["chunks_after"]["min"] >= 1
        assert row["noticed"] == 0, OSERROR_SLIDE
    listen = rows["http", "listen"]
    assert listen["chunks_after"]["max"] <= 1
    assert listen["noticed"] == listen["clients"]
    for pattern in ("listen", "catch_oserror"):
        row = rows["websocket", pattern]
        assert row["chunks_after"]["max"] <= 1, OSERROR_SLIDE
        assert row["noticed"] == row["clients"], OSERROR_SLIDE
    send_only = rows["websocket", "send_only"]
    assert send_only["outcomes"] == {
        "raised ClientDisconnected": send_only["clients"]
    }, OSERROR_SLIDE


def test_the_smoke_run_finds_what_the_slides_say(smoke: Document) -> None:
    check_wasted_work(smoke)
    assert smoke["measured"]["profile"] == "smoke"
    for row in smoke["wasted_work"]["results"]:
        assert row["clients"] == SMOKE.clients * SMOKE.rounds


def test_the_smoke_run_loads_every_variant(smoke: Document) -> None:
    results = smoke["throughput"]["results"]
    assert [r["variant"] for r in results] == list(apps.VARIANTS)
    for row in results:
        assert row["errors"] == 0
        assert row["requests"] == SMOKE.requests * SMOKE.repeats
        assert row["rps"]["median"] > 0
        assert 0 < row["p50_ms"]["median"] <= row["p99_ms"]["median"]
    assert set(smoke["throughput"]["ratios_2_4_over_2_3"]) == {
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
    for framework, ratio in committed["throughput"][
        "ratios_2_4_over_2_3"
    ].items():
        assert ratio["rps"] > 1.05, (
            f"{BENEFITS_SLIDE}: spec 2.4 no longer pays off for {framework}"
        )


def test_the_committed_figures_name_machine_versions_and_date(
    committed: Document,
) -> None:
    measured = committed["measured"]
    assert measured["date"]
    assert measured["machine"]["cores"] >= 1
    for name in ("uvicorn", "starlette", "fastapi", "wrk"):
        assert committed["versions"][name]


# -- The parts --------------------------------------------------------------


async def listener_tasks(app: Any) -> int:
    """How often ``app`` calls receive() while streaming one response."""
    calls = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        if calls == 1:
            return {"type": "http.request", "body": b""}
        await asyncio.sleep(60)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/stream",
        "raw_path": b"/stream",
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "server": ("127.0.0.1", 80),
        "client": ("127.0.0.1", 1234),
    }
    await asyncio.wait_for(app(scope, receive, send), 5)
    body = b"".join(m.get("body", b"") for m in sent)
    assert body == apps.CHUNK * apps.CHUNKS
    return calls


@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
def test_the_wrapper_switches_starlette_to_the_spec_2_4_path(
    framework: str,
) -> None:
    """2.3: a task waits on receive() for http.disconnect; 2.4: none."""
    old = apps.VARIANTS[f"{framework}-2.3"]
    new = apps.VARIANTS[f"{framework}-2.4"]
    assert asyncio.run(listener_tasks(old)) == 2
    assert asyncio.run(listener_tasks(new)) <= 1


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
