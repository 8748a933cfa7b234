"""Measure what a client disconnection costs: assets/bench_disconnect.json.

Two measurements, on 127.0.0.1 only, with bounded request counts and time:

1. Wasted work. uvicorn (in this process, on its own thread and loop)
   serves the three patterns of the slides side by side: send only
   (demos/streaming_response.py), listen for ``http.disconnect``
   (demos/disconnect_receive.py), catch OSError (demos/raise_oserror.py),
   and their WebSocket equivalents (scripts/bench/apps.py). Each client
   reads 3 messages and leaves; the benchmark counts the messages the app
   still produces, and the seconds it still runs, after that. The demos'
   DELAY is shortened through the module constant.
2. The cost FastAPI pays today. A uvicorn subprocess serves many small
   streams, from a Starlette StreamingResponse and a FastAPI endpoint, as
   uvicorn reports them (spec 2.3: Starlette runs a task listening for
   ``http.disconnect``) and forced to spec 2.4 by a scope-rewriting
   wrapper (Starlette relies on OSError instead). ``wrk`` loads each
   variant in turn, round after round; requests/s and latency p50/p99 are
   reported as median and spread, and the ratio 2.4 over 2.3 is the benefit
   of spec 2.4 once servers deliver it on HTTP.

``--smoke`` is the tests' few-second version (an asyncio client stands in
for wrk). ``make bench`` runs the full one. The JSON and the two charts
drawn from it (assets/bench_wasted.svg, assets/bench_fastapi.svg) are
drawn and checked in memory, then replaced together; a run that fails
halfway writes nothing.

Exit codes: 0 done, 2 bad input, 3 the run failed (nothing written).
"""

import argparse
import asyncio
import contextlib
import contextvars
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send
from websockets.asyncio.client import connect as ws_connect

from demos import disconnect_receive, raise_oserror, streaming_response
from scripts.assets import charts as measured_pictures
from scripts.assets.code_images import CACHE
from scripts.bench import apps as bench_apps
from scripts.exceptions import InputError
from scripts.files import shown
from scripts.matrix.probe import group_members, machine
from scripts.net import wire as probe_wire
from scripts.net.ports import pick_port

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path("assets/bench_disconnect.json")
SCHEMA = 1
HOST = "127.0.0.1"
TIMEOUT = 5.0
VERSIONS = (
    "uvicorn",
    "starlette",
    "fastapi",
    "httptools",
    "uvloop",
    "websockets",
    "h11",
)


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


def summary(values: Sequence[float], digits: int = 4) -> dict[str, float]:
    """Median and spread: min, quartiles, max."""
    ordered = sorted(values)
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {
        "median": round(statistics.median(ordered), digits),
        "min": round(ordered[0], digits),
        "p25": round(q1, digits),
        "p75": round(q3, digits),
        "max": round(ordered[-1], digits),
        "n": len(ordered),
    }


# -- 1. Wasted work after disconnect ----------------------------------------

PATTERNS: dict[str, dict[str, ASGIApp]] = {
    "http": {
        "send_only": streaming_response.app,
        "listen": disconnect_receive.app,
        "catch_oserror": raise_oserror.app,
    },
    "websocket": {
        "send_only": bench_apps.ws_send_only,
        "listen": bench_apps.ws_listen,
        "catch_oserror": bench_apps.ws_raise_oserror,
    },
}
SOURCES = {
    ("http", "send_only"): "demos/streaming_response.py",
    ("http", "listen"): "demos/disconnect_receive.py",
    ("http", "catch_oserror"): "demos/raise_oserror.py",
    ("websocket", "send_only"): "scripts/bench/apps.py:ws_send_only",
    ("websocket", "listen"): "scripts/bench/apps.py:ws_listen",
    ("websocket", "catch_oserror"): "scripts/bench/apps.py:ws_raise_oserror",
}
PRINTING: tuple[ModuleType, ...] = (
    streaming_response,
    disconnect_receive,
    raise_oserror,
    bench_apps,
)
DELAYED: tuple[ModuleType, ...] = (
    streaming_response,
    raise_oserror,
    bench_apps,
)
CLIENT: contextvars.ContextVar[str] = contextvars.ContextVar("client")


