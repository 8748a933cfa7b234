"""Probe real ASGI servers for the talk's features: the support matrix,
assets/support_matrix.json (nothing is written if a server or a probe fails).

Each server of catalog.py serves app.py, started and stopped as a ``Probed``
(probed.py); cells.py asks it every feature."""

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scripts.common import (
    ROOT,
    SCHEMA,
    command,
    header,
    shown,
    versions,
    write_atomic,
)
from scripts.matrix import catalog
from scripts.matrix.catalog import (
    FEATURES,
    FULL,
    PROCESSES,
    QUICK,
    Feature,
    Process,
    Profile,
    Target,
)
from scripts.matrix.cells import Cell, guarded, short
from scripts.matrix.probed import Probed

OUTPUT = ROOT / "assets/support_matrix.json"
CATEGORICAL = ("result", "value", "status", "exception", "extensions")
VERSIONS = ("uvicorn", "hypercorn", "granian", "daphne", "websockets",
            "wsproto", "h11", "httptools", "zttp", "h2", "twisted")
Document = dict[str, Any]
Jobs = list[tuple[Target, Feature]]
Cells = dict[tuple[str, str], Cell]  # by target and feature


def features_of(target: Target) -> list[Feature]:
    return [f for f in FEATURES if f.transport in target.transports]


def _failures(probed: Probed, jobs: Jobs, cells: Cells) -> list[str]:
    """Why the probe did not measure: no start, a death, a probe raised."""
    names = ", ".join(catalog.cell_name(t.id, f.id) for t, f in jobs)
    if not probed.started:
        return [f"{probed.process.id}: the server did not start: "
                f"{probed.crashed} (no cell probed: {names})"]
    death = probed.death()
    failures = [f"{probed.process.id}: the server died during the probe "
                f"({death}); cells probed: {names}"] if death else []
    return failures + [
        f"{catalog.cell_name(*key)}: the probe failed: "
        f"{data['observed']['error']}"
        for key, data in cells.items() if "error" in data.get("observed", {})
    ]


def probe_process(process: Process, profile: Profile, folder: Path) -> Document:
    """Start one server, probe every feature of its targets, stop it."""
    probed, started = Probed(process, profile, folder), time.monotonic()
    jobs = [(t, f) for t in process.targets for f in features_of(t)]
    cells: Cells = {}
    try:
        probed.start()
        workers = len(jobs) if profile.concurrent and jobs else 1
        with ThreadPoolExecutor(workers) as pool:
            futures = {(t.id, f.id): pool.submit(guarded, probed, f.id)
                       for t, f in jobs if probed.started}
            cells = {key: future.result() for key, future in futures.items()}
        failures = _failures(probed, jobs, cells)
    finally:
        probed.stop()
    return {
        "process": process.id,
        "command": " ".join(["python", *process.command(profile, "PORT")]),
        "started": probed.started,
        "start_seconds": None if probed.start_seconds is None
        else round(probed.start_seconds, 3),
        "stopped_by": probed.stopped,
        "left_behind": probed.leftovers,
        "seconds": round(time.monotonic() - started, 3),
        "pgid": probed.server.pid if probed.server else None,
        "log_errors": probed.logged_errors(),
        "cells": cells, "failures": failures,
    }


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
            done = future.result()
            progress(f"  {done['process']:<40} {done['seconds']:5.1f} s")
        results = [future.result() for future in futures]
    found = versions(VERSIONS)
    failures = [message for done in results for message in done["failures"]]
    seconds = round(time.monotonic() - began, 2)
    return {
        **({"failures": failures} if failures else {}),
        **header("scripts/matrix/probe.py (make matrix)", "probed",
                 profile.name, seconds, found),
        "features": [asdict(feature) for feature in FEATURES],
        "servers": [_target(target, done, found)
                    for process, done in zip(processes, results, strict=True)
                    for target in process.targets],
    }


def _target(target: Target, done: Document, found: dict[str, str]) -> Document:
    """A target's row of the JSON, from its process's probe (``done``)."""
    omitted = ("cells", "failures")
    return {
        "id": target.id, "package": target.package,
        "version": found.get(target.package, "?"),
        "implementation": target.implementation,
        "transports": list(target.transports),
        "process": {k: v for k, v in done.items() if k not in omitted},
        "cells": {f.id: done["cells"][target.id, f.id] for f in features_of(
            target) if (target.id, f.id) in done["cells"]},
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


def read(path: Path) -> Document:
    document: Document = json.loads(path.read_text(encoding="utf-8"))
    if document.get("schema") != SCHEMA:
        raise ValueError(f"schema {document.get('schema')!r}, not {SCHEMA}")
    return document


def parser() -> argparse.ArgumentParser:
    return command(
        "scripts.matrix.probe", __doc__, "1 differences (--compare), "
        "2 bad input, 3 a server or a probe failed",
        quick={"action": "store_true", "help": "every server and feature at "
               "once, short timeouts (the tests')"},
        output={"type": Path, "default": OUTPUT, "help": "the JSON to "
                "write or compare with (default: %(default)s)"},
        compare={"action": "store_true", "help": "write nothing; compare the "
                 "categorical results (never timings) with --output, naming "
                 "each changed cell and its slides"},
    )


def main(
    argv: Sequence[str] | None = None,
    processes: Sequence[Process] = PROCESSES,
) -> int:
    """The command; tests pass ``processes`` of their own."""
    args = parser().parse_args(argv)
    profile, output = QUICK if args.quick else FULL, shown(args.output, ROOT)
    try:
        committed = read(args.output) if args.compare else None
    except (OSError, ValueError) as exc:
        print(f"{output}: {exc}", file=sys.stderr)
        return 2
    if not args.output.parent.is_dir():
        print(f"{shown(args.output.parent, ROOT)}: no such folder",
              file=sys.stderr)
        return 2
    print(f"Probing {len(processes)} server processes ({profile.name}, "
          f"{min(profile.jobs, len(processes))} at once)...")
    document = probe(processes, profile, progress=print)
    if failures := document.pop("failures", []):
        print(*failures, sep="\n", file=sys.stderr)
        print(f"{len(failures)} failure(s): the probe did not measure every "
              f"cell; {output} is left as it was", file=sys.stderr)
        return 3
    if committed is not None:
        found = differences(committed, document)
        print(*found, f"{len(found)} difference(s) with {output}", sep="\n")
        return 1 if found else 0
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        write_atomic(args.output, text.encode())
    except OSError as error:
        print(f"{output}: {error.strerror}", file=sys.stderr)
        return 2
    print(f"{output}: probed in {document['probed']['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
