"""Probe real ASGI servers for the talk's features: the support matrix.

Each server of catalog.py serves app.py, started and stopped by run.py;
cells.py asks it every feature."""

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from scripts.common import ROOT, InputError, command, header, shown, versions
from scripts.matrix import catalog
from scripts.matrix.catalog import FEATURES, PROCESSES, Feature, Process, Target
from scripts.matrix.cells import Cell, guarded, short
from scripts.matrix.run import FULL, QUICK, Profile, Run, arguments
from scripts.pictures import charts
from scripts.pictures.code_images import CACHE

OUTPUT = Path("assets/support_matrix.json")
SCHEMA = 1
CATEGORICAL = ("result", "value", "status", "exception", "extensions")
VERSIONS = ("uvicorn", "hypercorn", "granian", "daphne", "websockets",
            "wsproto", "h11", "httptools", "zttp", "h2", "twisted")
Document = dict[str, Any]
Jobs = list[tuple[Target, Feature]]


def features_of(target: Target) -> list[Feature]:
    return [f for f in FEATURES if f.transport in target.transports]


def _failures(run: Run, jobs: Jobs, cells: dict[str, Cell]) -> list[str]:
    """Why the probe did not measure: no start, a death, a probe raised."""
    names = ", ".join(catalog.cell_name(t.id, f.id) for t, f in jobs)
    if not run.started:
        return [f"{run.process.id}: the server did not start: {run.crashed} "
                f"(no cell probed: {names})"]
    death = run.death()
    failures = [f"{run.process.id}: the server died during the probe "
                f"({death}); cells probed: {names}"] if death else []
    return failures + [
        f"{catalog.cell_name(*key.split('|'))}: the probe failed: "
        f"{data['observed']['error']}"
        for key, data in cells.items() if "error" in data.get("observed", {})
    ]


def probe_process(process: Process, profile: Profile, folder: Path) -> Document:
    """Start one server, probe every feature of its targets, stop it."""
    run, started = Run(process, profile, folder), time.monotonic()
    jobs = [(t, f) for t in process.targets for f in features_of(t)]
    cells: dict[str, Cell] = {}
    try:
        run.start()
        with ThreadPoolExecutor(len(jobs) if profile.concurrent else 1) as pool:
            futures = {f"{t.id}|{f.id}": pool.submit(guarded, run, f.id)
                       for t, f in jobs if run.started}
            cells = {key: future.result() for key, future in futures.items()}
        failures = _failures(run, jobs, cells)
    finally:
        run.stop()
    args = arguments(process, profile, "PORT")
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
        "cells": cells,
    }
    return {**result, "failures": failures} if failures else result


def probe(
    processes: Sequence[Process] = PROCESSES, profile: Profile = FULL,
    progress: Callable[[str], None] = lambda line: None,
) -> Document:
    """Probe ``processes``; return the support matrix document."""
    began, jobs = time.monotonic(), max(1, min(profile.jobs, len(processes)))
    with tempfile.TemporaryDirectory(prefix="probe-servers-") as folder, (
        ThreadPoolExecutor(jobs)
    ) as pool:
        # The slowest to start (daphne, hypercorn) are last: they start first.
        futures = [pool.submit(probe_process, process, profile, Path(folder))
                   for process in reversed(processes)][::-1]
        for future in futures:
            run = future.result()
            progress(f"  {run['process']:<40} {run['seconds']:5.1f} s")
        runs = [future.result() for future in futures]
    found = versions(VERSIONS)
    failures = [message for run in runs for message in run.pop("failures", [])]
    seconds = round(time.monotonic() - began, 2)
    return {
        **({"failures": failures} if failures else {}),
        **header("scripts/matrix/probe.py (make matrix)", "probed",
                 profile.name, seconds, found),
        "features": [asdict(feature) for feature in FEATURES],
        "servers": [_server(target, run, found)
                    for process, run in zip(processes, runs, strict=True)
                    for target in process.targets],
    }


def _server(target: Target, run: Document, found: dict[str, str]) -> Document:
    cells = run["cells"]
    return {
        "id": target.id, "package": target.package,
        "version": found.get(target.package, "?"),
        "implementation": target.implementation,
        "transports": list(target.transports),
        "process": {key: value for key, value in run.items() if key != "cells"},
        "cells": {f.id: cells[f"{target.id}|{f.id}"] for f in features_of(
            target) if f"{target.id}|{f.id}" in cells},
    }


