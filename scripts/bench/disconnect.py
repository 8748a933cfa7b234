"""Measure what a client disconnection costs: assets/bench_disconnect.json
(nothing is written if a measurement fails).

The work apps waste after their client left (wasted.py); what FastAPI gains,
wrk (or an httpx2 client) loading apps.FRAMEWORKS on uvicorn (2.3) and on
its #3085 prototype (2.5), in turn, round after round."""

import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import httpx2

from scripts.bench import apps
from scripts.bench.wasted import AUTO, SERVERS, TIMEOUT, wasted_work
from scripts.common import ROOT, command, header, measured, shown
from scripts.net.ports import HOST, accepting, pick_port
from scripts.net.processes import StartError, Subprocess

OUTPUT = ROOT / "assets/bench_disconnect.json"
VERSIONS = ("uvicorn", "starlette", "fastapi", "httptools", "uvloop",
            "websockets", "h11")
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
Run = dict[str, float]  # requests, seconds, rps, p50_ms, p99_ms, errors
Load = Callable[[str, bool], Run]  # (url, warm-up) -> a run on one variant


class Profile(NamedTuple):
    """How much to measure."""

    name: str
    delay: float  # seconds between the patterns' messages
    clients: int  # concurrent clients per pattern and round
    rounds: int  # of the wasted-work measurement
    connections: int  # concurrent connections of the load generator
    run: int  # a load run's seconds (wrk), or requests (httpx2 client)
    repeats: int  # runs per variant (rounds, in rotating order)
    warmup: int  # seconds or requests per variant first


FULL = Profile("full", 0.02, 20, 5, 16, 3, 20, 2)
SMOKE = Profile("smoke", 0.01, 3, 1, 4, 60, 1, 10)


def parse_wrk(output: str) -> Run:
    """What wrk --latency printed, its times in ms and seconds."""

    def number(pattern: str, what: str) -> float:
        """What ``pattern`` finds; a time (its unit next) in ms."""
        found = re.search(pattern, output, re.M)
        if found is None:
            raise ValueError(f"wrk printed no {what}")
        unit = UNITS[found[2]] if found.lastindex == 2 else 1.0
        return float(found[1]) * unit

    time = r"([\d.]+)(us|ms|s|m)\b"
    errors = re.findall(r"^\s*(?:Non-2xx or 3xx responses|Socket errors):"
                        r"(.*)", output, re.M)
    return {"requests": int(number(r"(\d+) requests in", "request count")),
            "seconds": number(rf"requests in {time}", "duration") / 1000,
            "rps": number(r"Requests/sec:\s+([\d.]+)", "request rate"),
            "p50_ms": number(rf"^\s*50%\s+{time}", "50% latency"),
            "p99_ms": number(rf"^\s*99%\s+{time}", "99% latency"),
            "errors": sum(int(n) for line in errors
                          for n in re.findall(r"\d+", line))}


def wrk_version(wrk: str) -> str:
    said = subprocess.run(  # noqa: S603
        [wrk, "--version"], capture_output=True, text=True, check=False)
    found = re.search(r"wrk \S*?(\d+\.\d+(\.\d+)?)", said.stdout + said.stderr)
    return found[1] if found else "?"


def run_client(url: str, connections: int, count: int) -> Run:
    """``count`` GETs over ``connections`` keep-alive connections, a thread
    each (httpx2): the smoke run's load."""
    limits = httpx2.Limits(max_connections=connections)
    client = httpx2.Client(limits=limits, timeout=TIMEOUT, trust_env=False)
    with client, ThreadPoolExecutor(connections) as pool:
        start = time.perf_counter()
        replies = list(pool.map(lambda _: client.get(url), range(count)))
        seconds = time.perf_counter() - start
    latencies = [reply.elapsed.total_seconds() * 1000 for reply in replies]
    p99 = statistics.quantiles(latencies, n=100, method="inclusive")[98]
    return {"requests": count, "seconds": seconds, "rps": count / seconds,
            "p50_ms": statistics.median(latencies), "p99_ms": p99,
            "errors": sum(reply.status_code != 200 for reply in replies)}