class Recorder:
    """What the apps printed, and when each request's app ended."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.prints: list[tuple[str, float, str]] = []
        self.ends: dict[str, tuple[float, str]] = {}

    def print(self, *args: Any, **kwargs: Any) -> None:
        text = " ".join(str(arg) for arg in args)
        with self.lock:
            self.prints.append((CLIENT.get(""), time.monotonic(), text))

    def end(self, client: str, outcome: str) -> None:
        with self.lock:
            self.ends[client] = (time.monotonic(), outcome)

    def after(self, client: str, moment: float, prefix: str) -> int:
        with self.lock:
            return sum(
                1
                for who, at, text in self.prints
                if who == client and at > moment and text.startswith(prefix)
            )


def router(recorder: Recorder) -> ASGIApp:
    """``/{transport}/{pattern}/{client}``: run a pattern, time its end."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in PATTERNS:
            return
        _, _, pattern, client = scope["path"].split("/")
        CLIENT.set(client)
        outcome = "returned"
        try:
            await PATTERNS[scope["type"]][pattern](scope, receive, send)
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except Exception as exc:  # an app that does not catch it
            outcome = f"raised {type(exc).__name__}"
        finally:
            recorder.end(client, outcome)

    return app


@contextlib.contextmanager
def patched(profile: Profile, recorder: Recorder) -> Iterator[None]:
    """Shorten the apps' DELAY and record their prints; undo it after."""
    saved = {module: getattr(module, "DELAY") for module in DELAYED}  # noqa: B009
    try:
        for module in DELAYED:
            setattr(module, "DELAY", profile.delay)  # noqa: B010
        for module in PRINTING:
            setattr(module, "print", recorder.print)  # noqa: B010
        yield
    finally:
        for module, delay in saved.items():
            setattr(module, "DELAY", delay)  # noqa: B010
        for module in PRINTING:
            with contextlib.suppress(AttributeError):
                delattr(module, "print")


@contextlib.contextmanager
def uvicorn_thread(app: ASGIApp) -> Iterator[int]:
    """uvicorn with its defaults (httptools, websockets-sansio), serving
    on 127.0.0.1 from a thread of this process; yields the port."""
    import socket

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    sock.listen(256)
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        log_level="warning",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=lambda: asyncio.run(server.serve(sockets=[sock])),
        name="bench-uvicorn",
        daemon=True,
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.005)
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


