"""What the support matrix covers: its features and the slides that claim
them, its servers and columns, and how hard the probe looks. Light to
import: no server, no client."""

from typing import Literal, NamedTuple

Transport = Literal["http", "websocket"]

# The results a cell can have, from best to worst. "hangs": a server that
# started, stayed up and did not answer (one that died fails the probe).
YES, PARTIAL, NO, HANGS, NOT_APPLICABLE = "yes", "partial", "no", "hangs", "n/a"
BEST_FIRST = (YES, PARTIAL, NO, HANGS)  # the results that rank
VALUE = "value"  # a cell that reports a value (a spec version), not support

OSERROR_SLIDE = "Client Disconnection: Uvicorn raises OSError on... WebSockets!"
BENEFITS_SLIDE = "FastAPI reaps the benefits (assets/bench_fastapi.svg)"
DENIAL, TRAILERS = ("WebSocket Denial Response",), ("HTTP Trailers",)
OSERROR, SPEC = (OSERROR_SLIDE,), (OSERROR_SLIDE, BENEFITS_SLIDE)


class Feature(NamedTuple):
    """A row of the matrix: what is probed, its label in the pictures (at
    most 21 characters), and the slides that claim it."""

    id: str
    label: str
    transport: Transport
    slides: tuple[str, ...]


FEATURES = (
    Feature("spec_http", "spec_version, HTTP", "http", SPEC),
    Feature("spec_websocket", "spec_version, WS", "websocket", OSERROR),
    Feature("close_before_accept", "close before accept", "websocket", DENIAL),
    Feature("denial", "denial response", "websocket", DENIAL),
    Feature("denial_streamed", "denial, streamed", "websocket", DENIAL),
    Feature("trailers_http1", "trailers, HTTP/1.1", "http", TRAILERS),
    Feature("trailers_http2", "trailers, HTTP/2", "http", TRAILERS),
    Feature("http_disconnect", "http.disconnect", "http",
            ("Client Disconnection",)),
    Feature("oserror_http", "OSError on send, HTTP", "http", SPEC),
    Feature("oserror_websocket", "OSError on send, WS", "websocket", OSERROR),
)
BY_ID = {feature.id: feature for feature in FEATURES}


class Profile(NamedTuple):
    """How hard to look."""

    name: str
    jobs: int  # server processes at once; more than one: features, too
    timeout: float  # seconds a client waits (longer "hangs"); SIGTERM's
    watch: float  # seconds an app sends on after its client left
    # A server's own WebSocket handshake limit ({handshake}; daphne's fires
    # up to a second early): a second over ``timeout``, for the probe.
    handshake: int


FULL = Profile("full", 1, 3.0, 2.0, 5)  # daphne's default handshake limit
QUICK = Profile("quick", 16, 1.0, 0.6, 2)


class Target(NamedTuple):
    """One server implementation: a row of the JSON, part of a column."""

    id: str
    package: str
    implementation: str
    transports: tuple[Transport, ...] = ("http", "websocket")


class Process(NamedTuple):
    """One server process, probed for its targets: ``args`` after
    ``python``, {port} and {handshake} (the profile's) filled in."""

    id: str
    args: tuple[str, ...]
    targets: tuple[Target, ...]

    def command(self, profile: Profile, port: str) -> list[str]:
        handshake = str(profile.handshake)
        return [arg.replace("{port}", port).replace("{handshake}", handshake)
                for arg in self.args]


APP = "scripts.matrix.app:app"
QUIET = "--log-level warning --no-access-log"
PROTOTYPE = "demos.oserror_protocols:{}Protocol"  # uvicorn #3085, an --http


def _uvicorn(http: str, ws: str, *targets: str) -> Process:
    """uvicorn ``--http HTTP --ws WS``: two targets, its HTTP then its
    WebSocket implementation, or one for both."""
    command = (f"-m uvicorn {APP} --host 127.0.0.1 --port {{port}} --http "
               f"{http} --ws {ws} --lifespan off {QUIET}")
    both = (Target(targets[0], "uvicorn", f"--http {http} --ws {ws}"),)
    apart = (Target(targets[0], "uvicorn", f"--http {http}", ("http",)),
             Target(targets[-1], "uvicorn", f"--ws {ws}", ("websocket",)))
    return Process(f"uvicorn --http {http} --ws {ws}", tuple(command.split()),
                   both if len(targets) == 1 else apart)


def _other(name: str, implementation: str, args: str) -> Process:
    return Process(name, ("-m", name, *args.split()),
                   (Target(name, name, implementation),))


PROCESSES = (
    _uvicorn("h11", "websockets-sansio", "uvicorn-h11",
             "uvicorn-websockets-sansio"),
    _uvicorn("httptools", "wsproto", "uvicorn-httptools", "uvicorn-wsproto"),
    _uvicorn(PROTOTYPE.format("H11"), "websockets-sansio", "uvicorn-3085-h11"),
    _uvicorn(PROTOTYPE.format("HttpTools"), "wsproto",
             "uvicorn-3085-httptools"),
    _uvicorn("zttp --http2", "websockets", "uvicorn-zttp-h2",
             "uvicorn-websockets"),
    _other("hypercorn", "asyncio worker, h11 and h2", f"{APP} --bind "
           "127.0.0.1:{port} --log-level warning --graceful-timeout 1"),
    _other("granian", "--interface asgi, --http auto", "--interface asgi "
           f"--host 127.0.0.1 --port {{port}} --workers 1 {QUIET} {APP}"),
    _other("daphne", "twisted", "-b 127.0.0.1 -p {port} -v 0 "
           f"--websocket_connect_timeout {{handshake}} {APP}"),
)


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


def spec_at_least(text: str, least: str) -> bool:
    """Whether every spec version in ``text`` ("2.3", "2.4/2.5") is ``least``
    or more, as numbers ("2.10" is above "2.4"); "unset" is not."""
    def number(version: str) -> tuple[int, ...]:
        return tuple(int(part) for part in version.split("."))

    return all(v.replace(".", "").isdigit() and number(v) >= number(least)
               for v in text.split("/"))
