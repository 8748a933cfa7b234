"""Measure what a client disconnection costs: assets/bench_disconnect.json
(nothing is written if a measurement fails).

The work apps waste after their client left (wasted.py), and what FastAPI gains:
wrk loads apps.FRAMEWORKS on uvicorn (2.3) and on its #3085 prototype (2.5)
(throughput.py)."""

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, NamedTuple

from scripts.bench import throughput
from scripts.bench.wasted import SERVERS, wasted_work
from scripts.common import ROOT, command, header, shown, versions, write_json

OUTPUT = ROOT / "assets/bench_disconnect.json"
VERSIONS = ("uvicorn", "starlette", "fastapi", "httptools", "uvloop",
            "websockets", "h11")


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


def problems(waste: dict[str, Any], cost: dict[str, Any]) -> list[str]:
    """What makes a finished run unfit to write."""
    return [
        f"wasted work, {row['server']} {row['transport']} {row['pattern']}: "
        f"{row['outcomes'][outcome]} client(s) {outcome}"
        for row in waste["results"]
        for outcome in ("no stream", "still running")
        if row["outcomes"].get(outcome)
    ] + [f"throughput, {row['variant']}: {row['errors']} failed request(s)"
         for row in cost["results"] if row["errors"]]


def bench(profile: Profile, wrk: str | None) -> dict[str, Any]:
    """Both measurements (the throughput's servers start meanwhile); a run
    unfit to write (stalled clients, failed requests) raises."""
    began = time.monotonic()
    cores = sorted(getattr(os, "sched_getaffinity", lambda _: [])(0))
    pin, pin_load, pinned = throughput.pinning(cores, shutil.which("taskset"),
                                               bool(wrk))
    with ExitStack() as stack:
        servers = {version: (http, *stack.enter_context(
            throughput.uvicorn_process(http, pin)))
            for version, spec in SERVERS.values()
            for http in [spec.options.get("http")]}
        waste = wasted_work(profile.delay, profile.clients, profile.rounds)
        ports = {spec: ready() for spec, (_, ready, _) in servers.items()}
        load, tool = throughput.loader([*pin_load, wrk] if wrk else [],
                                       profile.connections, profile.run,
                                       profile.warmup)
        cost = throughput.measure(ports, load, profile.repeats, tool)
    if unfit := problems(waste, cost):
        raise RuntimeError("; ".join(unfit))
    found = versions(VERSIONS) | ({"wrk": throughput.wrk_version(wrk)}
                                  if wrk else {})
    return {**header("scripts/bench/disconnect.py (make bench)", "measured",
                     profile.name, round(time.monotonic() - began, 1), found),
            "wasted_work": waste, "throughput": {
                "servers": {spec: {"http": http or "auto (httptools)",
                                   "command": said}
                            for spec, (http, _, said) in servers.items()},
                "pinned": pinned, **cost}}


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
    output = args.output or (None if args.smoke else OUTPUT)
    if output is not None and not output.parent.is_dir():
        print(f"{shown(output.parent, ROOT)}: no such folder", file=sys.stderr)
        return 2
    try:
        document = bench(SMOKE if args.smoke else FULL, wrk)
    except (RuntimeError, OSError, ValueError,
            subprocess.SubprocessError) as exc:
        what = "load generator" if isinstance(
            exc, subprocess.SubprocessError) else "benchmark"
        kept = "nothing written" if output is None else (
            f"{shown(output, ROOT)} is left as it was")
        print(f"the {what} failed: {exc}; {kept}", file=sys.stderr)
        return 3
    said = f"measured in {document['measured']['seconds']:.0f} s"
    if output is not None and (error := write_json(output, document)):
        print(error, file=sys.stderr)
        return 2
    print(f"{shown(output, ROOT)}: {said}" if output else f"{said}; nothing "
          "written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
