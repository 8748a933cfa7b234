"""Measure what a client disconnection costs: assets/bench_disconnect.json.

The work apps waste after their client left (wasted.py), and what FastAPI gains:
wrk loads apps.FRAMEWORKS on uvicorn (2.3) and on its #3085 prototype (2.5)."""

import argparse
import asyncio
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx2

from scripts.bench import apps
from scripts.bench.wasted import PROTOTYPE, TIMEOUT, summary, wasted_work
from scripts.common import ROOT, command, header, shown, versions
from scripts.figures import FRAMEWORKS, load_of, per_round, ratios, specs
from scripts.matrix.probe import write_together
from scripts.net.ports import HOST, accepting, pick_port
from scripts.net.processes import Server, StartError

OUTPUT = Path("assets/bench_disconnect.json")
VERSIONS = (
    "uvicorn", "starlette", "fastapi", "httptools", "uvloop", "websockets",
    "h11",
)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
# The spec each server says (checked before a run), and its --http: stock
# uvicorn, and the prototype of #3085, which says what #3085 says.
SPECS = {"2.3": None, "2.5": PROTOTYPE}
Document = dict[str, Any]


@dataclass(frozen=True)
class Profile:
    """How much to measure."""

    name: str
    delay: float  # seconds between the patterns' messages
    clients: int  # concurrent clients per pattern and round
    rounds: int  # of the wasted-work measurement
    read: int  # messages a client reads before it leaves
    connections: int  # concurrent connections of the load generator
    duration: int  # seconds per wrk run
    requests: int  # requests per run of the asyncio client
    repeats: int  # runs per variant (rounds, in rotating order)
    warmup: int  # seconds (wrk) or requests (asyncio) per variant first


FULL = Profile("full", 0.02, 20, 5, 3, 16, 3, 0, 20, 2)
SMOKE = Profile("smoke", 0.01, 3, 1, 3, 4, 0, 60, 1, 10)


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
    return {
        "variant": name,
        "framework": framework,
        "spec_version": spec,
        "rps": summary([r.rps for r in found]),
        "p50_ms": summary([r.p50_ms for r in found]),
        "p99_ms": summary([r.p99_ms for r in found]),
        "requests": sum(r.requests for r in found),
        "errors": sum(r.errors for r in found),
        "runs": [asdict(r) for r in found],
    }


def _paired(cost: dict[str, Any], framework: str) -> dict[str, Any]:
    """Each round's prototype run over the same round's stock run, so that what
    else the machine did at the time cancels out (readme.per_round)."""
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


def _load(profile: Profile, wrk: list[str]) -> tuple[Any, dict[str, Any]]:
    """How to load one variant once (or warm it up); how the JSON says it.
    ``wrk``: its command, pinned or not ([]: the asyncio client)."""
    connections, warmup = profile.connections, profile.warmup

    def load(url: str, warm: bool) -> LoadRun:
        if not wrk:
            count = warmup if warm else profile.requests
            return run_asyncio(url, connections, count)
        seconds = warmup if warm else profile.duration
        command = [*wrk, "-t1", f"-c{connections}", f"-d{seconds}s"]
        output = subprocess.check_output(  # noqa: S603
            [*command, "--latency", "--timeout", "5s", url], text=True,
            timeout=seconds + 30,
        )
        return parse_wrk(output)

    return load, {
        "tool": f"wrk {wrk_version(wrk[-1])}", "threads": 1,
        "connections": connections, "seconds_per_run": profile.duration,
        "warmup_seconds": warmup,
    } if wrk else {
        "tool": "asyncio client (scripts/bench/disconnect.py)",
        "connections": connections, "requests_per_run": profile.requests,
        "warmup_requests": warmup,
    }


