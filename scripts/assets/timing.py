"""Time the code image builds: full rebuilds, and no-op builds and checks.

Each case runs the real command in a fresh process (timeit) on a copy of the
demos, the manifest and the assets, then `make -s check` and `make -s assets`
in the repository if it is up to date (so both are no-ops). Prints the best
and median times against the budgets: full < 2 s, no-op < 1 s.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Sequence
from pathlib import Path

from scripts.assets import generator
from scripts.assets.code_images import ASSETS, MANIFEST, ROOT

FULL, NO_OP = 2.0, 1.0  # budgets, in seconds


def copy_tree(root: Path, into: Path) -> None:
    """Copy what the build reads and writes: demos, manifest, assets."""
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(root / "demos", into / "demos", ignore=ignore)
    (into / MANIFEST).parent.mkdir(parents=True)
    shutil.copy2(root / MANIFEST, into / MANIFEST)
    shutil.copytree(root / ASSETS, into / ASSETS)


def report(
    name: str, command: list[str], runs: int, budget: float, *empty: Path
) -> bool:
    """Time ``command`` (after removing ``empty``, untimed); in budget?"""

    def run() -> None:
        out = subprocess.DEVNULL
        subprocess.run(command, cwd=ROOT, check=True, stdout=out)  # noqa: S603

    def setup() -> None:
        for path in empty:
            shutil.rmtree(path, ignore_errors=True)

    times = timeit.repeat(run, setup, repeat=runs, number=1)
    best, median = min(times), statistics.median(times)
    verdict = "ok" if median < budget else "OVER BUDGET"
    print(
        f"  {name:<44} best {best:5.2f} s  median {median:5.2f} s  "
        f"(budget < {budget:.0f} s: {verdict})"
    )
    return median < budget


def main(argv: Sequence[str] | None = None) -> int:
    parser = generator.parser(__name__)
    runs_help = "runs per case (default: %(default)s)"
    parser.add_argument("--runs", type=int, default=5, help=runs_help)
    runs = parser.parse_args(argv).runs
    build = [sys.executable, "-m", "scripts.assets.code_images"]
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-assets-") as folder:
        tree, cache = Path(folder) / "tree", Path(folder) / "cache"
        copy_tree(ROOT, tree)
        copy = [*build, "--root", str(tree), "--cache-dir", str(cache)]
        # A warm-up: Python writes its bytecode cache, as on any machine,
        # even where PYTHONDONTWRITEBYTECODE is set (imports without it
        # would add about 1 s to every run).
        env = dict(os.environ)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run(  # noqa: S603
            copy, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
        print(f"{len(os.sched_getaffinity(0))} cores, {runs} runs each:")
        assets = tree / ASSETS
        for font, empty in (("cold", (assets, cache)), ("warm", (assets,))):
            name = f"full rebuild, {font} font cache"
            ok &= report(name, copy, runs, FULL, *empty)

        ok &= report("no-op build", copy, runs, NO_OP)
        ok &= report("no-op --check", [*copy, "--check"], runs, NO_OP)
    make = shutil.which("make")
    every = [sys.executable, "-m", "scripts.assets", "--check"]
    fresh = subprocess.run(every, cwd=ROOT, capture_output=True)  # noqa: S603
    if make is None or fresh.returncode != 0:
        print("  (make targets skipped: no make, or the assets are stale)")
    else:
        for target in ("check", "assets"):
            command = [make, "-s", target]
            ok &= report(f"no-op `make {target}`", command, runs, NO_OP)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
