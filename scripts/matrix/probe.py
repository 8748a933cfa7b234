"""Probe real ASGI servers for the talk's features: the support matrix,
assets/support_matrix.json (nothing is written if a server or a probe fails).

Each server of catalog.py serves app.py, as an app.Probed; cells.py asks it
every feature."""

import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from scripts.common import ROOT, command, header, measured
from scripts.matrix import catalog
from scripts.matrix.catalog import FEATURES, FULL, QUICK, Process, Profile
from scripts.matrix.cells import Cell, ProbeError, guarded
from scripts.matrix.probed import Probed

OUTPUT = ROOT / "assets/support_matrix.json"
VERSIONS = ("uvicorn", "hypercorn", "granian", "daphne", "websockets",
            "wsproto", "h11", "httptools", "zttp", "h2", "twisted")
Document = dict[str, Any]
Cells = dict[tuple[str, str], Cell]  # by target and feature


def _failures(
    probed: Probed, keys: list[tuple[str, str]], cells: Cells
) -> list[str]:
    """Why the probe did not measure: no start, a death, a probe raised."""
    names = ", ".join(catalog.cell_name(*key) for key in keys)
    if not probed.started:
        return [f"{probed.process.id}: the server did not start: "
                f"{probed.crashed} (no cell probed: {names})"]
    death = probed.death()
    failures = [f"{probed.process.id}: the server died during the probe "
                f"({death}); cells probed: {names}"] if death else []
    return failures + [f"{catalog.cell_name(*key)}: the probe failed: "
                       f"{data['observed']['error']}" for key, data in
                       cells.items() if "error" in data.get("observed", {})]


def probe_process(
    process: Process, profile: Profile, folder: Path
) -> tuple[Document, Cells, list[str]]:
    """Start one server, probe every feature of its targets, stop it: the
    process's part of the JSON, its cells and its failures."""
    probed, began = Probed(process, profile, folder), time.monotonic()
    keys = [(t.id, f.id) for t in process.targets for f in FEATURES
            if f.transport in t.transports]
    cells: Cells = {}
    try:
        probed.start()
        workers = len(keys) if profile.jobs > 1 and keys else 1
        with ThreadPoolExecutor(workers) as pool:
            if probed.started:
                cells = dict(zip(keys, pool.map(
                    lambda key: guarded(probed, key[1]), keys), strict=True))
        failures = _failures(probed, keys, cells)
    finally:
        stopped_by, left_behind = probed.stop()
    return {
        "process": process.id,
        "command": " ".join(["python", *process.command(profile, "PORT")]),
        "started": probed.started,
        "stopped_by": stopped_by, "left_behind": left_behind,
        "seconds": round(time.monotonic() - began, 3),
        "pgid": probed.server.pid if probed.server else None,
    }, cells, failures


def probe(
    processes: Sequence[Process] = catalog.PROCESSES, profile: Profile = FULL,
    progress: Callable[[str], None] = lambda line: None,
) -> Document:
    """Probe ``processes``; return the support matrix document."""
    began, jobs = time.monotonic(), max(1, min(profile.jobs, len(processes)))
    with (tempfile.TemporaryDirectory(prefix="probe-servers-") as folder,
          ThreadPoolExecutor(jobs) as pool):
        # The slowest to start (daphne, hypercorn) are last: they start first.
        futures = [pool.submit(probe_process, process, profile, Path(folder))
                   for process in reversed(processes)][::-1]
        for future in futures:
            done = future.result()[0]
            progress(f"  {done['process']:<44} {done['seconds']:5.1f} s")
    results = [future.result() for future in futures]
    failures = [message for *_, failed in results for message in failed]
    head = header("scripts/matrix/probe.py (make matrix)", "probed",
                  profile.name, round(time.monotonic() - began, 2), VERSIONS)
    return {
        **({"failures": failures} if failures else {}), **head,
        "features": [feature._asdict() for feature in FEATURES],
        "servers": [
            {"id": t.id, "package": t.package,
             "version": head["versions"].get(t.package, "?"),
             "implementation": t.implementation,
             "transports": list(t.transports), "process": done,
             "cells": {f: c for (i, f), c in cells.items() if i == t.id}}
            for process, (done, cells, _) in zip(processes, results,
                                                 strict=True)
            for t in process.targets
        ],
    }


def main(
    argv: Sequence[str] | None = None,
    processes: Sequence[Process] = catalog.PROCESSES,
) -> int:
    """The command; tests pass ``processes`` of their own."""
    args = command(
        "scripts.matrix.probe", __doc__, "2 bad input, 3 a server or a probe "
        "failed", quick={"action": "store_true", "help": "every server and "
                         "feature at once, short timeouts (the tests')"},
        output={"type": Path, "default": OUTPUT, "help": "the JSON to write "
                "(default: %(default)s)"},
    ).parse_args(argv)
    profile = QUICK if args.quick else FULL

    def measure() -> Document:
        print(f"Probing {len(processes)} server processes ({profile.name}, "
              f"{min(profile.jobs, len(processes))} at once)...")
        document = probe(processes, profile, progress=print)
        if failures := document.pop("failures", []):
            failures.append(f"{len(failures)} failure(s): the probe did "
                            "not measure every cell")
            raise ProbeError("\n".join(failures))
        return document

    return measured(args.output, measure, "probed", (ProbeError,))


if __name__ == "__main__":
    sys.exit(main())
