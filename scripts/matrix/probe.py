"""Probe real ASGI servers for the talk's features: the support matrix.

Starts each server of scripts/matrix/catalog.py as a subprocess on
127.0.0.1 serving scripts/matrix/app.py, asks it every feature with real
clients (h11, h2, websockets), stops it for sure (its whole process group,
SIGTERM then SIGKILL), and writes what it saw to assets/support_matrix.json
and the table drawn from it, assets/support_matrix.svg (``make matrix``).
The two are drawn and checked in memory first, then replaced together: a
run that fails leaves both as they were.

A server that started and then does not answer is a result ("hangs"). A
server that does not start or dies during the probe, and a probe that
raises, are failures of the command: it names the server or the cell and
writes nothing. ``--quick`` is the profile the tests use: every server and
every feature at once, with short timeouts. ``--compare`` re-probes and
compares the categorical results (result, status, value, exception) with
the committed JSON, naming each cell that changed and the slides it makes
wrong; timings are never compared.

Exit codes: 0 done (or no difference), 1 differences (--compare),
2 bad input, 3 a server or a probe failed (nothing written).
"""

import argparse
import atexit
import contextlib
import datetime
import json
import os
import platform
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from importlib import metadata
from pathlib import Path
from typing import Any

from scripts.assets import charts as measured_pictures
from scripts.assets.code_images import CACHE
from scripts.exceptions import InputError
from scripts.files import shown
from scripts.matrix import app as probe_app
from scripts.matrix.catalog import (
    FEATURES,
    HANGS,
    NO,
    NOT_APPLICABLE,
    PARTIAL,
    PROCESSES,
    VALUE,
    YES,
    Feature,
    Process,
    Target,
    cell_name,
    cell_slides,
)
from scripts.net import wire as probe_wire
from scripts.net.ports import pick_port
from scripts.net.wire import COMPLETE, NOT_SPOKEN, TIMEOUT, Reply

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path("assets/support_matrix.json")
SCHEMA = 1
CATEGORICAL = ("result", "value", "status", "exception", "extensions")
VERSIONS = (
    "uvicorn",
    "hypercorn",
    "granian",
    "daphne",
    "websockets",
    "wsproto",
    "h11",
    "httptools",
    "zttp",
    "h2",
    "twisted",
)

Cell = dict[str, Any]


@dataclass(frozen=True)
class Profile:
    """How hard to look: timeouts, and how much runs at once."""

    name: str
    jobs: int  # server processes at once
    concurrent: bool  # a server's features at once
    timeout: float  # seconds a client waits for a reply: longer "hangs"
    watch: float  # seconds an app keeps sending after its client left
    interval: float  # seconds between the app's sends
    start_timeout: float  # seconds for a server to accept connections
    stop_timeout: float  # seconds between SIGTERM and SIGKILL


FULL = Profile("full", 1, False, 3.0, 2.0, 0.02, 20.0, 3.0)
QUICK = Profile("quick", 16, True, 1.0, 0.6, 0.02, 20.0, 1.0)
APP_WAIT = 1.0  # seconds for the app's record once the client has its reply


# -- Server processes -------------------------------------------------------

_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()


def _kill_leftovers() -> None:
    """At exit, whatever happened: no server outlives the probe."""
    with _LIVE_LOCK:
        for popen in list(_LIVE):
            with contextlib.suppress(OSError):
                os.killpg(popen.pid, signal.SIGKILL)