async def http_visit(port: int, path: str, read: int) -> float | None:
    """GET ``path``, read ``read`` body bytes (one per chunk), leave."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(HOST, port), TIMEOUT
    )
    conn = h11.Connection(h11.CLIENT)
    request = h11.Request(method="GET", target=path, headers=[("host", HOST)])
    writer.write(conn.send(request) + conn.send(h11.EndOfMessage()))
    got = 0
    try:
        while got < read:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await asyncio.wait_for(reader.read(65536), TIMEOUT)
                conn.receive_data(data)
            elif isinstance(event, h11.Data):
                got += len(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                return None
        return time.monotonic()
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


async def ws_visit(port: int, path: str, read: int) -> float | None:
    """Open a WebSocket, read ``read`` messages, close (1000) and leave."""
    async with ws_connect(
        f"ws://{HOST}:{port}{path}",
        open_timeout=TIMEOUT,
        close_timeout=1,
        compression=None,
        proxy=None,
    ) as websocket:
        for _ in range(read):
            await asyncio.wait_for(websocket.recv(), TIMEOUT)
        return time.monotonic()


async def visit_all(
    port: int, transport: str, pattern: str, names: list[str], read: int
) -> list[float | None]:
    visit = http_visit if transport == "http" else ws_visit
    return await asyncio.gather(
        *(visit(port, f"/{transport}/{pattern}/{name}", read) for name in names)
    )


def wasted_work(profile: Profile) -> dict[str, Any]:
    """Measurement 1: every pattern, round after round, on one server."""
    recorder = Recorder()
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {
        key: [] for key in SOURCES
    }
    stream = len(bench_apps.TEXT)
    keys = list(SOURCES)
    with patched(profile, recorder), uvicorn_thread(router(recorder)) as port:
        for round_ in range(profile.rounds):
            shift = round_ % len(keys)
            for transport, pattern in keys[shift:] + keys[:shift]:
                names = [
                    f"{transport}-{pattern}-{round_}-{n}"
                    for n in range(profile.clients)
                ]
                left = asyncio.run(
                    visit_all(port, transport, pattern, names, profile.read)
                )
                deadline = time.monotonic() + stream * profile.delay + 3
                while not all(n in recorder.ends for n in names):
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.005)
                for name, moment in zip(names, left, strict=True):
                    samples[transport, pattern].append(
                        _sample(recorder, name, moment)
                    )
    results = []
    for (transport, pattern), found in samples.items():
        measured = [s for s in found if s["left"]]
        outcomes: dict[str, int] = {}
        for sample in found:
            outcomes[sample["outcome"]] = outcomes.get(sample["outcome"], 0) + 1
        results.append(
            {
                "transport": transport,
                "pattern": pattern,
                "app": SOURCES[transport, pattern],
                "clients": len(found),
                "chunks_after": summary(
                    [s["chunks_after"] for s in measured], 1
                ),
                "chunks_total": summary(
                    [s["chunks_total"] for s in measured], 1
                ),
                "seconds_after": summary(
                    [s["seconds_after"] for s in measured]
                ),
                "noticed": sum(1 for s in measured if s["noticed"]),
                "outcomes": outcomes,
            }
        )
    return {
        "server": f"uvicorn {metadata.version('uvicorn')}, in-process, "
        "defaults: --http auto (httptools), --ws auto (websockets-sansio)",
        "delay": profile.delay,
        "stream_messages": stream,
        "read_before_leaving": profile.read,
        "clients_per_round": profile.clients,
        "rounds": profile.rounds,
        "results": results,
    }


def _sample(
    recorder: Recorder, name: str, left: float | None
) -> dict[str, Any]:
    end = recorder.ends.get(name)
    if left is None:
        return {"left": False, "outcome": "no stream"}
    counts = {
        "chunks_after": recorder.after(name, left, "Sending"),
        "chunks_total": recorder.after(name, 0, "Sending"),
    }
    if end is None:
        return {
            "left": True,
            "outcome": "still running",
            "noticed": False,
            "seconds_after": time.monotonic() - left,
            **counts,
        }
    return {
        "left": True,
        "outcome": end[1],
        "noticed": recorder.after(name, 0, "Client disconnected") > 0,
        "seconds_after": max(0.0, end[0] - left),
        **counts,
    }


# -- 2. The cost FastAPI pays today -----------------------------------------


@dataclass(frozen=True)
class LoadRun:
    """One run of the load generator on one variant."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> LoadRun:
    """Requests, duration, requests/s, p50, p99 and errors from wrk's
    output (with --latency)."""

    def latency(percent: str) -> float:
        found = re.search(
            rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M
        )
        if found is None:
            raise ValueError(f"wrk printed no {percent}% latency")
        return float(found.group(1)) * UNITS[found.group(2)]

    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if total is None or rate is None:
        raise ValueError("wrk printed no request count")
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), "
        r"timeout (\d+)",
        output,
    ):
        errors += sum(int(n) for n in found.groups())
    return LoadRun(
        requests=int(total.group(1)),
        seconds=float(total.group(2)) * UNITS[total.group(3)] / 1000,
        rps=float(rate.group(1)),
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        errors=errors,
    )


