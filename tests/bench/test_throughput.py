"""The disconnect benchmark's throughput, part by part: each server says the
spec its runs are labelled with, a stream takes two tasks at spec 2.3 and
one from 2.4, servers and wrk are pinned a core each, and wrk's output is
read with its units."""

import asyncio
import shutil
from collections import Counter
from contextvars import ContextVar
from typing import Any

import httpx2
import pytest
from starlette.types import Receive, Scope, Send

from scripts.bench import apps
from scripts.bench.disconnect import (
    Run,
    measure,
    parse_wrk,
    pinning,
    wrk_version,
)
from scripts.bench.wasted import SERVERS, TIMEOUT
from scripts.matrix.catalog import BENEFITS_SLIDE
from scripts.net.servers import start_server

BENEFITS = f"slide {BENEFITS_SLIDE!r}"

def test_the_servers_say_the_spec_their_runs_are_labelled_with() -> None:
    """measure() asks each server its spec_version first: servers swapped,
    the run fails before loading anything."""
    started = {name: start_server(apps.throughput_app, spec)
               for name, (_, spec) in SERVERS.items()}
    loaded: list[str] = []

    def load(url: str, warm: bool) -> Run:
        loaded.append(url)
        return {"requests": 1, "seconds": 1.0, "rps": 1.0, "p50_ms": 1.0,
                "p99_ms": 1.0, "errors": 0}

    try:
        ports = {spec: started[name][0].port
                 for name, (spec, _) in SERVERS.items()}
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

    servers = [start_server(counting, spec) for _, spec in SERVERS.values()]
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
             for name in (f"{f}-{s}" for f in apps.FRAMEWORKS
                          for s, _ in SERVERS.values())}
    assert tasks == {"starlette-2.3": 2, "starlette-2.5": 1,
                     "fastapi-2.3": 2, "fastapi-2.5": 1}, BENEFITS


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
    assert run["requests"] == 6104
    assert run["seconds"] == pytest.approx(4.0)
    assert run["rps"] == pytest.approx(1525.85)
    assert run["p50_ms"] == pytest.approx(0.95)
    assert run["p99_ms"] == pytest.approx(1040.0)
    assert run["errors"] == 6
    with pytest.raises(ValueError, match="no 99% latency"):
        parse_wrk(WRK_OUTPUT.replace("99%", "98%"))


def test_wrk_reports_its_version_if_installed() -> None:
    """The full run (`make bench`) loads the server with wrk."""
    wrk = shutil.which("wrk")
    if wrk is None:
        pytest.skip("wrk is not installed; .ci/run installs it")
    assert wrk_version(wrk)[0].isdigit()