def describe(data: Cell | None) -> str:
    if data is None:
        return "nothing (not probed)"
    parts = [str(data.get("result"))] + [
        f"{key} {short(data[key]) if key == 'exception' else data[key]}"
        for key in CATEGORICAL[1:] if data.get(key) not in (None, [])
    ]
    text = ", ".join(parts)
    return f"{text} ({data['note']})" if data.get("note") else text


def differences(committed: Document, now: Document) -> list[str]:
    """A message per cell whose categorical result changed, and per version."""
    old = {s["id"]: s["cells"] for s in committed["servers"]}
    new = {s["id"]: s["cells"] for s in now["servers"]}
    order = {target: index for index, target in enumerate(catalog.TARGET_IDS)}
    messages = []
    for server in sorted(set(old) | set(new), key=lambda t: order.get(t, 99)):
        for feature in [f.id for f in FEATURES]:
            a = old.get(server, {}).get(feature)
            b = new.get(server, {}).get(feature)
            if a is b is None or (a and b and all(
                a.get(key) == b.get(key) for key in CATEGORICAL
            )):
                continue
            messages.append(
                f"{catalog.cell_name(server, feature)}: the committed matrix "
                f"says {describe(a)}; the server now gives {describe(b)}. "
                f"Now wrong: {catalog.cell_slides(feature)}. "
                "Run `make matrix`, then update those slides."
            )
    was, now_ = committed["versions"], now["versions"]
    return messages + [
        f"{name} {now_.get(name)} is installed, the matrix was probed with "
        f"{was.get(name)}"
        for name in sorted(set(was) | set(now_))
        if was.get(name) != now_.get(name)
    ]


def load(path: Path) -> Document:
    document: Document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("schema") != SCHEMA:
        raise ValueError(f"schema {document.get('schema')!r}, not {SCHEMA}")
    return document


def table(document: Document) -> str:
    """The matrix as plain text: one row per feature, one column per target."""
    servers = document["servers"]
    ids = [s["id"].replace("uvicorn-", "uv-") for s in servers]
    lines = [" " * 22 + "".join(f"{i[:13]:<14}" for i in ids)]
    for feature in FEATURES:
        row = feature.label.ljust(22)
        for server in servers:
            data = server["cells"].get(feature.id) or {"result": "-"}
            result = data["result"]
            text = data["value"] if result == catalog.VALUE else result
            row += f"{str(text)[:13]:<14}"
        lines.append(row.rstrip())
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    return command(
        "scripts.matrix.probe", __doc__, "1 differences (--compare), "
        "2 bad input, 3 a server or a probe failed",
        quick={"action": "store_true", "help": "every server and feature at "
               "once, short timeouts (the tests')"},
        jobs={"type": int, "help": "server processes at once (default: 1, "
              "or all with --quick)"},
        output={"type": Path, "default": ROOT / OUTPUT, "help": "the JSON to "
                "write or compare with (default: %(default)s)"},
        compare={"action": "store_true", "help": "write nothing; compare the "
                 "categorical results (never timings) with --output, naming "
                 "each changed cell and its slides"},
    )


def write_together(
    source: Path, document: Document, output: Path, what: str
) -> int | None:
    """Draw ``document``'s pictures, then replace them and ``output``
    together: how many files; None if they cannot be drawn (said)."""
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
    """The command; tests pass ``processes`` of their own."""
    args = parser().parse_args(argv)
    profile, output = QUICK if args.quick else FULL, shown(args.output, ROOT)
    if args.jobs is not None and args.jobs < 1:
        print("--jobs must be at least 1", file=sys.stderr)
        return 2
    profile = replace(profile, jobs=args.jobs or profile.jobs)
    try:
        committed = load(args.output) if args.compare else None
    except (OSError, ValueError) as exc:
        print(f"{output}: {exc}", file=sys.stderr)
        return 2
    print(f"Probing {len(processes)} server processes ({profile.name}, "
          f"{min(profile.jobs, len(processes))} at once)...")
    document = probe(processes, profile, progress=print)
    print(table(document))
    if failures := document.pop("failures", []):
        print(*failures, sep="\n", file=sys.stderr)
        print(f"{len(failures)} failure(s): the probe did not measure every "
              f"cell; {output} and its picture are left as they were",
              file=sys.stderr)
        return 3
    if committed is not None:
        found = differences(committed, document)
        print(*found, f"{len(found)} difference(s) with {output}", sep="\n")
        return 1 if found else 0
    if (written := write_together(OUTPUT, document, args.output, "matrix")):
        print(f"probed in {document['probed']['seconds']:.1f} s; "
              f"{written} files replaced together")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