def run_wrk(wrk: str, url: str, connections: int, seconds: int) -> LoadRun:
    result = subprocess.run(  # noqa: S603
        [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "--timeout",
            "5s",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 30,
        check=True,
    )
    return parse_wrk(result.stdout)


async def _requests(
    port: int, target: str, count: int, connections: int
) -> tuple[list[float], int]:
    """``count`` GETs over ``connections`` keep-alive connections."""
    latencies: list[float] = []
    errors = 0
    remaining = count

    async def worker() -> None:
        nonlocal remaining, errors
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(HOST, port), TIMEOUT
        )
        conn = h11.Connection(h11.CLIENT)
        try:
            while remaining > 0:
                remaining -= 1
                start = time.perf_counter()
                request = h11.Request(
                    method="GET", target=target, headers=[("host", HOST)]
                )
                writer.write(conn.send(request) + conn.send(h11.EndOfMessage()))
                status = 0
                while True:
                    event = conn.next_event()
                    if event is h11.NEED_DATA:
                        data = await asyncio.wait_for(
                            reader.read(65536), TIMEOUT
                        )
                        conn.receive_data(data)
                    elif isinstance(event, h11.Response):
                        status = event.status_code
                    elif isinstance(event, h11.EndOfMessage):
                        break
                    elif isinstance(event, h11.ConnectionClosed):
                        raise ConnectionError("closed mid-response")
                latencies.append((time.perf_counter() - start) * 1000)
                errors += status != 200
                conn.start_next_cycle()
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return latencies, errors


def run_asyncio(
    port: int, target: str, connections: int, count: int
) -> LoadRun:
    start = time.perf_counter()
    latencies, errors = asyncio.run(_requests(port, target, count, connections))
    seconds = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100, method="inclusive")
    return LoadRun(
        requests=len(latencies),
        seconds=seconds,
        rps=len(latencies) / seconds,
        p50_ms=statistics.median(latencies),
        p99_ms=cuts[98],
        errors=errors,
    )


@dataclass
class ServerProcess:
    """uvicorn serving the throughput apps in a subprocess."""

    popen: subprocess.Popen[bytes]
    port: int

    def ready(self) -> int:
        """Wait until it accepts connections; its port."""
        deadline = time.monotonic() + 20
        while not probe_wire.reached(self.port, 0.2):
            if self.popen.poll() is not None or time.monotonic() > deadline:
                code = self.popen.poll()
                raise RuntimeError(
                    "the benchmark's uvicorn did not start"
                    + ("" if code is None else f" (exit code {code})")
                )
            time.sleep(0.02)
        return self.port


