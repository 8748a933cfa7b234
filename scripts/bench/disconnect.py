"""Measure what a client disconnection costs: assets/bench_disconnect.json.

The work apps waste after their client left (wasted.py) and what FastAPI
pays today (throughput.py), on 127.0.0.1; the JSON and its two charts are
replaced together (``make bench``), or nothing is written.
"""

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from scripts.bench import throughput
from scripts.bench.throughput import LoadRun, wrk_version
from scripts.bench.wasted import wasted_work
from scripts.files import shown
from scripts.matrix.probe import command, header, versions, write_together

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path("assets/bench_disconnect.json")
VERSIONS = (
    "uvicorn", "starlette", "fastapi", "httptools", "uvloop", "websockets",
    "h11",
)
Document = dict[str, Any]


@dataclass(frozen=True)
class Profile:
    """How much to measure."""

    name: str
    delay: float  # seconds between the patterns' messages
    clients: int  # concurrent clients per pattern and round
    rounds: int  # of the wasted-work measurement
    read: int  # messages a client reads before it leaves
    load: str  # "wrk" or "asyncio"
    connections: int  # concurrent connections of the load generator
    duration: int  # seconds per wrk run
    requests: int  # requests per run of the asyncio client
    repeats: int  # runs per variant (rounds, in rotating order)
    warmup: int  # seconds (wrk) or requests (asyncio) per variant first
    overlap: bool  # start the throughput server during the wasted work


FULL = Profile("full", 0.02, 20, 5, 3, "wrk", 16, 3, 0, 10, 2, False)
SMOKE = Profile("smoke", 0.01, 3, 1, 3, "asyncio", 4, 0, 60, 1, 10, True)


def _load(profile: Profile, wrk: str | None) -> tuple[Any, dict[str, Any]]:
    """How to load one variant once (or ``warm`` it up), and how the JSON
    describes it."""
    connections, warmup = profile.connections, profile.warmup

    def load(url: str, warm: bool) -> LoadRun:
        if wrk is None:
            count = warmup if warm else profile.requests
            return throughput.run_asyncio(url, connections, count)
        seconds = warmup if warm else profile.duration
        return throughput.run_wrk(wrk, url, connections, seconds)

    return load, {
        "tool": f"wrk {wrk_version(wrk)}", "threads": 1,
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
    with throughput.uvicorn_process() as (server, port):
        if not profile.overlap:  # nothing else runs during a measurement
            throughput.ready(server, port)
        waste = wasted_work(*work)
        throughput.ready(server, port)  # at once if it was already
        load, tool = _load(profile, wrk)
        cost = throughput.measure(port, load, profile.repeats, tool)
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
            f"  {row['transport']:<9} {row['pattern']:<13} "
            f"{chunks['median']:>5.1f} messages [{chunks['min']:.0f}-"
            f"{chunks['max']:.0f}]  {seconds['median'] * 1000:7.1f} ms "
            f"[{seconds['min'] * 1000:.1f}-{seconds['max'] * 1000:.1f}]  "
            f"noticed {row['noticed']}/{row['clients']}  {row['outcomes']}"
        )
    lines.append("Many small streams (median [min-max]):")
    for row in document["throughput"]["results"]:
        rps, p50, p99 = row["rps"], row["p50_ms"], row["p99_ms"]
        lines.append(
            f"  {row['variant']:<14} {rps['median']:8.0f} req/s "
            f"[{rps['min']:.0f}-{rps['max']:.0f}]  p50 {p50['median']:.2f} ms"
            f"  p99 {p99['median']:.2f} ms  errors {row['errors']}"
        )
    ratios = document["throughput"]["ratios_2_4_over_2_3"]
    for framework, ratio in ratios.items():
        spread = ratio["paired"]["rps"]
        lines.append(
            f"  {framework}: spec 2.4 / 2.3 = {ratio['rps']:.2f}x req/s "
            f"[{spread['min']:.2f}-{spread['max']:.2f}], "
            f"p50 x{ratio['p50']:.2f}, p99 x{ratio['p99']:.2f} "
            "(paired per round, median [min-max])"
        )
    return "\n".join(lines)


def problems(document: Document) -> list[str]:
    """What makes a finished run unfit to write: a client that got no
    stream, an app that never ended, a request that failed."""
    found = [
        f"wasted work, {row['transport']} {row['pattern']}: "
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
        client={"choices": ("wrk", "asyncio"), "help": "the load generator "
                "(default: wrk if installed, for the full run; asyncio with "
                "--smoke)"},
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    profile = SMOKE if args.smoke else FULL
    client = args.client or profile.load
    wrk = shutil.which("wrk") if client == "wrk" else None
    if client == "wrk" and wrk is None:
        print("wrk is not installed (apt-get install wrk), or pass "
              "--client asyncio", file=sys.stderr)
        return 2
    if wrk is None and profile.requests == 0:
        profile = replace(profile, load="asyncio", requests=2000, warmup=200)
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