atexit.register(_kill_leftovers)


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group ``pgid``.

    Read from /proc where there is one (Linux). Elsewhere only whether the
    group has a process left is known: ``[pgid]`` then, zombies included.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return []
        except PermissionError:
            pass
        return [pgid]
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _signal_group(pgid: int, signum: int, timeout: float) -> bool:
    """Signal a process group; whether it is gone within ``timeout``."""
    with contextlib.suppress(OSError):
        os.killpg(pgid, signum)
    deadline = time.monotonic() + timeout
    while group_members(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@dataclass
class Run:
    """One server process: its port, its events file and its log."""

    process: Process
    profile: Profile
    folder: Path
    port: int = 0
    popen: subprocess.Popen[bytes] | None = None
    started: bool = False
    start_seconds: float | None = None
    stopped: str = ""
    crashed: str = ""
    leftovers: list[int] = field(default_factory=list)
    _counter: int = 0

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.process.id.lower()).strip("-")

    @property
    def events(self) -> Path:
        return self.folder / f"{self.slug}.events.jsonl"

    @property
    def log(self) -> Path:
        return self.folder / f"{self.slug}.log"

    def command(self) -> list[str]:
        args = [a.replace("{port}", str(self.port)) for a in self.process.args]
        return [sys.executable, *args]

    def start(self) -> None:
        """Start the server; a server that does not come up is recorded."""
        for _attempt in range(3):
            self.port = pick_port()
            begun = time.monotonic()
            self._spawn()
            if self._wait_until_ready():
                self.started = True
                self.start_seconds = time.monotonic() - begun
                return
            self.stop()
            if not any("in use" in line.lower() for line in self.log_lines()):
                return

    def _spawn(self) -> None:
        env = {
            **os.environ,
            probe_app.EVENTS: str(self.events),
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
        }
        with self.log.open("ab") as log:
            popen = subprocess.Popen(  # noqa: S603
                self.command(),
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        with _LIVE_LOCK:
            _LIVE.add(popen)
        self.popen = popen

    def _wait_until_ready(self) -> bool:
        assert self.popen is not None
        deadline = time.monotonic() + self.profile.start_timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                self.crashed = (
                    f"exited with code {self.popen.returncode} while "
                    f"starting: {self.last_log_line()}"
                )
                return False
            if probe_wire.reached(self.port, 0.2):
                return True
            time.sleep(0.02)
        self.crashed = (
            f"not accepting connections after "
            f"{self.profile.start_timeout:.0f} s"
        )
        return False

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL what is left, reap it all."""
        popen = self.popen
        if popen is None:
            return
        how = "SIGTERM" if popen.poll() is None else "exited by itself"
        if not _signal_group(
            popen.pid, signal.SIGTERM, self.profile.stop_timeout
        ):
            how = "SIGKILL"
            _signal_group(popen.pid, signal.SIGKILL, 5.0)
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(1)
        with _LIVE_LOCK:
            _LIVE.discard(popen)
        self.stopped = how
        self.leftovers = group_members(popen.pid)

    def next_id(self, feature: str) -> str:
        self._counter += 1
        return f"{feature}-{self._counter}"

    def event(self, probe: str, timeout: float) -> dict[str, Any] | None:
        """The app's record for ``probe``, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            with contextlib.suppress(OSError):
                for line in self.events.read_text().splitlines():
                    try:
                        record: dict[str, Any] = json.loads(line)
                    except ValueError:  # a line still being written
                        continue
                    if record.get("id") == probe:
                        return record
            if time.monotonic() > deadline:
                return None
            time.sleep(0.01)

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def death(self) -> str:
        """Why the server is gone; "" if it still accepts connections.

        A server that died resets its connections before its parent can
        see that it exited: a refused connection waits for its exit code.
        """
        assert self.popen is not None
        if self.alive() and probe_wire.reached(self.port, 1.0):
            return ""
        try:
            code = self.popen.wait(2)
        except subprocess.TimeoutExpired:
            return "it stopped accepting connections"
        return f"exit code {code}: {self.last_log_line()}"

    def last_log_line(self) -> str:
        lines = self.log_lines()
        return lines[-1] if lines else "(no output)"

    def log_lines(self) -> list[str]:
        with contextlib.suppress(OSError):
            text = self.log.read_text(errors="replace")
            return [line.rstrip() for line in text.splitlines() if line.strip()]
        return []

    def logged_errors(self) -> list[str]:
        """ERROR lines and exceptions the server logged, deduplicated."""
        found: list[str] = []
        for line in self.log_lines():
            if not re.search(r"ERROR|Error:|Exception|Traceback", line):
                continue
            line = re.sub(
                r"^\S*\d{4}-\d\d-\d\d[ T][\d:,.]+( \+\d+)?\]?\s*", "", line
            )
            line = re.sub(r"^\[\d+\]\s*", "", line)[:160]
            if line not in found:
                found.append(line)
        return found[:12]


# -- Cells ------------------------------------------------------------------


def cell(
    result: str,
    *,
    value: str | None = None,
    status: int | None = None,
    exception: str | None = None,
    extensions: list[str] | None = None,
    note: str = "",
    seconds: float | None = None,
    **observed: Any,
) -> Cell:
    """One cell: the categorical fields first, then timing and raw data."""
    data: Cell = {"result": result}
    if value is not None:
        data["value"] = value
    data["status"] = status
    data["exception"] = exception
    if extensions is not None:
        data["extensions"] = extensions
    if note:
        data["note"] = note
    if seconds is not None:
        data["seconds"] = round(seconds, 4)
    if observed:
        data["observed"] = observed
    return data


def no_reply(reply: Reply) -> Cell:
    """A request that got no status line at all."""
    if reply.ending == TIMEOUT:
        return cell(
            HANGS,
            note=f"no reply in {reply.seconds:.0f} s",
            reply=reply.as_json(),
        )
    return cell(
        HANGS if reply.ending == "refused" else NO,
        note=f"connection {reply.ending}, no reply",
        reply=reply.as_json(),
    )


def short(exception: str | None) -> str:
    return (exception or "").rsplit(".", 1)[-1]


Probe = Callable[[Run], Cell]


def probe_spec_http(run: Run) -> Cell:
    reply = probe_wire.http1(run.port, "/scope", timeout=run.profile.timeout)
    if reply.status is None:
        return no_reply(reply)
    if reply.status != 200 or reply.ending != COMPLETE:
        return cell(
            NO,
            status=reply.status,
            note=f"GET /scope: {reply.status}, {reply.ending}",
            reply=reply.as_json(),
        )
    scope = json.loads(reply.body)
    return cell(
        VALUE,
        value=scope["spec_version"] or "unset",
        extensions=scope["extensions"],
        asgi=scope["asgi"],
    )


def probe_spec_websocket(run: Run) -> Cell:
    text = probe_wire.websocket_text(
        run.port, "/scope", timeout=run.profile.timeout
    )
    if text is None:
        return cell(HANGS, note="no WebSocket message from /scope")
    scope = json.loads(text)
    return cell(
        VALUE,
        value=scope["spec_version"] or "unset",
        extensions=scope["extensions"],
        asgi=scope["asgi"],
    )


def probe_close_before_accept(run: Run) -> Cell:
    reply = probe_wire.websocket_handshake(
        run.port, "/close", timeout=run.profile.timeout
    )
    if reply.status is None:
        return no_reply(reply)
    result = YES if reply.status == 403 else NO
    note = "" if result == YES else f"the client gets {reply.status}"
    return cell(
        result,
        status=reply.status,
        note=note,
        seconds=reply.seconds,
        reply=reply.as_json(),
    )


def _denial(run: Run, parts: int) -> Cell:
    probe = run.next_id("denial")
    reply = probe_wire.websocket_handshake(
        run.port, f"/deny?id={probe}&parts={parts}", run.profile.timeout
    )
    app = run.event(probe, APP_WAIT if reply.status else 0.2) or {}
    exception = app.get("exception")
    observed: dict[str, Any] = {"reply": reply.as_json(), "app": app}
    problems = []
    if app and not app.get("advertised"):
        problems.append("not advertised")
    if exception:
        problems.append(f"{app.get('failed')} raises {short(exception)}")
    if reply.status is None:
        base = no_reply(reply)
        note = "; ".join([*problems, base["note"]])
        return cell(base["result"], exception=exception, note=note, **observed)
    if reply.status != probe_app.DENIAL_STATUS:
        problems.insert(0, f"the client gets {reply.status}")
        return cell(
            NO,
            status=reply.status,
            exception=exception,
            note="; ".join(problems),
            **observed,
        )
    if reply.body != probe_app.DENIAL_BODY:
        problems.append("body missing" if not reply.body else "body cut")
    if reply.header("x-probe") != "denied":
        problems.append("headers lost")
    if reply.header("upgrade") or reply.header("sec-websocket-accept"):
        problems.append("the 401 carries the upgrade headers")
    if reply.ending != COMPLETE:
        problems.append(f"reply ends: {reply.ending}")
    return cell(
        PARTIAL if problems else YES,
        status=reply.status,
        exception=exception,
        note="; ".join(problems),
        seconds=reply.seconds,
        **observed,
    )


def probe_denial(run: Run) -> Cell:
    return _denial(run, 1)


def probe_denial_streamed(run: Run) -> Cell:
    return _denial(run, 3)


def _trailers(run: Run, http2: bool) -> Cell:
    probe = run.next_id("trailers")
    get = probe_wire.http2 if http2 else probe_wire.http1
    reply = get(
        run.port,
        f"/trailers?id={probe}",
        [("te", "trailers")],
        run.profile.timeout,
    )
    if http2 and reply.ending == NOT_SPOKEN:
        return cell(
            NOT_APPLICABLE, note="no cleartext HTTP/2", reply=reply.as_json()
        )
    app = run.event(probe, APP_WAIT if reply.status else 0.2) or {}
    exception = app.get("exception")
    observed: dict[str, Any] = {"reply": reply.as_json(), "app": app}
    if reply.status is None:
        return no_reply(reply)
    wanted = [name.decode() for name, _ in probe_app.TRAILERS]
    got = [name for name, _ in reply.trailers if name in wanted]
    body_ok = reply.body == b"".join(probe_app.TRAILER_BODY)
    if reply.ending == TIMEOUT:
        return cell(
            HANGS,
            status=reply.status,
            exception=exception,
            note="the body never ends",
            **observed,
        )
    if reply.ending != COMPLETE or not body_ok:
        what = (
            "the chunked body never ends"
            if body_ok and reply.ending != COMPLETE
            else "the body is cut short"
        )
        return cell(
            NO,
            status=reply.status,
            exception=exception,
            note=f"{what} (connection {reply.ending})",
            **observed,
        )
    problems = []
    if app and not app.get("advertised"):
        problems.append("not advertised")
    if got == wanted:
        result = PARTIAL if problems else YES
    elif got:
        result = PARTIAL
        which = "the first" if got == wanted[:1] else len(got)
        problems.append(
            f"only {which} of {len(wanted)} trailers messages arrives"
        )
    else:
        result = NO
        problems.append(
            f"the app's send raises {short(exception)}"
            if exception
            else "dropped silently"
        )
    return cell(
        result,
        status=reply.status,
        exception=exception,
        note="; ".join(problems),
        seconds=reply.seconds,
        **observed,
    )


def probe_trailers_http1(run: Run) -> Cell:
    return _trailers(run, http2=False)


def probe_trailers_http2(run: Run) -> Cell:
    return _trailers(run, http2=True)


def probe_http_disconnect(run: Run) -> Cell:
    probe = run.next_id("disconnect")
    # The app returns as soon as it hears of the disconnect: waiting long
    # costs nothing where it works, and keeps a busy machine from failing.
    watch = 3 * run.profile.timeout
    left = probe_wire.http1_leave(
        run.port,
        f"/disconnect?id={probe}&seconds={watch}",
        run.profile.timeout,
    )
    if left is None:
        return cell(HANGS, note="no first chunk")
    gone = left.left
    app = run.event(probe, watch + 1.0)
    if app is None:
        return cell(HANGS, note="the app never finished")
    if app.get("disconnect"):
        return cell(YES, seconds=app["at"] - gone, message_keys=app["keys"])
    return cell(NO, note=f"no http.disconnect within {watch:.1f} s")


class ProbeError(Exception):
    """A probe that could not measure: the command fails, naming the cell."""


def _oserror(
    run: Run,
    leave: Callable[[int, str, float], probe_wire.Left | None],
) -> Cell:
    """Does ``send()`` raise once the client has left?

    The app sends every ``interval`` s, whatever ``send()`` does, and
    records each send's start and outcome. Only the sends that start once
    the connection is over for the client decide the cell. A WebSocket
    server may answer a send inside the closing handshake otherwise than
    after it: daphne raises autobahn's ``Disconnected`` while autobahn
    closes the connection and before daphne hears of it, a window of one
    or two loop turns that a send hits by chance. The result must not
    depend on such a race; what the window sends got is kept in
    ``observed``.
    """
    probe = run.next_id("send")
    profile = run.profile
    target = (
        f"/send?id={probe}&seconds={profile.watch + 0.2}"
        f"&interval={profile.interval}"
    )
    gone = leave(run.port, target, profile.timeout)
    if gone is None:
        return cell(HANGS, note="no first message")
    app = run.event(probe, profile.watch + 2.0)
    if app is None:
        return cell(HANGS, note="the app never finished")
    return sends_cell(app, gone)


def sends_cell(app: dict[str, Any], gone: probe_wire.Left) -> Cell:
    """The cell for the app's record of /send, once its client is ``gone``:
    decided by the sends that started after the connection was over."""
    left, closed = gone.left, gone.closed
    after = sum(1 for at in app["sends"] if at > left)
    raises = [(at, name, os) for at, name, os in app["raises"] if at > left]
    later = [at for at in app["sends"] if at > closed]
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
        return cell(
            NO,
            note=f"{after} sends after the client left, none raised",
            **observed,
        )
    if later:
        raise ProbeError(
            f"after the close, {len(later)} sends went through and "
            f"{len(later_raises)} raised: no single answer"
        )
    _, exception, oserror = later_raises[0]
    seconds = app["first_raise"]["at"] - left
    if oserror:
        return cell(YES, exception=exception, seconds=seconds, **observed)
    return cell(
        PARTIAL,
        exception=exception,
        seconds=seconds,
        note=f"raises {short(exception)}, not an OSError",
        **observed,
    )


def probe_oserror_http(run: Run) -> Cell:
    return _oserror(run, probe_wire.http1_leave)


def probe_oserror_websocket(run: Run) -> Cell:
    return _oserror(run, probe_wire.websocket_leave)


PROBES: dict[str, Probe] = {
    "spec_http": probe_spec_http,
    "spec_websocket": probe_spec_websocket,
    "close_before_accept": probe_close_before_accept,
    "denial": probe_denial,
    "denial_streamed": probe_denial_streamed,
    "trailers_http1": probe_trailers_http1,
    "trailers_http2": probe_trailers_http2,
    "http_disconnect": probe_http_disconnect,
    "oserror_http": probe_oserror_http,
    "oserror_websocket": probe_oserror_websocket,
}


# -- Running everything -----------------------------------------------------


def features_of(target: Target) -> list[Feature]:
    return [f for f in FEATURES if f.transport in target.transports]


def _guarded(run: Run, feature: Feature) -> Cell:
    """A probe's cell; a probe that raises is a failure of the command."""
    try:
        return PROBES[feature.id](run)
    except Exception as exc:  # the probe could not measure
        return cell(
            HANGS,
            note=f"probe failed: {type(exc).__name__}",
            error=f"{type(exc).__name__}: {exc}"[:200],
        )


def probe_process(
    process: Process, profile: Profile, folder: Path
) -> dict[str, Any]:
    """Start one server, probe every feature of its targets, stop it.

    What kept the probe from measuring goes to ``failures``, one message
    per server or cell: the server did not start, died during the probe,
    or a probe raised. "hangs" is only for a server that started, stayed
    up, and did not answer.
    """
    run = Run(process, profile, folder)
    jobs = [(t, f) for t in process.targets for f in features_of(t)]
    cells: dict[tuple[str, str], Cell] = {}
    failures: list[str] = []
    started = time.monotonic()
    try:
        run.start()
        if not run.started:
            failures.append(
                f"{process.id}: the server did not start: {run.crashed} "
                f"(no cell probed: {_names(jobs)})"
            )
        elif profile.concurrent:
            with ThreadPoolExecutor(len(jobs)) as pool:
                futures = {
                    (t.id, f.id): pool.submit(_guarded, run, f) for t, f in jobs
                }
                cells = {
                    key: future.result() for key, future in futures.items()
                }
        else:
            for target, feature in jobs:
                cells[target.id, feature.id] = _guarded(run, feature)
        death = run.death() if run.started else ""
        if death:
            failures.append(
                f"{process.id}: the server died during the probe ({death}); "
                f"cells probed: {_names(jobs)}"
            )
        for (target_id, feature_id), data in cells.items():
            if "error" in data.get("observed", {}):
                failures.append(
                    f"{cell_name(target_id, feature_id)}: the probe failed: "
                    f"{data['observed']['error']}"
                )
    finally:
        run.stop()
    result = {
        "process": process.id,
        "command": " ".join(
            ["python", *(a.replace("{port}", "PORT") for a in process.args)]
        ),
        "started": run.started,
        "start_seconds": None
        if run.start_seconds is None
        else round(run.start_seconds, 3),
        "stopped_by": run.stopped,
        "left_behind": run.leftovers,
        "seconds": round(time.monotonic() - started, 3),
        "pgid": run.popen.pid if run.popen else None,
        "log_errors": run.logged_errors(),
        "cells": {f"{t}|{f}": c for (t, f), c in cells.items()},
    }
    if failures:
        result["failures"] = failures
    return result


def _names(jobs: Sequence[tuple[Target, Feature]]) -> str:
    return ", ".join(cell_name(t.id, f.id) for t, f in jobs)


def versions() -> dict[str, str]:
    found = {}
    for name in VERSIONS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    return found


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "system": f"{platform.system()} {platform.release()}",
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
    }


