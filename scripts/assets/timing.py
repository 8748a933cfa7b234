"""Time the code image builds: full rebuilds, and no-op builds and checks.

Each case runs the real command in a fresh process, timed by the standard
library's timeit, on a copy of the demos, the manifest and the assets in a
temporary folder, so the repository is left alone; then `make -s check` and
`make -s assets` run in the repository itself, if it is up to date (so that
both are no-ops). Prints the best and the median wall time of each, against
the budgets: a full rebuild under 2 s, a no-op build or check under 1 s.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import timeit
from collections.abc import Callable, Sequence
from pathlib import Path

from scripts.assets.code_images import ASSETS, MANIFEST, ROOT

FULL, NO_OP = 2.0, 1.0  # budgets, in seconds


def copy_tree(root: Path, into: Path) -> None:
    """Copy what the build reads and writes: demos, manifest, assets."""
    ignore = shutil.ignore_patterns("__pycache__")
    shutil.copytree(root / "demos", into / "demos", ignore=ignore)
    (into / MANIFEST).parent.mkdir(parents=True)
    shutil.copy2(root / MANIFEST, into / MANIFEST)
    shutil.copytree(root / ASSETS, into / ASSETS)


def emptied(*folders: Path) -> Callable[[], None]:
    """A setup that removes ``folders``, for the next run to make again."""

    def setup() -> None:
        for path in folders:
            shutil.rmtree(path, ignore_errors=True)

    return setup


def report(
    name: str,
    command: list[str],
    runs: int,
    budget: float,
    setup: Callable[[], object] = lambda: None,
) -> bool:
    """Time ``command`` (after ``setup``, untimed) and print it; in budget?"""

    def run() -> None:
        subprocess.run(  # noqa: S603
            command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )

    times = timeit.repeat(run, setup, repeat=runs, number=1)
    best, median = min(times), statistics.median(times)
    verdict = "ok" if median < budget else "OVER BUDGET"
    print(
        f"  {name:<44} best {best:5.2f} s  median {median:5.2f} s  "
        f"(budget < {budget:.0f} s: {verdict})"
    )
    return median < budget


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.assets.timing",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="runs per case (default: 5)"
    )
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
        cold, warm = emptied(tree / ASSETS, cache), emptied(tree / ASSETS)
        ok &= report("full rebuild, cold font cache", copy, runs, FULL, cold)
        ok &= report("full rebuild, warm font cache", copy, runs, FULL, warm)
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
