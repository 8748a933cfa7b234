"""What the support matrix covers: its features and the slides that claim
them, its servers, its columns, and how hard the probe looks. Light to
import: no server, no client."""

from dataclasses import dataclass
from typing import Literal, NamedTuple

Transport = Literal["http", "websocket"]

# The results a cell can have, from best to worst. "hangs": a server that
# started, stayed up and did not answer (one that died fails the probe).
YES, PARTIAL, NO, HANGS, NOT_APPLICABLE = "yes", "partial", "no", "hangs", "n/a"
BEST_FIRST = (YES, PARTIAL, NO, HANGS)  # the results that rank
VALUE = "value"  # a cell that reports a value (a spec version), not support

MATRIX_SLIDE = "Who supports what, measured (assets/support_matrix.svg)"
DENIAL_SLIDE = "WebSocket Denial Response"
TRAILERS_SLIDE = "HTTP Trailers"
DISCONNECT_SLIDE = "Client Disconnection"
OSERROR_SLIDE = "Client Disconnection: Uvicorn raises OSError on... WebSockets!"
BENEFITS_SLIDE = "FastAPI reaps the benefits (assets/bench_fastapi.svg)"


@dataclass(frozen=True)
class Feature:
    """One row of the matrix: what is probed, as the pictures label it (at
    most 21 characters), the question (for the README and the JSON), and
    the slides that claim it."""

    id: str
    label: str
    transport: Transport
    question: str
    slides: tuple[str, ...]


FEATURES = (
    Feature("spec_http", "spec_version, HTTP", "http",
            "scope['asgi']['spec_version'] of an HTTP request",
            (OSERROR_SLIDE, BENEFITS_SLIDE)),
    Feature("spec_websocket", "spec_version, WS", "websocket",
            "scope['asgi']['spec_version'] of a WebSocket", (OSERROR_SLIDE,)),
    Feature("close_before_accept", "close before accept", "websocket",
            "websocket.close before accept: does the client get a 403?",
            (DENIAL_SLIDE,)),
    Feature("denial", "denial response", "websocket",
            "a 401 denial response with headers and a one-message body",
            (DENIAL_SLIDE,)),
    Feature("denial_streamed", "denial, streamed", "websocket",
            "a 401 denial response whose body comes in 3 messages "
            "(more_body)", (DENIAL_SLIDE,)),
    Feature("trailers_http1", "trailers, HTTP/1.1", "http",
            "one, then two http.response.trailers messages, te: trailers, "
            "HTTP/1.1", (TRAILERS_SLIDE,)),
    Feature("trailers_http2", "trailers, HTTP/2", "http",
            "one, then two http.response.trailers messages, te: trailers, "
            "cleartext HTTP/2 with prior knowledge", (TRAILERS_SLIDE,)),
    Feature("http_disconnect", "http.disconnect", "http",
            "does receive() give http.disconnect when the client leaves?",
            (DISCONNECT_SLIDE,)),
    Feature("oserror_http", "OSError on send, HTTP", "http",
            "does send() raise an OSError once the HTTP client has left?",
            (OSERROR_SLIDE, BENEFITS_SLIDE)),
    Feature("oserror_websocket", "OSError on send, WS", "websocket",
            "does send() raise an OSError once the WebSocket client has "
            "left?", (OSERROR_SLIDE,)),
)
BY_ID = {feature.id: feature for feature in FEATURES}


class Target(NamedTuple):
    """One server implementation: a row of the JSON, part of a column."""

    id: str
    package: str
    implementation: str
    transports: tuple[Transport, ...] = ("http", "websocket")


@dataclass(frozen=True)
class Profile:
    """How hard to look: timeouts (seconds), and how much runs at once."""

    name: str
    jobs: int  # server processes at once
    concurrent: bool  # a server's features at once
    timeout: float  # a client waits for a reply: longer "hangs"
    watch: float  # an app keeps sending after its client left
    interval: float  # between the app's sends
    start_timeout: float  # for a server to accept connections
    stop_timeout: float  # between SIGTERM and SIGKILL
    # A server's own limit on a WebSocket handshake, where it has an option
    # for it ({handshake} in its arguments: daphne's whole seconds). The
    # probe waits past it. daphne drops the connection up to a second early
    # (its timer rounds the deadline down to the second), so it exceeds
    # ``timeout`` by a second: no handshake the client waits for is dropped.
    handshake: int


FULL = Profile("full", 1, False, 3.0, 2.0, 0.02, 20.0, 3.0, 5)  # daphne's 5
QUICK = Profile("quick", 16, True, 1.0, 0.6, 0.02, 20.0, 1.0, 2)


class Process(NamedTuple):
    """One server process, probed for one or two targets."""

    id: str
    package: str
    # After ``python``: {port} is replaced, and {handshake} by the seconds
    # the probe gives the server's own WebSocket handshake timeout.
    args: tuple[str, ...]
    targets: tuple[Target, ...]

    def command(self, profile: Profile, port: str) -> list[str]:
        """The arguments after ``python``, for ``profile`` and ``port``."""
        handshake = str(profile.handshake)
        return [arg.replace("{port}", port).replace("{handshake}", handshake)
                for arg in self.args]


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


class Column(NamedTuple):
    """A column of the matrix, as the README and the pictures show it:
    targets that behave alike, under their package's name."""

    package: str  # the pictures' heading, over the package's columns
    detail: str  # under it; "": the package's version, as probed
    heading: str  # the README's
    targets: tuple[str, ...]


COLUMNS = (
    Column("uvicorn", "HTTP/1.1", "uvicorn h11, httptools",
           ("uvicorn-h11", "uvicorn-httptools")),
    Column("uvicorn", "HTTP/2", "uvicorn zttp HTTP/2", ("uvicorn-zttp-h2",)),
    Column("uvicorn", "WebSocket", "uvicorn WS \N{MULTIPLICATION SIGN}3",
           ("uvicorn-websockets-sansio", "uvicorn-wsproto",
            "uvicorn-websockets")),
    Column("uvicorn", "PR #3085", "uvicorn #3085 prototype",
           ("uvicorn-3085-h11", "uvicorn-3085-httptools")),
    Column("hypercorn", "", "hypercorn", ("hypercorn",)),
    Column("granian", "", "granian", ("granian",)),
    Column("daphne", "", "daphne", ("daphne",)),
)


def cell_name(target: str, feature: str) -> str:
    return f"{target} \N{MULTIPLICATION SIGN} {BY_ID[feature].label}"


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
