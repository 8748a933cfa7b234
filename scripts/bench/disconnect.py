"""Measure what a client disconnection costs: assets/bench_disconnect.json.

Two measurements, on 127.0.0.1 only, with bounded request counts and time:
the work apps waste after their client left (scripts/bench/wasted.py), and
the cost FastAPI pays today, in requests/s and latency p50/p99, median and
spread (scripts/bench/throughput.py).

``--smoke`` is the tests' few-second version (an asyncio client stands in
for wrk). ``make bench`` runs the full one. The JSON and the two charts
drawn from it (assets/bench_wasted.svg, assets/bench_fastapi.svg) are
drawn and checked in memory, then replaced together; a run that fails
halfway writes nothing.

Exit codes: 0 done, 2 bad input, 3 the run failed (nothing written).
"""

import argparse
import datetime
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
from scripts.matrix.probe import machine, versions, write_together

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path("assets/bench_disconnect.json")
SCHEMA = 1
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
    """How to load one variant once, and how the JSON describes it."""
    if wrk is not None:

        def by_wrk(url: str, warm: bool) -> LoadRun:
            seconds = profile.warmup if warm else profile.duration
            return throughput.run_wrk(wrk, url, profile.connections, seconds)

        return by_wrk, {
            "tool": f"wrk {wrk_version(wrk)}", "threads": 1,
            "connections": profile.connections,
            "seconds_per_run": profile.duration,
            "warmup_seconds": profile.warmup,
        }

    def by_asyncio(url: str, warm: bool) -> LoadRun:
        count = profile.warmup if warm else profile.requests
        return throughput.run_asyncio(url, profile.connections, count)

    return by_asyncio, {
        "tool": "asyncio client (scripts/bench/disconnect.py)",
        "connections": profile.connections,
        "requests_per_run": profile.requests,
        "warmup_requests": profile.warmup,
    }


def bench(profile: Profile, wrk: str | None) -> Document:
    began = time.monotonic()
    work = (profile.delay, profile.clients, profile.rounds, profile.read)
    with throughput.uvicorn_process() as (server, port):
        if profile.overlap:  # the server starts while work is measured
            waste = wasted_work(*work)
            throughput.ready(server, port)
        else:  # nothing else runs during a measurement
            throughput.ready(server, port)
            waste = wasted_work(*work)
        load, tool = _load(profile, wrk)
        cost = throughput.measure(port, load, profile.repeats, tool)
    found = versions(VERSIONS)
    if wrk is not None:
        found["wrk"] = wrk_version(wrk)
    return {
        "schema": SCHEMA,
        "generated_by": "scripts/bench/disconnect.py (make bench)",
        "measured": {
            "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
            "profile": profile.name,
            "seconds": round(time.monotonic() - began, 1),
            "machine": machine(),
        },
        "versions": found,
        "wasted_work": waste,
        "throughput": cost,
    }


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
    result = argparse.ArgumentParser(
        prog="python -m scripts.bench.disconnect",
        description=__doc__.split("\n\n")[0],
    )
    add = result.add_argument
    add("--smoke", action="store_true",
        help="a few seconds, asyncio client, nothing written unless --output")
    add("--output", type=Path,
        help=f"the JSON to write (default: ROOT/{OUTPUT}; none with --smoke)")
    add("--client", choices=("wrk", "asyncio"),
        help="the load generator (default: wrk if installed, for the full "
        "run; asyncio with --smoke)")
    return result


def _measure(profile: Profile, wrk: str | None, kept: str) -> Document | None:
    """The run's document, or None once the failure is printed."""
    try:
        document = bench(profile, wrk)
        if found := problems(document):
            raise RuntimeError("; ".join(found))
    except (RuntimeError, OSError, ValueError) as exc:
        print(f"the benchmark failed: {exc}; {kept}", file=sys.stderr)
        return None
    except subprocess.SubprocessError as exc:
        print(f"the load generator failed: {exc}; {kept}", file=sys.stderr)
        return None
    return document


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
    document = _measure(profile, wrk, kept)
    if document is None:
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
