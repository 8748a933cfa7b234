"""Probe real ASGI servers for the talk's features: the support matrix.

Starts each server of scripts/matrix/catalog.py as a subprocess on
127.0.0.1 serving scripts/matrix/app.py (scripts/matrix/run.py), asks it
every feature with real clients (scripts/matrix/cells.py), stops its whole
process tree, and writes what it saw to assets/support_matrix.json and the
table drawn from it, assets/support_matrix.svg (``make matrix``): drawn in
memory first, then replaced together; a run that fails leaves both as they
were.

A server that started and then does not answer is a result ("hangs"). A
server that does not start or dies during the probe, and a probe that
raises, are failures of the command: it names the server or the cell and
writes nothing. ``--quick`` (the tests' profile): every server and feature
at once, short timeouts. ``--compare`` compares the categorical results
(result, status, value, exception) with the committed JSON, naming each
cell that changed and the slides it makes wrong; never timings.
"""

import argparse
import contextlib
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any

from scripts.assets import charts
from scripts.assets.code_images import CACHE
from scripts.exceptions import InputError
from scripts.files import shown
from scripts.matrix import catalog
from scripts.matrix.catalog import FEATURES, PROCESSES, Feature, Process, Target
from scripts.matrix.cells import PROBES, Cell, cell, short
from scripts.matrix.run import FULL, QUICK, ROOT, Profile, Run

OUTPUT = Path("assets/support_matrix.json")
SCHEMA = 1
CATEGORICAL = ("result", "value", "status", "exception", "extensions")
VERSIONS = (
    "uvicorn", "hypercorn", "granian", "daphne", "websockets", "wsproto",
    "h11", "httptools", "zttp", "h2", "twisted",
)
Document = dict[str, Any]


def features_of(target: Target) -> list[Feature]:
    return [f for f in FEATURES if f.transport in target.transports]


def _guarded(run: Run, feature: Feature) -> Cell:
    """A probe's cell; a probe that raises is a failure of the command."""
    try:
        return PROBES[feature.id](run)
    except Exception as exc:  # the probe could not measure
        name = type(exc).__name__
        return cell(catalog.HANGS, note=f"probe failed: {name}",
                    error=f"{name}: {exc}"[:200])


Jobs = list[tuple[Target, Feature]]


def _names(jobs: Jobs) -> str:
    return ", ".join(catalog.cell_name(t.id, f.id) for t, f in jobs)


def _cells(run: Run, jobs: Jobs) -> dict[tuple[str, str], Cell]:
    if not run.profile.concurrent:
        return {(t.id, f.id): _guarded(run, f) for t, f in jobs}
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = {(t.id, f.id): pool.submit(_guarded, run, f) for t, f in jobs}
        return {key: future.result() for key, future in futures.items()}


def _failures(
    run: Run, jobs: Jobs, cells: dict[tuple[str, str], Cell]
) -> list[str]:
    """What kept the probe from measuring, one message per server or cell:
    the server did not start, died during the probe, or a probe raised."""
    name = run.process.id
    if not run.started:
        return [f"{name}: the server did not start: {run.crashed} "
                f"(no cell probed: {_names(jobs)})"]
    failures = []
    death = run.death()
    if death:
        failures.append(f"{name}: the server died during the probe "
                        f"({death}); cells probed: {_names(jobs)}")
    for (target, feature), data in cells.items():
        if "error" in data.get("observed", {}):
            where = catalog.cell_name(target, feature)
            failures.append(f"{where}: the probe failed: "
                            f"{data['observed']['error']}")
    return failures


def probe_process(process: Process, profile: Profile, folder: Path) -> Document:
    """Start one server, probe every feature of its targets, stop it.
    "hangs" is only for a server that started, stayed up, and did not
    answer; the rest goes to ``failures`` (see ``_failures``)."""
    run = Run(process, profile, folder)
    jobs = [(t, f) for t in process.targets for f in features_of(t)]
    cells: dict[tuple[str, str], Cell] = {}
    started = time.monotonic()
    try:
        run.start()
        if run.started:
            cells = _cells(run, jobs)
        failures = _failures(run, jobs, cells)
    finally:
        run.stop()
    args = (a.replace("{port}", "PORT") for a in process.args)
    result = {
        "process": process.id,
        "command": " ".join(["python", *args]),
        "started": run.started,
        "start_seconds": None if run.start_seconds is None
        else round(run.start_seconds, 3),
        "stopped_by": run.stopped,
        "left_behind": run.leftovers,
        "seconds": round(time.monotonic() - started, 3),
        "pgid": run.server.pid if run.server else None,
        "log_errors": run.logged_errors(),
        "cells": {f"{t}|{f}": c for (t, f), c in cells.items()},
    }
    return {**result, "failures": failures} if failures else result


def versions(names: Iterable[str]) -> dict[str, str]:
    """The installed versions of the packages ``names`` that are installed."""
    found = {}
    for name in names:
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


def _runs(
    processes: Sequence[Process], profile: Profile,
    progress: Callable[[str], None] | None,
) -> list[Document]:
    jobs = max(1, min(profile.jobs, len(processes)))
    with tempfile.TemporaryDirectory(prefix="probe-servers-") as folder, (
        ThreadPoolExecutor(jobs)
    ) as pool:
        # The slowest to start (daphne, hypercorn) are listed last: they
        # start first.
        futures = {
            index: pool.submit(probe_process, process, profile, Path(folder))
            for index, process in reversed(list(enumerate(processes)))
        }
        runs = []
        for index in range(len(processes)):
            runs.append(run := futures[index].result())
            if progress:
                progress(f"  {run['process']:<40} {run['seconds']:5.1f} s")
    return runs