def probe(
    processes: Sequence[Process] = PROCESSES,
    profile: Profile = FULL,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Probe ``processes``; return the support matrix document."""
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="probe-servers-") as folder:
        jobs = max(1, min(profile.jobs, len(processes)))
        with ThreadPoolExecutor(jobs) as pool:
            # The slowest to start (daphne, hypercorn) are listed last:
            # they start first.
            futures = {
                index: pool.submit(
                    probe_process, processes[index], profile, Path(folder)
                )
                for index in reversed(range(len(processes)))
            }
            runs = []
            for index in range(len(processes)):
                runs.append(futures[index].result())
                if progress:
                    run = runs[-1]
                    progress(f"  {run['process']:<40} {run['seconds']:5.1f} s")
    found = versions()
    servers = []
    for process, run in zip(processes, runs, strict=True):
        for target in process.targets:
            servers.append(
                {
                    "id": target.id,
                    "package": target.package,
                    "version": found.get(target.package, "?"),
                    "implementation": target.implementation,
                    "transports": list(target.transports),
                    "process": {
                        k: v
                        for k, v in run.items()
                        if k not in ("cells", "failures")
                    },
                    "cells": {
                        f.id: run["cells"][f"{target.id}|{f.id}"]
                        for f in features_of(target)
                        if f"{target.id}|{f.id}" in run["cells"]
                    },
                }
            )
    failures = [message for run in runs for message in run.get("failures", [])]
    return {
        **({"failures": failures} if failures else {}),
        "schema": SCHEMA,
        "generated_by": "scripts/matrix/probe.py (make matrix)",
        "probed": {
            "date": datetime.datetime.now(datetime.UTC).date().isoformat(),
            "profile": profile.name,
            "seconds": round(time.monotonic() - began, 2),
            "machine": machine(),
        },
        "versions": found,
        "features": [
            {
                "id": f.id,
                "label": f.label,
                "transport": f.transport,
                "question": f.question,
                "slides": list(f.slides),
            }
            for f in FEATURES
        ],
        "servers": servers,
    }


# -- Comparing with the committed matrix ------------------------------------


def categorical(data: Cell) -> dict[str, Any]:
    """What a comparison looks at: never timings."""
    return {key: data.get(key) for key in CATEGORICAL}


def describe(data: Cell | None) -> str:
    if data is None:
        return "nothing (not probed)"
    parts = [str(data.get("result"))]
    for key in CATEGORICAL[1:]:
        if data.get(key) not in (None, []):
            shown_value = data[key]
            if key == "exception":
                shown_value = short(shown_value)
            parts.append(f"{key} {shown_value}")
    text = ", ".join(parts)
    return f"{text} ({data['note']})" if data.get("note") else text


def differences(committed: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """One message per cell whose categorical result changed."""
    old = {s["id"]: s for s in committed["servers"]}
    new = {s["id"]: s for s in now["servers"]}
    messages = []
    for server in sorted(set(old) | set(new), key=_target_order):
        before = old.get(server, {}).get("cells", {})
        after = new.get(server, {}).get("cells", {})
        for feature in [f.id for f in FEATURES]:
            a, b = before.get(feature), after.get(feature)
            if a is None and b is None:
                continue
            if (
                a is not None
                and b is not None
                and (categorical(a) == categorical(b))
            ):
                continue
            messages.append(
                f"{cell_name(server, feature)}: the committed matrix says "
                f"{describe(a)}; the server now gives {describe(b)}. "
                f"Now wrong: {cell_slides(feature)}. "
                "Run `make matrix`, then update those slides."
            )
    old_versions, new_versions = committed["versions"], now["versions"]
    for name in sorted(set(old_versions) | set(new_versions)):
        if old_versions.get(name) != new_versions.get(name):
            messages.append(
                f"{name} {new_versions.get(name)} is installed, the matrix "
                f"was probed with {old_versions.get(name)}"
            )
    return messages


def _target_order(target: str) -> int:
    from scripts.matrix.catalog import TARGET_IDS

    return TARGET_IDS.index(target) if target in TARGET_IDS else 99


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if document.get("schema") != SCHEMA:
        raise ValueError(f"schema {document.get('schema')!r}, not {SCHEMA}")
    return document


def dumps(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def table(document: dict[str, Any]) -> str:
    """The matrix as plain text: one row per feature, one column per target."""
    servers = document["servers"]
    width = 14
    lines = [
        " " * 22
        + "".join(
            s["id"].replace("uvicorn-", "uv-")[: width - 1].ljust(width)
            for s in servers
        )
    ]
    for feature in FEATURES:
        row = feature.label.ljust(22)
        for server in servers:
            data = server["cells"].get(feature.id)
            text = (
                "-"
                if data is None
                else (
                    data.get("value")
                    if data["result"] == VALUE
                    else data["result"]
                )
            )
            row += str(text)[: width - 1].ljust(width)
        lines.append(row.rstrip())
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog="python -m scripts.matrix.probe",
        description=__doc__.split("\n\n")[0],
        epilog="Exit codes: 0 done, 1 differences (--compare), 2 bad input, "
        "3 a server or a probe failed (nothing written).",
    )
    result.add_argument(
        "--quick",
        action="store_true",
        help="every server and feature at once, short timeouts (the tests')",
    )
    result.add_argument(
        "--jobs",
        type=int,
        help="server processes at once (default: 1, or all with --quick)",
    )
    result.add_argument(
        "--output",
        type=Path,
        default=ROOT / OUTPUT,
        help="the JSON to write or compare with (default: %(default)s)",
    )
    result.add_argument(
        "--compare",
        action="store_true",
        help="write nothing; compare the results with --output",
    )
    return result


def main(
    argv: Sequence[str] | None = None,
    processes: Sequence[Process] = PROCESSES,
) -> int:
    """The command; ``processes`` are the servers to probe (tests pass a
    few of their own)."""
    args = parser().parse_args(argv)
    profile = QUICK if args.quick else FULL
    if args.jobs is not None:
        if args.jobs < 1:
            print("--jobs must be at least 1", file=sys.stderr)
            return 2
        profile = replace(profile, jobs=args.jobs)
    committed = None
    if args.compare:
        try:
            committed = load(args.output)
        except (OSError, ValueError) as exc:
            print(f"{shown(args.output, ROOT)}: {exc}", file=sys.stderr)
            return 2
    jobs = min(profile.jobs, len(processes))
    print(
        f"Probing {len(processes)} server processes ({profile.name}, "
        f"{jobs} at once)..."
    )
    document = probe(processes, profile, progress=print)
    print(table(document))
    failures = document.pop("failures", [])
    if failures:
        for message in failures:
            print(message, file=sys.stderr)
        print(
            f"{len(failures)} failure(s): the probe did not measure every "
            f"cell; {shown(args.output, ROOT)} and its picture are "
            "left as they were",
            file=sys.stderr,
        )
        return 3
    if committed is not None:
        found = differences(committed, document)
        for message in found:
            print(message)
        print(f"{len(found)} difference(s) with {shown(args.output, ROOT)}")
        return 1 if found else 0
    try:
        pictures = measured_pictures.pictures_for(
            str(OUTPUT), document, args.output.parent, ROOT / CACHE
        )
    except InputError as error:
        print(f"the new matrix cannot be drawn: {error}", file=sys.stderr)
        return 2
    measured_pictures.replace_together(
        {args.output: dumps(document), **pictures}, ROOT
    )
    print(
        f"probed in {document['probed']['seconds']:.1f} s; "
        f"{len(pictures) + 1} files replaced together"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
