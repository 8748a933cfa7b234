"""Measurement 1: the work an app wastes after its client left, on uvicorn and
its #3085 prototype. The slides' patterns print what they still send."""

import asyncio
import contextlib
import contextvars
import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from importlib import metadata
from types import ModuleType
from typing import Any
from unittest import mock

from starlette.types import ASGIApp, Receive, Scope, Send

from demos import disconnect_receive, raise_oserror, streaming_response
from demos import fastapi_streaming as fastapi_demo
from scripts.bench import apps
from scripts.net import clients
from scripts.net.servers import UVICORN, ServerSpec, Stopping, start_server

TIMEOUT = 5.0
PROTOTYPE = "demos.oserror_protocols:HttpToolsProtocol"  # --http
SERVERS = {"uvicorn": UVICORN,
           "prototype": ServerSpec("prototype", options={"http": PROTOTYPE})}

# The patterns, by (transport, pattern): where they are, and the app.
PATTERNS: dict[tuple[str, str], tuple[str, ASGIApp]] = {
    ("http", "send_only"): ("demos/streaming_response.py",
                            streaming_response.app),
    ("http", "listen"): ("demos/disconnect_receive.py", disconnect_receive.app),
    ("http", "catch_oserror"): ("demos/raise_oserror.py", raise_oserror.app),
    ("http", "fastapi"): ("demos/fastapi_streaming.py", fastapi_demo.app),
    ("websocket", "send_only"): ("scripts/bench/apps.py:ws_send_only",
                                 apps.ws_send_only),
    ("websocket", "listen"): ("scripts/bench/apps.py:ws_listen",
                              apps.ws_listen),
    ("websocket", "catch_oserror"): ("scripts/bench/apps.py:ws_raise_oserror",
                                     apps.ws_raise_oserror),
}
DELAYED: tuple[ModuleType, ...] = (
    streaming_response, raise_oserror, fastapi_demo, apps,
)
PRINTING = (*DELAYED, disconnect_receive)
CLIENT: contextvars.ContextVar[str] = contextvars.ContextVar("client")
LEAVE = {"http": clients.http1_leave, "websocket": clients.websocket_leave}


def summary(values: Sequence[float]) -> dict[str, float]:
    """Median and spread: min, quartiles, max. Not rounded: what is shown
    is rounded once (scripts/figures.py), since a figure rounded twice can
    be one off in its last digit (1.6447 to 1.645, then to 1.65)."""
    ordered = sorted(values)
    q1 = q3 = ordered[0]
    if len(ordered) >= 2:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return {"median": statistics.median(ordered), "min": ordered[0],
            "p25": q1, "p75": q3, "max": ordered[-1], "n": len(ordered)}


class PatternApp:
    """The app ``/{transport}/{pattern}/{client}``: it runs a pattern, and
    records what the apps print and when each request's app ends."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.prints: list[tuple[str, float, str]] = []
        self.ends: dict[str, tuple[float, str]] = {}

    async def __call__(
        self, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if scope["type"] not in ("http", "websocket"):
            return
        _, _, pattern, client = scope["path"].split("/")
        CLIENT.set(client)
        outcome = "returned"
        try:
            app = PATTERNS[scope["type"], pattern][1]
            await app({**scope, "path": "/"}, receive, send)  # FastAPI's
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except Exception as exc:  # an app that does not catch it
            outcome = f"raised {type(exc).__name__}"
        finally:
            with self.lock:
                self.ends[client] = (time.monotonic(), outcome)

    def print(self, *args: Any, **kwargs: Any) -> None:
        text = " ".join(str(arg) for arg in args)
        with self.lock:
            self.prints.append((CLIENT.get(""), time.monotonic(), text))

    def after(self, client: str, moment: float, prefix: str) -> int:
        with self.lock:
            return sum(1 for who, at, text in self.prints if who == client
                       and at > moment and text.startswith(prefix))

    def sample(self, name: str, left: float | None) -> dict[str, Any]:
        """What client ``name``'s app did after the client ``left``."""
        end = self.ends.get(name)
        if left is None:
            return {"left": False, "outcome": "no stream"}
        return {
            "left": True,
            "outcome": end[1] if end else "still running",
            "noticed": bool(end)
            and self.after(name, 0, "Client disconnected") > 0,
            "seconds_after": time.monotonic() - left if end is None
            else max(0.0, end[0] - left),
            "chunks_after": self.after(name, left, "Sending"),
            "chunks_total": self.after(name, 0, "Sending"),
        }


def _rounds(
    patterns: PatternApp, ports: dict[str, int], delay: float, clients: int,
    rounds: int, read: int,
) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """Every server and pattern, round after round, in rotating order."""
    keys = [(server, *key) for server in ports for key in PATTERNS]
    samples: dict[tuple[str, str, str], list[Any]] = {k: [] for k in keys}
    for round_ in range(rounds):
        shift = round_ % len(keys)
        for server, transport, pattern in keys[shift:] + keys[:shift]:
            names = [f"{server}-{transport}-{pattern}-{round_}-{n}"
                     for n in range(clients)]
            targets = [f"/{transport}/{pattern}/{name}" for name in names]
            leave = partial(LEAVE[transport], ports[server], timeout=TIMEOUT,
                            read=read)
            with ThreadPoolExecutor(clients) as pool:  # all at once
                gone = list(pool.map(leave, targets))
            deadline = time.monotonic() + len(apps.TEXT) * delay + 3
            while time.monotonic() < deadline and not all(
                n in patterns.ends for n in names
            ):
                time.sleep(0.005)
            samples[server, transport, pattern] += [
                patterns.sample(name, None if left is None else left.left)
                for name, left in zip(names, gone, strict=True)
            ]
    return samples


def _result(key: tuple[str, str, str], found: list[dict[str, Any]]) -> Any:
    measured = [s for s in found if s["left"]]
    return {
        **dict(zip(("server", "transport", "pattern"), key, strict=True)),
        "app": PATTERNS[key[1:]][0],
        "clients": len(found),
        "chunks_after": summary([s["chunks_after"] for s in measured]),
        "chunks_total": summary([s["chunks_total"] for s in measured]),
        "seconds_after": summary([s["seconds_after"] for s in measured]),
        "noticed": sum(1 for s in measured if s["noticed"]),
        "outcomes": dict(Counter(sample["outcome"] for sample in found)),
    }


def wasted_work(
    delay: float, clients: int, rounds: int, read: int
) -> dict[str, Any]:
    """Measurement 1: every pattern, round after round, on both servers."""
    patterns = PatternApp()
    with contextlib.ExitStack() as stack:  # shorter DELAYs, recorded prints
        for module in DELAYED:
            stack.enter_context(mock.patch.object(module, "DELAY", delay))
        for module in PRINTING:
            stack.enter_context(
                mock.patch.object(module, "print", patterns.print, create=True)
            )
        ports, stops = {}, list[Callable[[], Stopping]]()  # both at once:
        stack.callback(lambda: list(map(Stopping.join, [s() for s in stops])))
        for name, spec in SERVERS.items():
            server, stop = start_server(patterns, spec)
            ports[name] = server.port
            stops.append(stop)
        samples = _rounds(patterns, ports, delay, clients, rounds, read)
    return {
        "servers": {name: f"uvicorn {metadata.version('uvicorn')}, in-process,"
                    f" --http {spec.options.get('http', 'auto (httptools)')}"
                    for name, spec in SERVERS.items()},
        "delay": delay,
        "stream_messages": len(apps.TEXT),
        "read_before_leaving": read,
        "clients_per_round": clients,
        "rounds": rounds,
        "results": [_result(key, found) for key, found in samples.items()],
    }
