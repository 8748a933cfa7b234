"""Measurement 2 of the disconnect benchmark: what every streaming response
costs, no client leaving. wrk (or, for the smoke run, an asyncio client)
loads apps.FRAMEWORKS on uvicorn (spec 2.3) and on its #3085 prototype (2.5),
each in a subprocess, variant after variant, round after round."""

import asyncio
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import httpx2

from scripts.bench import apps
from scripts.bench.wasted import PROTOTYPE, TIMEOUT, summary
from scripts.common import ROOT
from scripts.figures import FRAMEWORKS, per_round
from scripts.net.ports import HOST, accepting, pick_port
from scripts.net.processes import Server, StartError

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
# The spec each server says (checked before a run), and its --http: stock
# uvicorn, and the prototype of #3085, which says what #3085 says.
SPECS = {"2.3": None, "2.5": PROTOTYPE}


@dataclass(frozen=True)
class LoadRun:
    """One run of the load generator on one variant."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def parse_wrk(output: str) -> LoadRun:
    """What wrk --latency printed."""

    def latency(percent: str) -> float:
        pattern = rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$"
        found = re.search(pattern, output, re.M)
        if found is None:
            raise ValueError(f"wrk printed no {percent}% latency")
        return float(found.group(1)) * UNITS[found.group(2)]

    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if total is None or rate is None:
        raise ValueError("wrk printed no request count")
    errors = sum(int(n) for line in output.splitlines()
                 if line.lstrip().startswith(("Non-2xx", "Socket errors:"))
                 for n in re.findall(r"\d+", line.split(":", 1)[1]))
    return LoadRun(
        requests=int(total.group(1)),
        seconds=float(total.group(2)) * UNITS[total.group(3)] / 1000,
        rps=float(rate.group(1)), p50_ms=latency("50"), p99_ms=latency("99"),
        errors=errors,
    )


def wrk_version(wrk: str) -> str:
    result = subprocess.run(  # noqa: S603
        [wrk, "--version"], capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    found = re.search(r"wrk \S*?(\d+\.\d+(\.\d+)?)", output)
    return found.group(1) if found else "?"


def run_asyncio(url: str, connections: int, count: int) -> LoadRun:
    """``count`` GETs over ``connections`` keep-alive connections."""
    latencies: list[float] = []
    errors = 0

    async def worker(client: httpx2.AsyncClient) -> None:
        nonlocal count, errors
        while count > 0:
            count -= 1
            start = time.perf_counter()
            response = await client.get(url)
            latencies.append((time.perf_counter() - start) * 1000)
            errors += response.status_code != 200

    async def run() -> None:
        limits = httpx2.Limits(max_connections=connections)
        async with httpx2.AsyncClient(
            limits=limits, timeout=TIMEOUT, trust_env=False
        ) as client:
            await asyncio.gather(*(worker(client) for _ in range(connections)))

    start = time.perf_counter()
    asyncio.run(run())
    seconds = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return LoadRun(
        requests=len(latencies), seconds=seconds,
        rps=len(latencies) / seconds, p50_ms=statistics.median(latencies),
        p99_ms=cuts[98], errors=errors,
    )


def pinning(
    cores: Sequence[int], taskset: str | None, wrk: bool
) -> tuple[list[str], list[str], str]:
    """The servers' and wrk's command prefixes, and how they are pinned."""
    if taskset is None or len(cores) < 2:
        why = "no taskset" if taskset is None else f"{len(cores)} core"
        return [], [], f"not pinned: {why}"
    server, load = ([taskset, "-c", str(core)] for core in cores[:2])
    said = f"uvicorn: taskset -c {cores[0]}"
    return server, load * wrk, said + f", wrk: taskset -c {cores[1]}" * wrk


@contextmanager
def uvicorn_process(
    http: str | None, pin: list[str]
) -> Iterator[tuple[Callable[[], None], int, str]]:
    """uvicorn serving ``apps.throughput_app`` in a subprocess until the block
    ends: how to wait until it accepts connections, its port, its command."""
    port = pick_port()
    command = [
        *pin, sys.executable, "-m", "uvicorn",
        "scripts.bench.apps:throughput_app", "--host", HOST, "--port",
        str(port), "--lifespan", "off", "--log-level", "warning",
        "--no-access-log", *(["--http", http] if http else []),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    said = shlex.join(command).replace(sys.executable, "python")
    server = Server(command, cwd=ROOT, env=env)

    def ready() -> None:
        try:
            server.wait_ready(lambda: accepting(port), 20.0)
        except StartError as error:
            code = "" if error.code is None else f" (exit code {error.code})"
            message = f"the benchmark's uvicorn did not start{code}"
            raise RuntimeError(message) from None

    try:
        yield ready, port, said
    finally:
        server.stop(timeout=5.0)


def _variant(name: str, found: list[LoadRun]) -> dict[str, Any]:
    framework, spec = name.rsplit("-", 1)
    runs = [asdict(r) for r in found]
    return {
        "variant": name, "framework": framework, "spec_version": spec,
        **{key: summary([run[key] for run in runs])
           for key in ("rps", "p50_ms", "p99_ms")},
        **{key: sum(run[key] for run in runs)
           for key in ("requests", "errors")},
        "runs": runs,
    }


def _paired(cost: dict[str, Any], framework: str) -> dict[str, Any]:
    """Each round's prototype run over the same round's stock run, so that what
    else the machine did at the time cancels out (figures.per_round)."""
    paired = {key: summary(per_round(cost, framework, name))
              for key, name in (("rps", "rps"), ("p50", "p50_ms"),
                                ("p99", "p99_ms"))}
    return {**{key: value["median"] for key, value in paired.items()},
            "paired": paired}


def measure(
    ports: dict[str, int], load: Callable[[str, bool], LoadRun], repeats: int,
    tool: dict[str, Any],
) -> dict[str, Any]:
    """Measurement 2, on the servers at ``ports`` (by spec): each variant
    warmed up, then each in turn, round after round; ``load(url, warm)``."""
    urls = {f"{framework}-{spec}": f"http://{HOST}:{port}/stream?{framework}"
            for framework in apps.FRAMEWORKS for spec, port in ports.items()}
    for spec, port in ports.items():
        said = httpx2.get(f"http://{HOST}:{port}/spec", timeout=TIMEOUT,
                          trust_env=False).text
        if said != spec:
            raise RuntimeError(f"the spec {spec} server says spec {said}")
    for name, url in urls.items():
        check = httpx2.get(url, timeout=TIMEOUT, trust_env=False)
        expected = apps.CHUNK * apps.CHUNKS
        if check.status_code != 200 or check.content != expected:
            raise RuntimeError(f"{name} does not stream as expected")
        load(url, True)
    variants = list(urls)
    runs: dict[str, list[LoadRun]] = {name: [] for name in variants}
    for repeat in range(repeats):
        shift = repeat % len(variants)
        for name in variants[shift:] + variants[:shift]:
            runs[name].append(load(urls[name], False))
    results = [_variant(name, runs[name]) for name in variants]
    return {
        "stream": {"chunks": apps.CHUNKS, "chunk_bytes": len(apps.CHUNK)},
        "load": {**tool, "runs_per_variant": repeats,
                 "order": "variants in turn, rotating each round"},
        "results": results,
        "ratios": {
            framework: _paired({"results": results, "servers": ports},
                               framework)
            for framework in FRAMEWORKS
        },
        "ratios_are": "per round, the prototype's run over stock's; median",
    }


