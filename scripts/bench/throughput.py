"""Measurement 2 of the benchmark: the cost FastAPI pays today. A uvicorn
subprocess serves apps.VARIANTS; wrk (or an asyncio client) loads each in
turn, round after round; the ratio 2.4 over 2.3 is paired per round."""

import asyncio
import os
import re
import statistics
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from time import perf_counter
from typing import Any

import httpx2

from scripts.bench import apps
from scripts.bench.wasted import TIMEOUT, summary
from scripts.net.ports import HOST, pick_port
from scripts.net.processes import Server, StartError, accepting, running

ROOT = Path(__file__).resolve().parents[2]
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


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


def run_wrk(wrk: str, url: str, connections: int, seconds: int) -> LoadRun:
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
               "--timeout", "5s", url]
    result = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, timeout=seconds + 30,
        check=True,
    )
    return parse_wrk(result.stdout)


def wrk_version(wrk: str) -> str:
    result = subprocess.run(  # noqa: S603
        [wrk, "--version"], capture_output=True, text=True, check=False
    )
    output = result.stdout + result.stderr
    found = re.search(r"wrk \S*?(\d+\.\d+(\.\d+)?)", output)
    return found.group(1) if found else "?"


async def _requests(
    url: str, count: int, connections: int
) -> tuple[list[float], int]:
    """``count`` GETs over ``connections`` keep-alive connections."""
    latencies: list[float] = []
    errors, remaining = 0, count
    limits = httpx2.Limits(max_connections=connections)
    async with httpx2.AsyncClient(
        limits=limits, timeout=TIMEOUT, trust_env=False
    ) as client:

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0:
                remaining -= 1
                start = perf_counter()
                response = await client.get(url)
                latencies.append((perf_counter() - start) * 1000)
                errors += response.status_code != 200

        await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies, errors


def run_asyncio(url: str, connections: int, count: int) -> LoadRun:
    start = perf_counter()
    latencies, errors = asyncio.run(_requests(url, count, connections))
    seconds = perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return LoadRun(
        requests=len(latencies), seconds=seconds,
        rps=len(latencies) / seconds, p50_ms=statistics.median(latencies),
        p99_ms=cuts[98], errors=errors,
    )


@contextmanager
def uvicorn_process() -> Iterator[tuple[Server, int]]:
    """uvicorn serving ``apps.throughput_app`` in a subprocess, and its
    port, until the block ends; call ``ready()`` before using it."""
    port = pick_port()
    command = [
        sys.executable, "-m", "uvicorn", "scripts.bench.apps:throughput_app",
        "--host", HOST, "--port", str(port), "--lifespan", "off",
        "--log-level", "warning", "--no-access-log",
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with running(command, cwd=ROOT, env=env, timeout=5.0) as server:
        yield server, port


def ready(server: Server, port: int) -> None:
    """Wait until the server accepts connections."""
    try:
        server.wait_ready(lambda: accepting(port), 20.0)
    except StartError as error:
        code = "" if error.code is None else f" (exit code {error.code})"
        message = f"the benchmark's uvicorn did not start{code}"
        raise RuntimeError(message) from None


def _paired(runs: dict[str, list[LoadRun]], framework: str) -> dict[str, Any]:
    """Each round's 2.4 run over the same round's 2.3 run, so that what
    else the machine did at the time cancels out."""
    pairs = list(
        zip(runs[f"{framework}-2.3"], runs[f"{framework}-2.4"], strict=True)
    )
    paired = {
        "rps": summary([new.rps / old.rps for old, new in pairs], 3),
        "p50": summary([new.p50_ms / old.p50_ms for old, new in pairs], 3),
        "p99": summary([new.p99_ms / old.p99_ms for old, new in pairs], 3),
    }
    return {**{key: value["median"] for key, value in paired.items()},
            "paired": paired}


def _variant(name: str, found: list[LoadRun]) -> dict[str, Any]:
    framework, spec = name.rsplit("-", 1)
    return {
        "variant": name,
        "framework": framework,
        "spec_version": spec,
        "rps": summary([r.rps for r in found], 1),
        "p50_ms": summary([r.p50_ms for r in found], 3),
        "p99_ms": summary([r.p99_ms for r in found], 3),
        "requests": sum(r.requests for r in found),
        "errors": sum(r.errors for r in found),
        "runs": [asdict(r) for r in found],
    }


def measure(
    port: int, load: Callable[[str, bool], LoadRun], repeats: int,
    tool: dict[str, Any],
) -> dict[str, Any]:
    """Measurement 2, on the server at ``port``: each variant warmed up,
    then each in turn, round after round. ``load(url, warm)`` runs once."""
    variants = list(apps.VARIANTS)
    base = f"http://{HOST}:{port}/stream?variant="
    for name in variants:
        check = httpx2.get(base + name, timeout=TIMEOUT, trust_env=False)
        expected = apps.CHUNK * apps.CHUNKS
        if check.status_code != 200 or check.content != expected:
            raise RuntimeError(f"{name} does not stream as expected")
    for name in variants:
        load(base + name, True)
    runs: dict[str, list[LoadRun]] = {name: [] for name in variants}
    for repeat in range(repeats):
        shift = repeat % len(variants)
        for name in variants[shift:] + variants[:shift]:
            runs[name].append(load(base + name, False))
    return {
        "server": f"uvicorn {metadata.version('uvicorn')}, subprocess, "
        "defaults: --http auto (httptools), --loop auto (uvloop)",
        "stream": {"chunks": apps.CHUNKS, "chunk_bytes": len(apps.CHUNK)},
        "load": {**tool, "runs_per_variant": repeats,
                 "order": "variants in turn, rotating each round"},
        "results": [_variant(name, runs[name]) for name in variants],
        "ratios_2_4_over_2_3": {
            framework: _paired(runs, framework)
            for framework in ("starlette", "fastapi")
        },
        "ratios_are": "per round, the 2.4 run over the 2.3 run; median",
    }
