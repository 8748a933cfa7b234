"""Time the code image builds, each run in a fresh process on a copy of the
demos, the manifest and the assets: full rebuilds (budget: under 2 s), no-op
builds and checks, then no-op `make check` and `make assets` (under 1 s)."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from subprocess import DEVNULL

from scripts.common import ROOT
from scripts.pictures.generator import ASSETS, MANIFEST, parser

FULL, NO_OP = 2.0, 1.0  # budgets, in seconds


def report(
    name: str, command: list[str], runs: int, budget: float, *empty: Path
) -> bool:
    """Time ``command`` (after removing ``empty``, untimed); in budget?"""
    times = []
    for _ in range(runs):
        for path in empty:
            shutil.rmtree(path, ignore_errors=True)
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, stdout=DEVNULL)  # noqa: S603
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    verdict = "ok" if median < budget else "OVER BUDGET"
    print(
        f"  {name:<44} best {min(times):5.2f} s  median {median:5.2f} s  "
        f"(budget < {budget:.0f} s: {verdict})"
    )
    return median < budget


def main(argv: Sequence[str] | None = None) -> int:
    cli = parser(__name__)
    each = "runs per case (default: %(default)s)"
    cli.add_argument("--runs", type=int, default=5, help=each)
    runs = cli.parse_args(argv).runs
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-assets-") as folder:
        tree, cache = Path(folder) / "tree", Path(folder) / "cache"
        ignore = shutil.ignore_patterns("__pycache__")
        shutil.copytree(ROOT / "demos", tree / "demos", ignore=ignore)
        shutil.copytree(ROOT / ASSETS, tree / ASSETS)
        shutil.copytree(ROOT / MANIFEST.parent, tree / MANIFEST.parent)
        build = [sys.executable, "-m", "scripts.pictures.code_images"]
        build += ["--root", str(tree), "--cache-dir", str(cache)]
        # A warm-up writes Python's bytecode cache, as on any machine, even
        # where PYTHONDONTWRITEBYTECODE is set (imports would add 1 s a run).
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(build, cwd=ROOT, env=env, check=True, stdout=DEVNULL)  # noqa: S603
        print(f"{len(os.sched_getaffinity(0))} cores, {runs} runs each:")
        for font, empty in (("cold", [cache]), ("warm", [])):
            name = f"full rebuild, {font} font cache"
            ok &= report(name, build, runs, FULL, tree / ASSETS, *empty)
        ok &= report("no-op build", build, runs, NO_OP)
        ok &= report("no-op --check", [*build, "--check"], runs, NO_OP)
    make = shutil.which("make")
    every = [sys.executable, "-m", "scripts.pictures", "--check"]
    fresh = subprocess.run(every, cwd=ROOT, capture_output=True)  # noqa: S603
    if make is None or fresh.returncode != 0:
        print("  (make targets skipped: no make, or the assets are stale)")
        return 0 if ok else 1
    for target in ("check", "assets"):
        name = f"no-op `make {target}`"
        ok &= report(name, [make, "-s", target], runs, NO_OP)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
