"""What the support matrix covers: its servers, its features (features.toml)
and the slides that claim them. Light to import: no server, no client."""

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, NamedTuple

Transport = Literal["http", "websocket"]

# The results a cell can have, from best to worst. "hangs": a server that
# started, stayed up and did not answer (one that died fails the probe).
YES, PARTIAL, NO, HANGS, NOT_APPLICABLE = "yes", "partial", "no", "hangs", "n/a"
BEST_FIRST = (YES, PARTIAL, NO, HANGS)  # the results that rank
VALUE = "value"  # a cell that reports a value (a spec version), not support

MATRIX_SLIDE = "Who supports what, measured (assets/support_matrix.svg)"
OSERROR = "Client Disconnection: Uvicorn raises OSError on... WebSockets!"
BENEFITS = "FastAPI reaps the benefits (assets/bench_fastapi.svg)"
SLIDES = {"denial": "WebSocket Denial Response", "trailers": "HTTP Trailers",
          "disconnect": "Client Disconnection", "oserror": OSERROR,
          "benefits": BENEFITS}


@dataclass(frozen=True)
class Feature:
    """One row of the matrix: what is probed, and which slides claim it."""

    id: str
    label: str
    transport: Transport
    question: str
    slides: tuple[str, ...]


_TABLE = tomllib.loads(Path(__file__).with_name("features.toml").read_text())
FEATURES = tuple(
    Feature(**{**row, "slides": tuple(SLIDES[key] for key in row["slides"])})
    for row in _TABLE["feature"]
)
BY_ID = {feature.id: feature for feature in FEATURES}


class Target(NamedTuple):
    """One server implementation: a row of the JSON, part of a column."""

    id: str
    package: str
    implementation: str
    transports: tuple[Transport, ...] = ("http", "websocket")


class Process(NamedTuple):
    """One server process, probed for one or two targets."""

    id: str
    package: str
    # After ``python``: {port} is replaced, and {handshake} by the seconds
    # the probe gives the server's own WebSocket handshake timeout.
    args: tuple[str, ...]
    targets: tuple[Target, ...]


APP = "scripts.matrix.app:app"


def _uvicorn(http: str, ws: str, *extra: str) -> Process:
    h2 = "-h2" if extra else ""
    return Process(
        f"uvicorn --http {http} --ws {ws}", "uvicorn",
        ("-m", "uvicorn", APP, "--host", "127.0.0.1", "--port", "{port}",
         "--http", http, *extra, "--ws", ws, "--lifespan", "off",
         "--log-level", "warning", "--no-access-log"),
        (Target(f"uvicorn-{http}{h2}", "uvicorn",
                f"--http {http}{' --http2' if extra else ''}", ("http",)),
         Target(f"uvicorn-{ws}", "uvicorn", f"--ws {ws}", ("websocket",))),
    )


def _prototype(http: str, ws: str) -> Process:
    """uvicorn #3085 (demos/oserror_protocols.py): one target, both."""
    flags = f"--http demos.oserror_protocols:{http}Protocol --ws {ws}"
    return _uvicorn(flags.split()[1], ws)._replace(targets=(
        Target(f"uvicorn-3085-{http.lower()}", "uvicorn", flags),))


PROCESSES = (
    _uvicorn("h11", "websockets-sansio"),
    _uvicorn("httptools", "wsproto"),
    _prototype("H11", "websockets-sansio"),
    _prototype("HttpTools", "wsproto"),
    _uvicorn("zttp", "websockets", "--http2"),
    Process("hypercorn", "hypercorn",
            ("-m", "hypercorn", APP, "--bind", "127.0.0.1:{port}",
             "--log-level", "warning", "--graceful-timeout", "1"),
            (Target("hypercorn", "hypercorn", "asyncio worker, h11 and h2"),)),
    Process("granian", "granian",
            ("-m", "granian", "--interface", "asgi", "--host", "127.0.0.1",
             "--port", "{port}", "--workers", "1", "--log-level", "warning",
             "--no-access-log", APP),
            (Target("granian", "granian", "--interface asgi, --http auto"),)),
    Process("daphne", "daphne",
            ("-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", "-v", "0",
             "--websocket_connect_timeout", "{handshake}", APP),
            (Target("daphne", "daphne", "twisted"),)),
)
TARGETS = tuple(t for process in PROCESSES for t in process.targets)
TARGET_IDS = tuple(t.id for t in TARGETS)


def cell_name(target: str, feature: str) -> str:
    return f"{target} \u00d7 {BY_ID[feature].label}"


def cell_slides(feature: str) -> str:
    """The slides that show a feature's cells, for a failure message."""
    slides = (MATRIX_SLIDE, *BY_ID[feature].slides)
    return "; ".join(f"slide {slide!r}" for slide in slides)


def spec_at_least(text: str, least: str) -> bool:
    """Whether every spec version in ``text`` ("2.3", "2.4/2.5") is ``least``
    or more, as numbers ("2.10" is above "2.4"); "unset" is not."""
    def number(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split("."))

    try:
        return all(number(v) >= number(least) for v in text.split("/"))
    except ValueError:
        return False
