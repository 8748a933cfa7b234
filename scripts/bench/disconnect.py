"""Measure what a client disconnection costs: assets/bench_disconnect.json
(nothing is written if a measurement fails).

The work apps waste after their client left (wasted.py), and what FastAPI gains:
wrk loads apps.FRAMEWORKS on uvicorn (2.3) and on its #3085 prototype (2.5)
(throughput.py)."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.bench.throughput import (
    SPECS,
    LoadRun,
    measure,
    parse_wrk,
    pinning,
    run_asyncio,
    uvicorn_process,
    wrk_version,
)
from scripts.bench.wasted import wasted_work
from scripts.common import (
    ROOT,
    command,
    header,
    shown,
    versions,
    write_atomic,
)

OUTPUT = ROOT / "assets/bench_disconnect.json"
VERSIONS = ("uvicorn", "starlette", "fastapi", "httptools", "uvloop",
            "websockets", "h11")
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


def loader(
    profile: Profile, wrk: list[str]
) -> tuple[Callable[[str, bool], LoadRun], dict[str, Any]]:
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
        "tool": "asyncio client (scripts/bench/throughput.py)",
        "connections": connections, "requests_per_run": profile.requests,
        "warmup_requests": warmup,
    }


def bench(profile: Profile, wrk: str | None) -> Document:
    """Both measurements: the throughput's servers start meanwhile."""
    began = time.monotonic()
    work = (profile.delay, profile.clients, profile.rounds, profile.read)
    cores = sorted(getattr(os, "sched_getaffinity", lambda _: [])(0))
    pin, pin_load, pinned = pinning(cores, shutil.which("taskset"), bool(wrk))
    with ExitStack() as stack:
        servers = {spec: stack.enter_context(uvicorn_process(http, pin))
                   for spec, http in SPECS.items()}
        waste = wasted_work(*work)
        for ready, _, _ in servers.values():
            ready()
        load, tool = loader(profile, [*pin_load, wrk] if wrk else [])
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
        output={"type": Path, "help": "the JSON to write (default: "
                f"{shown(OUTPUT, ROOT)}; none with --smoke)"},
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    profile = SMOKE if args.smoke else FULL
    wrk = None if args.smoke else shutil.which("wrk")
    if wrk is None and not args.smoke:
        print("wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    output = args.output or (None if args.smoke else OUTPUT)
    if output is not None and not output.parent.is_dir():
        print(f"{shown(output.parent, ROOT)}: no such folder", file=sys.stderr)
        return 2
    kept = "nothing written" if output is None else (
        f"{shown(output, ROOT)} is left as it was")
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
    said = f"measured in {document['measured']['seconds']:.0f} s"
    if output is None:
        print(f"{said}; nothing written")
        return 0
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        write_atomic(output, text.encode())
    except OSError as error:
        print(f"{shown(output, ROOT)}: {error.strerror}", file=sys.stderr)
        return 2
    print(f"{shown(output, ROOT)}: {said}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