def _server(target: Target, run: Document, found: dict[str, str]) -> Document:
    cells = run["cells"]
    return {
        "id": target.id,
        "package": target.package,
        "version": found.get(target.package, "?"),
        "implementation": target.implementation,
        "transports": list(target.transports),
        "process": {
            k: v for k, v in run.items() if k not in ("cells", "failures")
        },
        "cells": {
            f.id: cells[f"{target.id}|{f.id}"]
            for f in features_of(target) if f"{target.id}|{f.id}" in cells
        },
    }


def probe(
    processes: Sequence[Process] = PROCESSES,
    profile: Profile = FULL,
    progress: Callable[[str], None] | None = None,
) -> Document:
    """Probe ``processes``; return the support matrix document."""
    began = time.monotonic()
    runs = _runs(processes, profile, progress)
    found = versions(VERSIONS)
    servers = [
        _server(target, run, found)
        for process, run in zip(processes, runs, strict=True)
        for target in process.targets
    ]
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
            {"id": f.id, "label": f.label, "transport": f.transport,
             "question": f.question, "slides": list(f.slides)}
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
            value = short(data[key]) if key == "exception" else data[key]
            parts.append(f"{key} {value}")
    text = ", ".join(parts)
    return f"{text} ({data['note']})" if data.get("note") else text


def differences(committed: Document, now: Document) -> list[str]:
    """One message per cell whose categorical result changed."""
    old = {s["id"]: s["cells"] for s in committed["servers"]}
    new = {s["id"]: s["cells"] for s in now["servers"]}
    order = {target: index for index, target in enumerate(catalog.TARGET_IDS)}
    messages = []
    for server in sorted(set(old) | set(new), key=lambda t: order.get(t, 99)):
        for feature in [f.id for f in FEATURES]:
            a = old.get(server, {}).get(feature)
            b = new.get(server, {}).get(feature)
            if a is b is None or (a and b and categorical(a) == categorical(b)):
                continue
            messages.append(
                f"{catalog.cell_name(server, feature)}: the committed matrix "
                f"says {describe(a)}; the server now gives {describe(b)}. "
                f"Now wrong: {catalog.cell_slides(feature)}. "
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


def load(path: Path) -> Document:
    document: Document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("schema") != SCHEMA:
        raise ValueError(f"schema {document.get('schema')!r}, not {SCHEMA}")
    return document


def table(document: Document) -> str:
    """The matrix as plain text: one row per feature, one column per target."""
    servers, width = document["servers"], 14
    head = "".join(s["id"].replace("uvicorn-", "uv-")[: width - 1].ljust(width)
                   for s in servers)
    lines = [" " * 22 + head]
    for feature in FEATURES:
        row = feature.label.ljust(22)
        for server in servers:
            data = server["cells"].get(feature.id)
            text = "-" if data is None else data["result"]
            if text == catalog.VALUE:
                text = data["value"]
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
    add = result.add_argument
    add("--quick", action="store_true",
        help="every server and feature at once, short timeouts (the tests')")
    add("--jobs", type=int,
        help="server processes at once (default: 1, or all with --quick)")
    add("--output", type=Path, default=ROOT / OUTPUT,
        help="the JSON to write or compare with (default: %(default)s)")
    add("--compare", action="store_true",
        help="write nothing; compare the results with --output")
    return result


def write_together(
    source: Path, document: Document, output: Path, what: str
) -> int | None:
    """Draw the pictures of ``document`` (committed as ``source``) in
    memory, then replace ``output`` and them together: how many files.
    None if they cannot be drawn (said, naming them ``what``)."""
    try:
        pictures = charts.pictures_for(
            str(source), document, output.parent, ROOT / CACHE
        )
    except InputError as error:
        print(f"the new {what} cannot be drawn: {error}", file=sys.stderr)
        return None
    data = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    charts.replace_together({output: data.encode(), **pictures}, ROOT)
    return len(pictures) + 1


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
    output = shown(args.output, ROOT)
    committed = None
    if args.compare:
        try:
            committed = load(args.output)
        except (OSError, ValueError) as exc:
            print(f"{output}: {exc}", file=sys.stderr)
            return 2
    print(f"Probing {len(processes)} server processes ({profile.name}, "
          f"{min(profile.jobs, len(processes))} at once)...")
    document = probe(processes, profile, progress=print)
    print(table(document))
    failures = document.pop("failures", [])
    if failures:
        print(*failures, sep="\n", file=sys.stderr)
        print(f"{len(failures)} failure(s): the probe did not measure every "
              f"cell; {output} and its picture are left as they were",
              file=sys.stderr)
        return 3
    if committed is not None:
        found = differences(committed, document)
        for message in found:
            print(message)
        print(f"{len(found)} difference(s) with {output}")
        return 1 if found else 0
    written = write_together(OUTPUT, document, args.output, "matrix")
    if written is None:
        return 2
    print(f"probed in {document['probed']['seconds']:.1f} s; "
          f"{written} files replaced together")
    return 0


if __name__ == "__main__":
    sys.exit(main())
