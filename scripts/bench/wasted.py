"""Measurement 1: the work an app wastes after its client left, on uvicorn and
its #3085 prototype, in this process. The slides' patterns, paced faster
(``Demo.paced``), print what they still send (the demos' contract)."""

import contextlib
import contextvars
import importlib
import io
import statistics
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from importlib import metadata
from typing import Any

from starlette.types import Receive, Scope, Send

from demos.catalog import BY_NAME, DISCONNECTED, HTTP_CLASSES, SENDING
from scripts.bench import apps
from scripts.net import clients
from scripts.net.servers import ServerSpec, Started, Stopping, start_server

TIMEOUT = 5.0
READ = 3  # messages a client reads before it leaves
PROTOTYPE = HTTP_CLASSES["oserror"][0]  # uvicorn #3085
AUTO = "auto (httptools)"  # stock uvicorn's --http, as the JSON says it
# The servers compared, by name: the spec version each says, and how to run
# it in this process (its --http: stock uvicorn's is httptools).
SERVERS = {"uvicorn": ("2.3", ServerSpec("uvicorn")), "prototype": (
    "2.5", ServerSpec("prototype", options={"http": PROTOTYPE}))}
# The patterns, by transport and pattern: a demo, or its twin in apps.py.
PATTERNS = {
    ("http", "send_only"): "streaming_response",
    ("http", "listen"): "disconnect_receive",
    ("http", "catch_oserror"): "raise_oserror",
    ("http", "fastapi"): "fastapi_streaming",
    ("websocket", "send_only"): "ws_send_only",
    ("websocket", "listen"): "ws_listen",
    ("websocket", "catch_oserror"): "ws_raise_oserror",
}
CLIENT = contextvars.ContextVar[str]("client", default="")
LEAVE = {"http": clients.http1_leave, "websocket": clients.websocket_leave}
Sample = dict[str, Any]


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median, min and max, not rounded: scripts/figures.py rounds each
    figure once (rounded twice, 1.6447 would be 1.65)."""
    return {"median": statistics.median(values), "min": min(values),
            "max": max(values)}


class Patterns(io.StringIO):
    """The app ``/{transport}/{pattern}/{client}``, which runs a pattern and
    notes when each client's app ends; as ``sys.stdout``, what they print."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.prints: dict[str, list[tuple[float, str]]] = defaultdict(list)
        self.ends: dict[str, tuple[float, str]] = {}

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        _, _, pattern, client = scope["path"].split("/")
        CLIENT.set(client)
        name, outcome = PATTERNS[scope["type"], pattern], "cancelled"
        app = importlib.import_module(f"demos.{name}").app if (
            name in BY_NAME) else getattr(apps, name)
        try:
            await app({**scope, "path": "/"}, receive, send)  # FastAPI's
            outcome = "returned"
        except Exception as exc:  # an app that does not catch it
            outcome = f"raised {type(exc).__name__}"
        finally:
            with self.lock:
                self.ends[client] = (time.monotonic(), outcome)

    def write(self, text: str) -> int:
        with self.lock:
            self.prints[CLIENT.get()].append((time.monotonic(), text))
        return len(text)

    def sample(self, name: str, left: float) -> Sample:
        """What client ``name``'s app did after the client ``left``."""
        with self.lock:
            (end, outcome), printed = self.ends[name], self.prints[name][:]
        sent = [at for at, text in printed if text.startswith(SENDING)]
        return {
            "outcome": outcome, "seconds_after": max(0.0, end - left),
            "noticed": any(t.startswith(DISCONNECTED) for _, t in printed),
            "chunks_after": sum(1 for at in sent if at > left),
            "chunks_total": len(sent),
        }


def _rounds(
    patterns: Patterns, ports: dict[str, int], delay: float, clients: int,
    rounds: int,
) -> dict[tuple[str, str, str], list[Sample]]:
    """Every server and pattern, round after round, in rotating order."""
    keys = [(server, *key) for server in ports for key in PATTERNS]
    samples: dict[tuple[str, str, str], list[Sample]] = {k: [] for k in keys}
    for round_ in range(rounds):
        shift = round_ % len(keys)
        for server, transport, pattern in keys[shift:] + keys[:shift]:
            names = [f"{server}-{transport}-{pattern}-{round_}-{n}"
                     for n in range(clients)]
            leave = partial(LEAVE[transport], ports[server], timeout=TIMEOUT,
                            read=READ)
            with ThreadPoolExecutor(clients) as pool:  # all at once
                gone = list(pool.map(leave, [f"/{transport}/{pattern}/{name}"
                                             for name in names]))
            deadline = time.monotonic() + len(apps.TEXT) * delay + 3
            while not patterns.ends.keys() >= {*names} and (
                    time.monotonic() < deadline):
                time.sleep(0.005)
            if stalled := sum(left is None or name not in patterns.ends
                              for name, left in zip(names, gone, strict=True)):
                raise RuntimeError(
                    f"wasted work, {server} {transport} {pattern}: {stalled} "
                    "client(s) got no stream or their app runs on")
            samples[server, transport, pattern] += [
                patterns.sample(name, left.left)
                for name, left in zip(names, gone, strict=True) if left]
    return samples


def _result(key: tuple[str, str, str], found: list[Sample]) -> dict[str, Any]:
    name = PATTERNS[key[1:]]
    return {
        **dict(zip(("server", "transport", "pattern"), key, strict=True)),
        "app": f"demos/{name}.py" if name in BY_NAME
        else f"scripts/bench/apps.py:{name}",
        "clients": len(found),
        **{field: summary([s[field] for s in found]) for field in (
            "chunks_after", "chunks_total", "seconds_after")},
        "noticed": sum(1 for s in found if s["noticed"]),
        "outcomes": dict(Counter(sample["outcome"] for sample in found)),
    }


def wasted_work(delay: float, clients: int, rounds: int) -> dict[str, Any]:
    """Measurement 1: every pattern, round after round, on both servers,
    the demos paced ``delay`` seconds apart."""
    patterns, started, ports = Patterns(), list[Started](), dict[str, int]()
    with contextlib.ExitStack() as stack:
        for name in PATTERNS.values():
            if name in BY_NAME:
                stack.enter_context(BY_NAME[name].paced(delay))
        stack.enter_context(contextlib.redirect_stdout(patterns))
        stack.callback(lambda: list(map(Stopping.join, [  # both at once
            stop() for _, stop in started])))
        for name, (_, spec) in SERVERS.items():
            started.append(start_server(patterns, spec))
            ports[name] = started[-1][0].port
        samples = _rounds(patterns, ports, delay, clients, rounds)
    return {
        "servers": {name: f"uvicorn {metadata.version('uvicorn')}, in-process,"
                    f" --http {spec.options.get('http', AUTO)}"
                    for name, (_, spec) in SERVERS.items()},
        "delay": delay,
        "stream_messages": len(apps.TEXT),
        "read_before_leaving": READ,
        "clients_per_round": clients,
        "rounds": rounds,
        "results": [_result(key, found) for key, found in samples.items()],
    }