@contextlib.contextmanager
def uvicorn_process() -> Iterator[ServerProcess]:
    """Start uvicorn in a subprocess (``ready()`` waits for it); at the
    end, its process group is killed for sure."""
    port = pick_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "scripts.bench.apps:throughput_app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--lifespan",
        "off",
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    popen = subprocess.Popen(  # noqa: S603
        command,
        cwd=ROOT,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
    )
    try:
        yield ServerProcess(popen, port)
    finally:
        with contextlib.suppress(OSError):
            os.killpg(popen.pid, signal.SIGTERM)
        try:
            popen.wait(5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(OSError):
                os.killpg(popen.pid, signal.SIGKILL)
            popen.wait(5)
        deadline = time.monotonic() + 5
        while group_members(popen.pid) and time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                os.killpg(popen.pid, signal.SIGKILL)
            time.sleep(0.02)


def wrk_version(wrk: str) -> str:
    result = subprocess.run(  # noqa: S603
        [wrk, "--version"], capture_output=True, text=True, check=False
    )
    found = re.search(
        r"wrk \S*?(\d+\.\d+(\.\d+)?)", result.stdout + result.stderr
    )
    return found.group(1) if found else "?"


def throughput(profile: Profile, wrk: str | None, port: int) -> dict[str, Any]:
    """Measurement 2, on the server at ``port``: each variant in turn,
    round after round."""
    variants = list(bench_apps.VARIANTS)
    runs: dict[str, list[LoadRun]] = {name: [] for name in variants}
    base = f"http://{HOST}:{port}/stream?variant="
    for name in variants:
        check = probe_wire.http1(
            port, f"/stream?variant={name}", timeout=TIMEOUT
        )
        expected = bench_apps.CHUNK * bench_apps.CHUNKS
        if check.status != 200 or check.body != expected:
            raise RuntimeError(f"{name} does not stream as expected")

    def load(name: str, warm: bool) -> LoadRun:
        if wrk is not None:
            seconds = profile.warmup if warm else profile.duration
            return run_wrk(wrk, base + name, profile.connections, seconds)
        count = profile.warmup if warm else profile.requests
        return run_asyncio(
            port, f"/stream?variant={name}", profile.connections, count
        )

    for name in variants:
        load(name, warm=True)
    for repeat in range(profile.repeats):
        shift = repeat % len(variants)
        for name in variants[shift:] + variants[:shift]:
            runs[name].append(load(name, warm=False))
    results: list[dict[str, Any]] = []
    for name in variants:
        framework, spec = name.rsplit("-", 1)
        found = runs[name]
        results.append(
            {
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
        )
    ratios = {}
    for framework in ("starlette", "fastapi"):
        # Paired: each round's 2.4 run over the same round's 2.3 run, so
        # that what else the machine did at the time cancels out.
        pairs = list(
            zip(runs[f"{framework}-2.3"], runs[f"{framework}-2.4"], strict=True)
        )
        paired = {
            "rps": summary([new.rps / old.rps for old, new in pairs], 3),
            "p50": summary([new.p50_ms / old.p50_ms for old, new in pairs], 3),
            "p99": summary([new.p99_ms / old.p99_ms for old, new in pairs], 3),
        }
        ratios[framework] = {
            **{key: value["median"] for key, value in paired.items()},
            "paired": paired,
        }
    if wrk is not None:
        tool = {
            "tool": f"wrk {wrk_version(wrk)}",
            "threads": 1,
            "connections": profile.connections,
            "seconds_per_run": profile.duration,
            "warmup_seconds": profile.warmup,
        }
    else:
        tool = {
            "tool": "asyncio client (scripts/bench/disconnect.py)",
            "connections": profile.connections,
            "requests_per_run": profile.requests,
            "warmup_requests": profile.warmup,
        }
    return {
        "server": f"uvicorn {metadata.version('uvicorn')}, subprocess, "
        "defaults: --http auto (httptools), --loop auto (uvloop)",
        "stream": {
            "chunks": bench_apps.CHUNKS,
            "chunk_bytes": len(bench_apps.CHUNK),
        },
        "load": {
            **tool,
            "runs_per_variant": profile.repeats,
            "order": "variants in turn, rotating each round",
        },
        "results": results,
        "ratios_2_4_over_2_3": ratios,
        "ratios_are": "per round, the 2.4 run over the 2.3 run; median",
    }


# -- Putting it together ----------------------------------------------------


def versions(wrk: str | None) -> dict[str, str]:
    found = {}
    for name in VERSIONS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    if wrk is not None:
        found["wrk"] = wrk_version(wrk)
    return found


def bench(profile: Profile, wrk: str | None) -> dict[str, Any]:
    began = time.monotonic()
    with uvicorn_process() as server:
        if profile.overlap:  # the server starts while work is measured
            waste = wasted_work(profile)
            port = server.ready()
        else:  # nothing else runs during a measurement
            port = server.ready()
            waste = wasted_work(profile)
        cost = throughput(profile, wrk, port)
    return {
        "schema": SCHEMA,
        "generated_by": "scripts/bench/disconnect.py (make bench)",
        "measured": {
            "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
            "profile": profile.name,
            "seconds": round(time.monotonic() - began, 1),
            "machine": machine(),
        },
        "versions": versions(wrk),
        "wasted_work": waste,
        "throughput": cost,
    }


def report(document: dict[str, Any]) -> str:
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
    for framework, ratio in document["throughput"][
        "ratios_2_4_over_2_3"
    ].items():
        lines.append(
            f"  {framework}: spec 2.4 / 2.3 = {ratio['rps']:.2f}x req/s "
            f"[{ratio['paired']['rps']['min']:.2f}-"
            f"{ratio['paired']['rps']['max']:.2f}], "
            f"p50 x{ratio['p50']:.2f}, p99 x{ratio['p99']:.2f} "
            "(paired per round, median [min-max])"
        )
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog="python -m scripts.bench.disconnect",
        description=__doc__.split("\n\n")[0],
    )
    result.add_argument(
        "--smoke",
        action="store_true",
        help="a few seconds, asyncio client, nothing written unless --output",
    )
    result.add_argument(
        "--output",
        type=Path,
        help=f"the JSON to write (default: ROOT/{OUTPUT}; none with --smoke)",
    )
    result.add_argument(
        "--client",
        choices=("wrk", "asyncio"),
        help="the load generator (default: wrk if installed, for the full "
        "run; asyncio with --smoke)",
    )
    return result


class BenchError(Exception):
    """A run that did not measure what it set out to: nothing is written."""


def problems(document: dict[str, Any]) -> list[str]:
    """What makes a finished run unfit to write: a client that got no
    stream, an app that never ended, a request that failed."""
    found = []
    for row in document["wasted_work"]["results"]:
        for outcome in ("no stream", "still running"):
            if row["outcomes"].get(outcome):
                found.append(
                    f"wasted work, {row['transport']} {row['pattern']}: "
                    f"{row['outcomes'][outcome]} client(s) {outcome}"
                )
    for row in document["throughput"]["results"]:
        if row["errors"]:
            found.append(
                f"throughput, {row['variant']}: {row['errors']} failed "
                "request(s)"
            )
    return found


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    profile = SMOKE if args.smoke else FULL
    client = args.client or profile.load
    wrk = shutil.which("wrk") if client == "wrk" else None
    if client == "wrk" and wrk is None:
        print(
            "wrk is not installed (apt-get install wrk), or pass "
            "--client asyncio",
            file=sys.stderr,
        )
        return 2
    if wrk is None and profile.requests == 0:
        profile = Profile(
            **{
                **asdict(profile),
                "load": "asyncio",
                "requests": 2000,
                "warmup": 200,
            }
        )
    output = args.output or (None if args.smoke else ROOT / OUTPUT)
    kept = (
        "nothing written"
        if output is None
        else (f"{shown(output, ROOT)} and its charts are left as they were")
    )
    try:
        document = bench(profile, wrk)
        found = problems(document)
        if found:
            raise BenchError("; ".join(found))
    except (BenchError, RuntimeError, OSError, ValueError) as exc:
        print(f"the benchmark failed: {exc}; {kept}", file=sys.stderr)
        return 3
    except subprocess.SubprocessError as exc:
        print(f"the load generator failed: {exc}; {kept}", file=sys.stderr)
        return 3
    print(report(document))
    if output is not None:
        try:
            pictures = measured_pictures.pictures_for(
                str(OUTPUT), document, output.parent, ROOT / CACHE
            )
        except InputError as error:
            print(f"the new figures cannot be drawn: {error}", file=sys.stderr)
            return 2
        measured_pictures.replace_together(
            {
                output: (json.dumps(document, indent=2) + "\n").encode(),
                **pictures,
            },
            ROOT,
        )
        print(f"measured in {document['measured']['seconds']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