def bench(profile: Profile, wrk: str | None) -> Document:
    began = time.monotonic()
    work = (profile.delay, profile.clients, profile.rounds, profile.read)
    cores = sorted(getattr(os, "sched_getaffinity", lambda _: [])(0))
    pin, pin_load, pinned = pinning(cores, shutil.which("taskset"), bool(wrk))
    with ExitStack() as stack:  # the servers start during the wasted work
        servers = {spec: stack.enter_context(uvicorn_process(http, pin))
                   for spec, http in SPECS.items()}
        waste = wasted_work(*work)
        for ready, _, _ in servers.values():
            ready()
        load, tool = _load(profile, [*pin_load, wrk] if wrk else [])
        ports = {spec: port for spec, (_, port, _) in servers.items()}
        cost = {"servers": {spec: {"http": http or "auto (httptools)",
                                   "command": servers[spec][2]}
                            for spec, http in SPECS.items()},
                "pinned": pinned, **measure(ports, load, profile.repeats, tool)}
    found = versions(VERSIONS)
    if wrk is not None:
        found["wrk"] = wrk_version(wrk)
    seconds = round(time.monotonic() - began, 1)
    return {**header("scripts/bench/disconnect.py (make bench)", "measured",
                     profile.name, seconds, found),
            "wasted_work": waste, "throughput": cost}


def report(document: Document) -> str:
    """The figures, as the README and the speaker notes quote them."""
    lines = ["Wasted work after the client left (median [min-max]):"]
    for row in document["wasted_work"]["results"]:
        chunks, seconds = row["chunks_after"], row["seconds_after"]
        lines.append(
            f"  {row['server']:<9} {row['transport']:<9} {row['pattern']:<13}"
            f" {chunks['median']:>5.1f} messages [{chunks['min']:.0f}-"
            f"{chunks['max']:.0f}]  {seconds['median'] * 1000:7.1f} ms "
            f"[{seconds['min'] * 1000:.1f}-{seconds['max'] * 1000:.1f}]  "
            f"noticed {row['noticed']}/{row['clients']}  {row['outcomes']}"
        )
    lines.append("Many small streams, no client leaving (median [min-max]):")
    for row in document["throughput"]["results"]:
        shown = load_of(row)
        lines.append(
            f"  {row['variant']:<14} {shown} req/s  p50 {shown.p50} ms  "
            f"p99 {shown.p99} ms  errors {row['errors']}"
        )
    old, new = specs(document["throughput"])
    for framework, ratio in ratios(document["throughput"]).items():
        lines.append(
            f"  {framework}: spec {new} / {old} = x{ratio.rps} req/s "
            f"[{ratio.low}-{ratio.high}], p99 {ratio.p99} "
            "(paired per round, median [min-max])"
        )
    return "\n".join(lines)


def problems(document: Document) -> list[str]:
    """What makes a finished run unfit to write."""
    found = [
        f"wasted work, {row['server']} {row['transport']} {row['pattern']}: "
        f"{row['outcomes'][outcome]} client(s) {outcome}"
        for row in document["wasted_work"]["results"]
        for outcome in ("no stream", "still running")
        if row["outcomes"].get(outcome)
    ]
    return found + [
        f"throughput, {row['variant']}: {row['errors']} failed request(s)"
        for row in document["throughput"]["results"] if row["errors"]
    ]


def parser() -> argparse.ArgumentParser:
    return command(
        "scripts.bench.disconnect", __doc__, "2 bad input, 3 the run failed",
        smoke={"action": "store_true", "help": "a few seconds, asyncio "
               "client, nothing written unless --output"},
        output={"type": Path, "help": f"the JSON to write (default: "
                f"ROOT/{OUTPUT}; none with --smoke)"},
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    profile = SMOKE if args.smoke else FULL
    wrk = None if args.smoke else shutil.which("wrk")
    if wrk is None and not args.smoke:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    output = args.output or (None if args.smoke else ROOT / OUTPUT)
    kept = "nothing written" if output is None else (
        f"{shown(output, ROOT)} and its charts are left as they were"
    )
    try:
        document = bench(profile, wrk)
        if found := problems(document):
            raise RuntimeError("; ".join(found))
    except (RuntimeError, OSError, ValueError,
            subprocess.SubprocessError) as exc:
        what = "load generator" if isinstance(
            exc, subprocess.SubprocessError) else "benchmark"
        print(f"the {what} failed: {exc}; {kept}", file=sys.stderr)
        return 3
    print(report(document))
    if output is None:
        return 0
    if write_together(OUTPUT, document, output, "figures") is None:
        return 2
    print(f"measured in {document['measured']['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
