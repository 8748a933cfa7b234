"""Time the code image builds: full rebuilds, and no-op builds and checks.

Each case runs the real command in a fresh process, on a copy of the demos,
the manifest and the assets in a temporary folder, so the repository is
left alone; then `make -s check` and `make -s assets` run in the repository
itself, if it is up to date (so that both are no-ops). Prints the best and
the median wall time of each, against the targets: a full rebuild under
2 s, a no-op build or check under 1 s.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from scripts.assets.code_images import ASSETS, MANIFEST, ROOT

FULL_TARGET = 2.0
NO_OP_TARGET = 1.0


def copy_tree(root: Path, into: Path) -> None:
    """Copy what the build reads and writes: demos, manifest, assets."""
    shutil.copytree(root / "demos", into / "demos", ignore=_no_cache)
    (into / MANIFEST).parent.mkdir(parents=True)
    shutil.copy2(root / MANIFEST, into / MANIFEST)
    shutil.copytree(root / ASSETS, into / ASSETS)


def _no_cache(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name == "__pycache__"]


def _nothing() -> None:
    pass


def timed(command: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    """Wall time of one run; fail loudly if the command fails."""
    start = time.perf_counter()
    subprocess.run(  # noqa: S603
        command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def measure(
    runs: int, before: Callable[[], None], run: Callable[[], float]
) -> list[float]:
    times = []
    for _ in range(runs):
        before()
        times.append(run())
    return times


def report(name: str, times: list[float], target: float) -> bool:
    best, median = min(times), statistics.median(times)
    verdict = "ok" if median < target else "OVER TARGET"
    print(
        f"  {name:<44} best {best:5.2f} s  median {median:5.2f} s  "
        f"(target < {target:.0f} s: {verdict})"
    )
    return median < target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.assets.timing",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="runs per case (default: 5)"
    )
    args = parser.parse_args(argv)
    env = dict(os.environ)
    # Python writes its bytecode cache on a first run, unless told not to;
    # let this warm-up run write it, as on any developer's machine, so the
    # timings are not of compiling fontTools and Pygments again each time.
    warm = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    build = [sys.executable, "-m", "scripts.assets.code_images"]
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-assets-") as folder:
        tree, cache = Path(folder) / "tree", Path(folder) / "cache"
        copy_tree(ROOT, tree)
        on_copy = [*build, "--root", str(tree), "--cache-dir", str(cache)]
        subprocess.run(  # noqa: S603
            on_copy, cwd=ROOT, env=warm, check=True, stdout=subprocess.DEVNULL
        )

        def empty_assets() -> None:
            shutil.rmtree(tree / ASSETS)

        def empty_all() -> None:
            empty_assets()
            shutil.rmtree(cache, ignore_errors=True)

        def run(*extra: str) -> Callable[[], float]:
            return lambda: timed([*on_copy, *extra], ROOT, env)

        print(f"{len(os.sched_getaffinity(0))} cores, {args.runs} runs each:")
        cases = [
            ("full rebuild, cold font cache", empty_all, run(), FULL_TARGET),
            ("full rebuild, warm font cache", empty_assets, run(), FULL_TARGET),
            ("no-op build", _nothing, run(), NO_OP_TARGET),
            ("no-op --check", _nothing, run("--check"), NO_OP_TARGET),
        ]
        for name, before, case, goal in cases:
            ok &= report(name, measure(args.runs, before, case), goal)
    make = shutil.which("make")
    check = subprocess.run(  # noqa: S603
        [*build, "--check"], cwd=ROOT, env=env, capture_output=True
    )
    if make is None or check.returncode != 0:
        print("  (make targets skipped: no make, or the assets are stale)")
    else:
        for target in ("check", "assets"):
            command = [make, "-s", target]
            times = [timed(command, ROOT, env) for _ in range(args.runs)]
            ok &= report(f"no-op `make {target}`", times, NO_OP_TARGET)
    if "PYTHONDONTWRITEBYTECODE" in env:
        print("  (PYTHONDONTWRITEBYTECODE is set: timed from the warm-up's")
        print("   bytecode cache; without one, imports add about 1 s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
