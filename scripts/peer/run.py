"""Run uvicorn's own tests on the prototype of uvicorn #3085.

The pinned uvicorn's sdist (uv.lock: its url and sha256) ships its tests.
They take the HTTP protocol class from a fixture, so a pytest plugin
(scripts/peer/plugin.py) gives them demos/oserror_protocols.py's classes
with no test body edited. Only tests/ and pyproject.toml are extracted:
the installed uvicorn is the one tested. The run passes when the tests
that fail are exactly the expected divergences listed here.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx2

from scripts.common import ROOT, InputError
from scripts.peer import plugin
from scripts.peer.sdist import extract_tests, fetch, pinned

LOCK, CACHE = ROOT / "uv.lock", ROOT / ".cache" / "peer"
HTTP_TESTS = "tests/protocols/test_http.py"
PYTEST_TIMEOUT = 300  # seconds: they take 2
SCOPES = f"{HTTP_TESTS}::test_scopes"
SPEC_2_5 = "it pins spec_version 2.3; the prototype says 2.5, as #3085 does"
# Where the prototype parts from uvicorn's tests, and why. Every other
# test must pass, and each of these must fail (else the list is stale).
EXPECTED = {
    f"{SCOPES}[httptools-asgi3app-expected_scopes0]": SPEC_2_5,
    f"{SCOPES}[httptools-asgi2app-expected_scopes1]": SPEC_2_5,
    f"{SCOPES}[h11-asgi3app-expected_scopes0]": SPEC_2_5,
    f"{SCOPES}[h11-asgi2app-expected_scopes1]": SPEC_2_5,
}


class RunError(Exception):
    """The tests could not be run, or did not run on what they should."""


@dataclass
class Verdict:
    """How a run's outcomes compare with the expected divergences."""

    counts: Counter[str] = field(default_factory=Counter)
    as_expected: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # listed, did not fail

    @property
    def passed(self) -> bool:
        return not (self.unexpected or self.stale)

    def summary(self) -> str:
        counts = ", ".join(f"{n} {what}" for what, n in
                           sorted(self.counts.items()) if what != "failed")
        return (f"{counts}; failed: {len(self.as_expected)} as expected, "
                f"{len(self.unexpected)} unexpected; "
                f"{len(self.stale)} stale expectation(s)")


def judge(outcomes: Mapping[str, str], expected: Mapping[str, str]) -> Verdict:
    """Each test's outcome against ``expected``, the failures foreseen."""
    verdict = Verdict(Counter(outcomes.values()))
    for test, outcome in sorted(outcomes.items()):
        if outcome == "failed":
            foreseen = test in expected
            (verdict.as_expected if foreseen else verdict.unexpected).append(
                test
            )
    verdict.stale = [f"{test} ({outcomes.get(test, 'not run')})"
                     for test in sorted(expected)
                     if outcomes.get(test) != "failed"]
    return verdict


def pytest_args(stock: bool) -> list[str]:
    return [
        sys.executable, "-m", "pytest", HTTP_TESTS, "-q", "-n", "0",
        "--tb=line", "--show-capture=no", "-p", "no:cacheprovider",
        "-p", plugin.__name__,
        *([plugin.STOCK] if stock else []),
    ]


def shell(command: Sequence[str], folder: Path) -> str:
    """How to type ``command`` (absolute paths: it runs in ``folder``)."""
    return f"cd {folder} && PYTHONPATH={ROOT} {shlex.join(command)}"


def run_tests(command: list[str], folder: Path) -> dict[str, Any]:
    """Run ``command`` in ``folder``, its output shown as it comes; what
    the plugin reported."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "report.json"
        done = subprocess.run(  # noqa: S603 (this Python, its own pytest)
            [*command, plugin.REPORT, str(path)], cwd=folder, check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=PYTEST_TIMEOUT,
        )
        if done.returncode not in (0, 1) or not path.is_file():
            raise RunError(f"pytest ended with exit code {done.returncode}")
        report: dict[str, Any] = json.loads(path.read_text())
    return report


def checked(report: Mapping[str, Any], folder: Path, stock: bool) -> None:
    """RunError unless the installed uvicorn ran, and swapped as asked."""
    if Path(report["uvicorn"]["file"]).is_relative_to(folder):
        raise RunError("the sdist's uvicorn ran, not the installed one")
    swapped: dict[str, int] = report["swapped"]
    wanted = set() if stock else set(plugin.SWAPS.values())
    if {name for name, n in swapped.items() if n} != wanted:
        on = "stock uvicorn" if stock else "the prototype"
        raise RunError(f"swapped {swapped or 'nothing'}: the tests did not "
                       f"run on {on}")


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.peer", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Exit codes: 0 as expected, 1 not (or the tests did not run),\n"
               "2 bad input: uv.lock, the sdist's sha256, uvicorn's version.",
    )
    parser.add_argument("--stock", action="store_true",
                        help="the control: stock uvicorn, where all pass")
    parser.add_argument("--lock", type=Path, default=LOCK,
                        help="the lock pinning uvicorn (default: uv.lock)")
    parser.add_argument("--cache", type=Path, default=CACHE,
                        help="for the sdist and its tests "
                             "(default: .cache/peer)")
    return parser


def prepare(lock: Path, cache: Path) -> Path:
    """The pinned uvicorn's tests, extracted from its verified sdist."""
    sdist = pinned(lock, "uvicorn")
    if (installed := version("uvicorn")) != sdist.version:
        raise sdist.error(f"uvicorn {installed} is installed, the lock pins "
                          f"{sdist.version}: run `make install`")
    data = fetch(sdist, cache)
    return extract_tests(data, cache / f"uvicorn-{sdist.version}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        folder = prepare(args.lock.resolve(), args.cache.resolve())
    except (InputError, OSError, tarfile.TarError) as error:
        print(error, file=sys.stderr)
        return 2
    except httpx2.HTTPError as error:
        print(f"could not fetch the sdist: {error}", file=sys.stderr)
        return 1
    command = pytest_args(args.stock)
    print(f"$ {shell(command, folder)}", flush=True)
    try:
        report = run_tests(command, folder)
        checked(report, folder, args.stock)
    except (RunError, subprocess.TimeoutExpired) as error:
        print(error, file=sys.stderr)
        return 1
    verdict = judge(report["outcomes"], {} if args.stock else EXPECTED)
    what = "stock uvicorn" if args.stock else "the prototype of #3085"
    print(f"uvicorn {report['uvicorn']['version']}'s own tests on {what}: "
          f"{verdict.summary()}")
    for test in verdict.as_expected:
        print(f"  failed as expected: {test}: {EXPECTED[test]}")
    for test in verdict.unexpected:
        print(f"  UNEXPECTED failure: {test}")
    for test in verdict.stale:
        print(f"  STALE, expected to fail: {test}: drop it from EXPECTED")
    return 0 if verdict.passed else 1
