"""One server process of the probe (``Run``), and the probes: one a feature,
each asks the server with real clients and reads what its app recorded."""

import contextlib
import itertools
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.matrix import app, catalog
from scripts.matrix.catalog import HANGS, NO, PARTIAL, VALUE, YES, Process
from scripts.net import clients
from scripts.net.clients import COMPLETE, NOT_SPOKEN, TIMED_OUT, Left, Reply
from scripts.net.ports import accepting, pick_port
from scripts.net.processes import Server, StartError

ROOT = Path(__file__).resolve().parents[2]
Cell = dict[str, Any]
APP_WAIT = 1.0  # seconds for the app's record once the client has its reply


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


FULL = Profile("full", 1, False, 3.0, 2.0, 0.02, 20.0, 3.0)
QUICK = Profile("quick", 16, True, 1.0, 0.6, 0.02, 20.0, 1.0)


class ProbeError(Exception):
    """A probe that could not measure: the command fails, naming the cell."""


class Run:
    """One server process: its port, its events file and its log."""

    def __init__(self, process: Process, profile: Profile, folder: Path):
        self.process, self.profile = process, profile
        slug = re.sub(r"[^a-z0-9]+", "-", process.id.lower()).strip("-")
        self.events, self.log = (folder / f"{slug}.{kind}"
                                 for kind in ("events.jsonl", "log"))
        self.port, self.started = 0, False
        self.server: Server | None = None
        self.start_seconds: float | None = None
        self.stopped = self.crashed = ""
        self.leftovers: list[int] = []
        self._ids = itertools.count(1)

    def start(self) -> None:
        """Start the server (again if its port was taken); else ``crashed``."""
        env = {**os.environ, app.EVENTS: str(self.events),
               "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        timeout = self.profile.start_timeout
        for _attempt in range(3):
            self.port = pick_port()
            args = [a.replace("{port}", str(self.port))
                    for a in self.process.args]
            begun = time.monotonic()
            self.server = Server([sys.executable, *args], cwd=ROOT, env=env,
                                 output=self.log)
            try:
                self.server.wait_ready(lambda: accepting(self.port), timeout)
            except StartError as error:
                self.crashed = (
                    f"not accepting connections after {timeout:.0f} s"
                    if error.code is None else f"exited with code "
                    f"{error.code} while starting: {self.last_log_line()}"
                )
            else:
                self.started = True
                self.start_seconds = time.monotonic() - begun
                return
            self.stop()
            if not any("in use" in line.lower() for line in self.log_lines()):
                return

    def stop(self) -> None:
        """Stop the whole tree; how, and what is left, are recorded."""
        if self.server is not None:
            stopped = self.server.stop(timeout=self.profile.stop_timeout)
            self.stopped, self.leftovers = stopped.how, stopped.leftovers

    def next_id(self, feature: str) -> str:
        return f"{feature}-{next(self._ids)}"

    def event(self, probe: str, timeout: float) -> dict[str, Any] | None:
        """The app's record for ``probe``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() <= deadline:
            with contextlib.suppress(OSError):
                for line in self.events.read_text().splitlines():
                    with contextlib.suppress(ValueError):  # half-written
                        record: dict[str, Any] = json.loads(line)
                        if record.get("id") == probe:
                            return record
            time.sleep(0.01)
        return None

    def death(self) -> str:
        """Why the server is gone ("" if it accepts): a dead server resets
        its connections before its exit code is seen, so that is awaited."""
        assert self.server is not None
        if self.server.alive() and accepting(self.port, timeout=1.0):
            return ""
        try:
            code = self.server.popen.wait(2)
        except subprocess.TimeoutExpired:
            return "it stopped accepting connections"
        return f"exit code {code}: {self.last_log_line()}"

    def last_log_line(self) -> str:
        return (self.log_lines() or ["(no output)"])[-1]

    def log_lines(self) -> list[str]:
        with contextlib.suppress(OSError):
            text = self.log.read_text(errors="replace")
            return [line.rstrip() for line in text.splitlines() if line.strip()]
        return []

    def logged_errors(self) -> list[str]:
        """ERROR lines and exceptions the server logged, deduplicated."""
        found: dict[str, None] = {}
        for line in self.log_lines():
            if re.search(r"ERROR|Error:|Exception|Traceback", line):
                line = re.sub(r"^\S*\d{4}-\d\d-\d\d[ T][\d:,.]+( \+\d+)?\]?\s*",
                              "", line)
                found[re.sub(r"^\[\d+\]\s*", "", line)[:160]] = None
        return list(found)[:12]


def cell(
    result: str, *, value: str | None = None, status: int | None = None,
    exception: str | None = None, extensions: list[str] | None = None,
    note: str = "", seconds: float | None = None, **observed: Any,
) -> Cell:
    """One cell: the categorical fields first, then timing and raw data."""
    data: Cell = {
        "result": result, "value": value, "status": status,
        "exception": exception, "extensions": extensions, "note": note or None,
        "seconds": None if seconds is None else round(seconds, 4),
        "observed": observed or None,
    }
    kept = ("status", "exception")
    return {k: v for k, v in data.items() if v is not None or k in kept}


def no_reply(reply: Reply) -> Cell:
    """A request that got no status line at all."""
    note = f"connection {reply.ending}, no reply"
    if reply.ending == TIMED_OUT:
        note = f"no reply in {reply.seconds:.0f} s"
    result = HANGS if reply.ending in (TIMED_OUT, clients.REFUSED) else NO
    return cell(result, note=note, reply=reply.as_json())


def short(exception: str | None) -> str:
    return (exception or "").rsplit(".", 1)[-1]


def _scope_cell(text: str | bytes) -> Cell:
    scope = json.loads(text)
    return cell(VALUE, value=scope["spec_version"] or "unset",
                extensions=scope["extensions"], asgi=scope["asgi"])


def probe_spec_http(run: Run) -> Cell:
    reply = clients.http1(run.port, "/scope", timeout=run.profile.timeout)
    if reply.status is None:
        return no_reply(reply)
    if reply.status != 200 or reply.ending != COMPLETE:
        note = f"GET /scope: {reply.status}, {reply.ending}"
        return cell(NO, status=reply.status, note=note, reply=reply.as_json())
    return _scope_cell(reply.body)


def probe_spec_websocket(run: Run) -> Cell:
    text = clients.websocket_text(run.port, "/scope", run.profile.timeout)
    if text is None:
        return cell(HANGS, note="no WebSocket message from /scope")
    return _scope_cell(text)


def probe_close_before_accept(run: Run) -> Cell:
    reply = clients.websocket_handshake(run.port, "/close", run.profile.timeout)
    if reply.status is None:
        return no_reply(reply)
    result = YES if reply.status == 403 else NO
    note = "" if result == YES else f"the client gets {reply.status}"
    return cell(result, status=reply.status, note=note, seconds=reply.seconds,
                reply=reply.as_json())


def _app_record(
    run: Run, probe: str, reply: Reply
) -> tuple[dict[str, Any], str | None, dict[str, Any]]:
    """What the app recorded, what its send raised, the observed data."""
    seen = run.event(probe, APP_WAIT if reply.status else 0.2) or {}
    return seen, seen.get("exception"), {"reply": reply.as_json(), "app": seen}


def _denial(run: Run, parts: int) -> Cell:
    probe = run.next_id("denial")
    target = f"/deny?id={probe}&parts={parts}"
    reply = clients.websocket_handshake(run.port, target, run.profile.timeout)
    seen, exception, observed = _app_record(run, probe, reply)
    problems = ["not advertised"] if seen and not seen.get("advertised") else []
    if exception:
        problems.append(f"{seen.get('failed')} raises {short(exception)}")
    if reply.status is None:
        base = no_reply(reply)
        note = "; ".join([*problems, base["note"]])
        return cell(base["result"], exception=exception, note=note, **observed)
    if reply.status != app.DENIAL_STATUS:
        problems.insert(0, f"the client gets {reply.status}")
        return cell(NO, status=reply.status, exception=exception,
                    note="; ".join(problems), **observed)
    if reply.body != app.DENIAL_BODY:
        problems.append("body missing" if not reply.body else "body cut")
    if reply.header("x-probe") != "denied":
        problems.append("headers lost")
    if reply.header("upgrade") or reply.header("sec-websocket-accept"):
        problems.append("the 401 carries the upgrade headers")
    if reply.ending != COMPLETE:
        problems.append(f"reply ends: {reply.ending}")
    return cell(PARTIAL if problems else YES, status=reply.status,
                exception=exception, note="; ".join(problems),
                seconds=reply.seconds, **observed)


def _trailers(run: Run, http2: bool) -> Cell:
    probe = run.next_id("trailers")
    get = clients.http2 if http2 else clients.http1
    reply = get(run.port, f"/trailers?id={probe}", [("te", "trailers")],
                run.profile.timeout)
    if http2 and reply.ending == NOT_SPOKEN:
        return cell(catalog.NOT_APPLICABLE, note="no cleartext HTTP/2",
                    reply=reply.as_json())
    seen, exception, observed = _app_record(run, probe, reply)
    if reply.status is None:
        return no_reply(reply)
    if reply.ending == TIMED_OUT:
        return cell(HANGS, status=reply.status, exception=exception,
                    note="the body never ends", **observed)
    body_ok = reply.body == b"".join(app.TRAILER_BODY)
    if reply.ending != COMPLETE or not body_ok:
        cut = "the body is cut short"
        what = "the chunked body never ends" if body_ok else cut
        return cell(NO, status=reply.status, exception=exception,
                    note=f"{what} (connection {reply.ending})", **observed)
    wanted = [name.decode() for name, _ in app.TRAILERS]
    got = [name for name, _ in reply.trailers if name in wanted]
    problems = ["not advertised"] if seen and not seen.get("advertised") else []
    result = PARTIAL if problems else YES
    if got and got != wanted:
        which = "the first" if got == wanted[:1] else len(got)
        problems.append(f"only {which} of {len(wanted)} trailers messages "
                        "arrives")
        result = PARTIAL
    elif not got:
        raised = f"the app's send raises {short(exception)}"
        problems.append(raised if exception else "dropped silently")
        result = NO
    return cell(result, status=reply.status, exception=exception,
                note="; ".join(problems), seconds=reply.seconds, **observed)


def probe_http_disconnect(run: Run) -> Cell:
    probe = run.next_id("disconnect")
    # The app returns at the disconnect: waiting long costs only where not.
    watch = 3 * run.profile.timeout
    target = f"/disconnect?id={probe}&seconds={watch}"
    gone = clients.http1_leave(run.port, target, run.profile.timeout)
    if gone is None:
        return cell(HANGS, note="no first chunk")
    seen = run.event(probe, watch + 1.0)
    if seen is None:
        return cell(HANGS, note="the app never finished")
    if seen.get("disconnect"):
        return cell(YES, seconds=seen["at"] - gone.left,
                    message_keys=seen["keys"])
    return cell(NO, note=f"no http.disconnect within {watch:.1f} s")


def _oserror(run: Run, leave: Callable[[int, str, float], Left | None]) -> Cell:
    probe, profile = run.next_id("send"), run.profile
    target = (f"/send?id={probe}&seconds={profile.watch + 0.2}"
              f"&interval={profile.interval}")
    gone = leave(run.port, target, profile.timeout)
    if gone is None:
        return cell(HANGS, note="no first message")
    seen = run.event(probe, profile.watch + 2.0)
    if seen is None:
        return cell(HANGS, note="the app never finished")
    return sends_cell(seen, gone)


def sends_cell(seen: dict[str, Any], gone: Left) -> Cell:
    """The cell for the app's record of /send, once its client is ``gone``:
    only sends after the close decide (daphne's raises inside it race)."""
    left, closed = gone.left, gone.closed
    after = sum(1 for at in seen["sends"] if at > left)
    raises = [(at, name, os) for at, name, os in seen["raises"] if at > left]
    later = [at for at in seen["sends"] if at > closed]
    later_raises = [r for r in raises if r[0] > closed]
    if not later and not later_raises:
        raise ProbeError(
            f"the app sent nothing after the connection was over "
            f"({closed - left:.2f} s after the client left)"
        )
    observed: dict[str, Any] = {
        "sends_after_leaving": after,
        "raised_inside_close": sum(1 for r in raises if r[0] <= closed),
        "sends_after_close": len(later),
        "raised_after_close": len(later_raises),
    }
    if not later_raises:
        note = f"{after} sends after the client left, none raised"
        return cell(NO, note=note, **observed)
    # A send can start after the client closed and go through before the
    # server has read the close: only a send through after a raise is mixed.
    first = later_raises[0][0]
    if through := [at for at in later if at > first]:
        raise ProbeError(
            f"after the close, {len(through)} sends went through after one "
            f"raised ({len(later_raises)} raised): no single answer"
        )
    _, exception, oserror = later_raises[0]
    seconds = seen["first_raise"]["at"] - left
    if oserror:
        return cell(YES, exception=exception, seconds=seconds, **observed)
    return cell(PARTIAL, exception=exception, seconds=seconds,
                note=f"raises {short(exception)}, not an OSError", **observed)


PROBES: dict[str, Callable[[Run], Cell]] = {
    "spec_http": probe_spec_http,
    "spec_websocket": probe_spec_websocket,
    "close_before_accept": probe_close_before_accept,
    "denial": lambda run: _denial(run, 1),
    "denial_streamed": lambda run: _denial(run, 3),
    "trailers_http1": lambda run: _trailers(run, http2=False),
    "trailers_http2": lambda run: _trailers(run, http2=True),
    "http_disconnect": probe_http_disconnect,
    "oserror_http": lambda run: _oserror(run, clients.http1_leave),
    "oserror_websocket": lambda run: _oserror(run, clients.websocket_leave),
}


def guarded(run: Run, feature: str) -> Cell:
    """A probe's cell; a probe that raises is a failure of the command."""
    try:
        return PROBES[feature](run)
    except Exception as exc:  # the probe could not measure
        name = type(exc).__name__
        return cell(HANGS, note=f"probe failed: {name}",
                    error=f"{name}: {exc}"[:200])
