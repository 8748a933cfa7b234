"""Measurement 2 of the disconnect benchmark: what every streaming response
costs, no client leaving. wrk (or, for the smoke run, an httpx2 client)
loads apps.FRAMEWORKS on uvicorn (spec 2.3) and on its #3085 prototype (2.5),
each in a subprocess, variant after variant, round after round."""

import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import httpx2

from scripts.bench import apps
from scripts.bench.wasted import TIMEOUT
from scripts.common import ROOT
from scripts.net.ports import HOST, accepting, pick_port
from scripts.net.processes import StartError, Subprocess

UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
Load = Callable[[str, bool], "LoadRun"]  # (url, warm-up) -> the run


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
    found = re.search(r"wrk \S*?(\d+\.\d+(\.\d+)?)",
                      result.stdout + result.stderr)
    return found.group(1) if found else "?"


def run_client(url: str, connections: int, count: int) -> LoadRun:
    """``count`` GETs over ``connections`` keep-alive connections, a thread
    each (httpx2): the smoke run's load."""

    def get(client: httpx2.Client) -> tuple[float, bool]:
        start = time.perf_counter()
        failed = client.get(url).status_code != 200
        return (time.perf_counter() - start) * 1000, failed

    limits = httpx2.Limits(max_connections=connections)
    with httpx2.Client(limits=limits, timeout=TIMEOUT, trust_env=False) as (
        client
    ), ThreadPoolExecutor(connections) as pool:
        start = time.perf_counter()
        found = list(pool.map(lambda _: get(client), range(count)))
        seconds = time.perf_counter() - start
    latencies = [ms for ms, _ in found]
    return LoadRun(
        requests=count, seconds=seconds, rps=count / seconds,
        p50_ms=statistics.median(latencies), errors=sum(f for _, f in found),
        p99_ms=statistics.quantiles(latencies, n=100, method="inclusive")[98])


def loader(
    wrk: list[str], connections: int, run: int, warmup: int
) -> tuple[Load, dict[str, Any]]:
    """How to load one variant once, or warm it up, and how the JSON says
    it: ``wrk``, its command, pinned or not, ``run`` and ``warmup`` seconds
    a run; [], the httpx2 client, ``run`` and ``warmup`` requests."""

    def load(url: str, warm: bool) -> LoadRun:
        if not wrk:
            return run_client(url, connections, warmup if warm else run)
        seconds = warmup if warm else run
        return parse_wrk(subprocess.check_output(  # noqa: S603
            [*wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
             "--timeout", "5s", url], text=True, timeout=seconds + 30))

    if not wrk:
        return load, {
            "tool": "httpx2 client, a thread a connection",
            "connections": connections, "requests_per_run": run,
            "warmup_requests": warmup}
    return load, {"tool": f"wrk {wrk_version(wrk[-1])}", "threads": 1,
                  "connections": connections, "seconds_per_run": run,
                  "warmup_seconds": warmup}


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
) -> Iterator[tuple[Callable[[], int], str]]:
    """uvicorn serving ``apps.throughput_app`` in a subprocess until the block
    ends: how to wait until it accepts connections (its port), its command."""
    port = pick_port()
    command = [*pin, sys.executable, *(
        f"-m uvicorn scripts.bench.apps:throughput_app --host {HOST} --port "
        f"{port} --lifespan off --log-level warning --no-access-log").split(),
        *(["--http", http] if http else [])]
    server = Subprocess(command, cwd=ROOT,
                        env={**os.environ, "PYTHONPATH": str(ROOT)})

    def ready() -> int:
        try:
            server.wait_ready(lambda: accepting(port), 20.0)
        except StartError as error:
            code = "" if error.code is None else f" (exit code {error.code})"
            raise RuntimeError(
                f"the benchmark's uvicorn did not start{code}") from None
        return port

    try:
        yield ready, shlex.join(command).replace(sys.executable, "python")
    finally:
        server.stop(timeout=5.0)


def measure(
    ports: dict[str, int], load: Load, repeats: int, tool: dict[str, Any]
) -> dict[str, Any]:
    """Measurement 2, on the servers at ``ports`` (by spec): each variant
    warmed up, then each in turn, round after round."""
    urls = {f"{framework}-{spec}": f"http://{HOST}:{port}/stream?{framework}"
            for framework in apps.FRAMEWORKS for spec, port in ports.items()}
    for spec, port in ports.items():
        said = httpx2.get(f"http://{HOST}:{port}/spec", timeout=TIMEOUT,
                          trust_env=False).text
        if said != spec:
            raise RuntimeError(f"the spec {spec} server says spec {said}")
    for name, url in urls.items():
        check = httpx2.get(url, timeout=TIMEOUT, trust_env=False)
        if check.status_code != 200 or check.content != (
                apps.CHUNK * apps.CHUNKS):
            raise RuntimeError(f"{name} does not stream as expected")
        load(url, True)
    variants = list(urls)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for repeat in range(repeats):
        shift = repeat % len(variants)
        for name in variants[shift:] + variants[:shift]:
            runs[name].append(asdict(load(urls[name], False)))
    return {
        "stream": {"chunks": apps.CHUNKS, "chunk_bytes": len(apps.CHUNK)},
        "load": {**tool, "runs_per_variant": repeats,
                 "order": "variants in turn, rotating each round"},
        "results": [{
            "variant": name, "framework": name.rsplit("-", 1)[0],
            "spec_version": name.rsplit("-", 1)[1],
            "requests": sum(run["requests"] for run in runs[name]),
            "errors": sum(run["errors"] for run in runs[name]),
            "runs": runs[name],
        } for name in variants],
    }