def loader(
    wrk: list[str], version: str, connections: int, run: int, warmup: int
) -> tuple[Load, dict[str, Any]]:
    """How to load a variant once (or warm it up), and how the JSON says it:
    ``wrk`` (its command line; ``version``), for seconds; [] the httpx2
    client, requests."""

    def load(url: str, warm: bool) -> Run:
        count = warmup if warm else run
        if not wrk:
            return run_client(url, connections, count)
        try:
            return parse_wrk(subprocess.check_output(  # noqa: S603
                [*wrk, "-t1", f"-c{connections}", f"-d{count}s", "--latency",
                 "--timeout", "5s", url], text=True, timeout=count + 30))
        except subprocess.SubprocessError as exc:
            raise RuntimeError(f"the load generator failed: {exc}") from None

    if not wrk:
        return load, {"tool": "httpx2 client, a thread a connection",
                      "connections": connections, "requests_per_run": run,
                      "warmup_requests": warmup}
    return load, {"tool": f"wrk {version}", "threads": 1,
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
def uvicorns(
    pin: list[str],
) -> Iterator[tuple[Callable[[], dict[str, int]], dict[str, Any]]]:
    """``apps.throughput_app`` served by SERVERS, in subprocesses, until the
    block ends: how to wait for their ports (by spec), the JSON's servers."""
    ports, started, said = {}, {}, {}
    with ExitStack() as stack:
        for spec, server in SERVERS.values():
            http, ports[spec] = server.options.get("http"), pick_port()
            argv = [*pin, sys.executable, *(
                "-m uvicorn scripts.bench.apps:throughput_app --host "
                f"{HOST} --port {ports[spec]} --lifespan off --log-level "
                "warning --no-access-log").split()]
            argv += ["--http", http] if http else []
            started[spec] = Subprocess(argv, cwd=ROOT)
            stack.callback(started[spec].stop, timeout=5.0)
            line = shlex.join(argv).replace(sys.executable, "python")
            said[spec] = {"http": http or AUTO, "command": line}

        def ready() -> dict[str, int]:
            for spec, port in ports.items():
                try:
                    started[spec].wait_ready(partial(accepting, port), 20.0)
                except StartError as error:
                    raise RuntimeError(f"the benchmark's spec {spec} uvicorn "
                                       f"did not start: {error}") from None
            return ports

        yield ready, said


def measure(
    ports: dict[str, int], load: Load, repeats: int, tool: dict[str, Any]
) -> dict[str, Any]:
    """Measurement 2 on the servers at ``ports`` (by spec), each asked its
    spec first: every variant warmed up, then each in turn, round by round."""
    urls = {f"{framework}-{spec}": f"http://{HOST}:{port}/stream?{framework}"
            for framework in apps.FRAMEWORKS for spec, port in ports.items()}
    with httpx2.Client(timeout=TIMEOUT, trust_env=False) as client:
        for spec, port in ports.items():
            if (said := client.get(f"http://{HOST}:{port}/spec").text) != spec:
                raise RuntimeError(f"the spec {spec} server says spec {said}")
    for url in urls.values():
        load(url, True)
    variants = list(urls)
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for repeat in range(repeats):
        shift = repeat % len(variants)
        for name in variants[shift:] + variants[:shift]:
            runs[name].append(run := load(urls[name], False))
            if run["errors"]:
                raise RuntimeError(f"throughput, {name}: {run['errors']} "
                                   "failed request(s)")
    return {
        "stream": {"chunks": apps.CHUNKS, "chunk_bytes": len(apps.CHUNK)},
        "load": {**tool, "runs_per_variant": repeats,
                 "order": "variants in turn, rotating each round"},
        "results": [{
            "variant": name, "framework": name.rsplit("-", 1)[0],
            "spec_version": name.rsplit("-", 1)[1],
            **{key: sum(run[key] for run in runs[name])
               for key in ("requests", "errors")},
            "runs": runs[name],
        } for name in variants],
    }


def bench(profile: Profile, wrk: str | None) -> dict[str, Any]:
    """Both measurements (the throughput's servers start meanwhile); a run
    unfit to write (stalled clients, failed requests) raises."""
    began = time.monotonic()
    cores = sorted(getattr(os, "sched_getaffinity", lambda _: [])(0))
    pin, pin_load, pinned = pinning(cores, shutil.which("taskset"), bool(wrk))
    version = wrk_version(wrk) if wrk else ""  # asked once
    with uvicorns(pin) as (ready, servers):
        waste = wasted_work(profile.delay, profile.clients, profile.rounds)
        load, tool = loader([*pin_load, wrk] if wrk else [], version,
                            profile.connections, profile.run, profile.warmup)
        cost = measure(ready(), load, profile.repeats, tool)
    return {**header("scripts/bench/disconnect.py (make bench)", "measured",
                     profile.name, round(time.monotonic() - began, 1),
                     VERSIONS, **({"wrk": version} if wrk else {})),
            "wasted_work": waste,
            "throughput": {"servers": servers, "pinned": pinned, **cost}}


def main(argv: Sequence[str] | None = None) -> int:
    args = command(
        "scripts.bench.disconnect", __doc__, "2 bad input, 3 the run failed",
        smoke={"action": "store_true", "help": "a few seconds, no wrk, "
               "nothing written unless --output"},
        output={"type": Path, "help": "the JSON to write (default: "
                f"{shown(OUTPUT, ROOT)}; none with --smoke)"},
    ).parse_args(argv)
    wrk = None if args.smoke else shutil.which("wrk")
    if wrk is None and not args.smoke:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    return measured(
        args.output or (None if args.smoke else OUTPUT),
        partial(bench, SMOKE if args.smoke else FULL, wrk), "measured",
        (RuntimeError, OSError, ValueError, subprocess.SubprocessError),
        "the benchmark failed: ")


if __name__ == "__main__":
    sys.exit(main())
