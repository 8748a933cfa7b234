"""What the support matrix covers: its servers, its features, its slides.

Shared by the probe (scripts/matrix/probe.py), the picture generator
(scripts/assets/charts.py) and the tests, and light to import: no
server and no client is imported here.
"""

from dataclasses import dataclass
from typing import Literal

Transport = Literal["http", "websocket"]

# The results a cell can have, from best to worst. "hangs" is a server
# that started, stayed up and did not answer; one that never started or
# died is a failure of the probe, which then writes nothing.
YES, PARTIAL, NO, HANGS, NOT_APPLICABLE = "yes", "partial", "no", "hangs", "n/a"
RESULTS = (YES, PARTIAL, NO, HANGS, NOT_APPLICABLE)
VALUE = "value"  # a cell that reports a value (a spec version), not support

MATRIX_SLIDE = "Who supports what, measured (assets/support_matrix.svg)"


@dataclass(frozen=True)
class Feature:
    """One row of the matrix: what is probed, and which slides claim it."""

    id: str
    label: str  # as the picture shows it (at most 21 characters)
    transport: Transport
    slides: tuple[str, ...]
    question: str  # what the probe asks, for the README and the JSON


DENIAL = "WebSocket Denial Response"
TRAILERS = "HTTP Trailers"
DISCONNECT = "Client Disconnection"
OSERROR = "Client Disconnection: Uvicorn raises OSError on... WebSockets!"
BENEFITS = "FastAPI reaps the benefits (assets/bench_fastapi.svg)"

FEATURES = tuple(Feature(*row) for row in (
    ("spec_http", "spec_version, HTTP", "http", (OSERROR, BENEFITS),
     "scope['asgi']['spec_version'] of an HTTP request"),
    ("spec_websocket", "spec_version, WS", "websocket", (OSERROR,),
     "scope['asgi']['spec_version'] of a WebSocket"),
    ("close_before_accept", "close before accept", "websocket", (DENIAL,),
     "websocket.close before accept: does the client get a 403?"),
    ("denial", "denial response", "websocket", (DENIAL,),
     "a 401 denial response with headers and a one-message body"),
    ("denial_streamed", "denial, streamed", "websocket", (DENIAL,),
     "a 401 denial response whose body comes in 3 messages (more_body)"),
    ("trailers_http1", "trailers, HTTP/1.1", "http", (TRAILERS,),
     "two http.response.trailers messages, te: trailers, HTTP/1.1"),
    ("trailers_http2", "trailers, HTTP/2", "http", (TRAILERS,),
     "two http.response.trailers messages, te: trailers, cleartext "
     "HTTP/2 with prior knowledge"),
    ("http_disconnect", "http.disconnect", "http", (DISCONNECT,),
     "does receive() give http.disconnect when the client leaves?"),
    ("oserror_http", "OSError on send, HTTP", "http", (OSERROR, BENEFITS),
     "does send() raise an OSError once the HTTP client has left?"),
    ("oserror_websocket", "OSError on send, WS", "websocket", (OSERROR,),
     "does send() raise an OSError once the WebSocket client has left?"),
))
BY_ID = {feature.id: feature for feature in FEATURES}


@dataclass(frozen=True)
class Target:
    """One server implementation: a row of the JSON, part of a column."""

    id: str
    package: str
    implementation: str
    transports: tuple[Transport, ...]


@dataclass(frozen=True)
class Process:
    """One server process, probed for one or two targets."""

    id: str
    package: str
    args: tuple[str, ...]  # after ``python``; {port} is replaced
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


def _both(package: str, implementation: str) -> tuple[Target]:
    return (Target(package, package, implementation, ("http", "websocket")),)


PROCESSES = (
    _uvicorn("h11", "websockets-sansio"),
    _uvicorn("httptools", "wsproto"),
    _uvicorn("zttp", "websockets", "--http2"),
    Process(
        "hypercorn", "hypercorn",
        ("-m", "hypercorn", APP, "--bind", "127.0.0.1:{port}",
         "--log-level", "warning", "--graceful-timeout", "1"),
        _both("hypercorn", "asyncio worker, h11 and h2"),
    ),
    Process(
        "granian", "granian",
        ("-m", "granian", "--interface", "asgi", "--host", "127.0.0.1",
         "--port", "{port}", "--workers", "1", "--log-level", "warning",
         "--no-access-log", APP),
        _both("granian", "--interface asgi, --http auto"),
    ),
    Process(
        "daphne", "daphne",
        ("-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", "-v", "0", APP),
        _both("daphne", "twisted"),
    ),
)
TARGETS = tuple(t for process in PROCESSES for t in process.targets)
TARGET_IDS = tuple(t.id for t in TARGETS)


def cell_name(target: str, feature: str) -> str:
    """How a message names one cell of the matrix."""
    return f"{target} \u00d7 {BY_ID[feature].label}"


def cell_slides(feature: str) -> str:
    """The slides that show a feature's cells, for a failure message."""
    slides = (MATRIX_SLIDE, *BY_ID[feature].slides)
    return "; ".join(f"slide {slide!r}" for slide in slides)
