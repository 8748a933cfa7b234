"""Run uvicorn's own tests on the prototype of uvicorn #3085: the tests/ of
the sdist uv.lock pins (fetched once, checked against its sha256), on the
installed uvicorn, given the prototype's classes by scripts/peer/plugin.py;
it passes when the tests that fail are exactly the divergences listed here."""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any, NamedTuple

import httpx2

from scripts.common import ROOT, InputError, command, decode, write_atomic
from scripts.peer import plugin

HTTP_TESTS = "tests/protocols/test_http.py"
TIMEOUT_S = 300  # for the tests (they take 2) and for the download
SDIST = re.compile(r"https?://\S+/[\w.-]+\.tar\.gz sha256:[0-9a-f]{64}")
SPEC_2_5 = "it pins spec_version 2.3; the prototype says 2.5, as #3085 does"
# Where the prototype parts from uvicorn's tests, and why. Every other
# test must pass, and each of these must fail (else the list is stale).
EXPECTED = {f"{HTTP_TESTS}::test_scopes[{http}-{app}-expected_scopes{n}]":
            SPEC_2_5 for http in ("httptools", "h11")
            for n, app in enumerate(("asgi3app", "asgi2app"))}


class Sdist(NamedTuple):  # as the lock pins it, on ``line``
    url: str
    sha256: str
    line: int


def pinned(lock: Path) -> Sdist:
    """uvicorn's sdist in ``lock``; InputError naming the line at fault."""
    text = decode(lock.read_bytes(), str(lock))
    line = next((n for n, row in enumerate(text.splitlines(), 1)
                 if row.strip() == 'name = "uvicorn"'), 1)
    try:
        [found] = [p for p in tomllib.loads(text)["package"]
                   if p["name"] == "uvicorn"]
        pins, url, digest = (found["version"], found["sdist"]["url"],
                             found["sdist"]["hash"])
    except tomllib.TOMLDecodeError as error:
        at = re.search(r"at line (\d+)", str(error))
        raise InputError(lock, int(at[1]) if at else 1, str(error)) from None
    except (KeyError, TypeError, ValueError):
        pins, url, digest = None, "", ""
    if not (isinstance(pins, str) and re.fullmatch(SDIST, f"{url} {digest}")):
        why = "not one package with a version, an sdist url and its sha256"
        raise InputError(lock, line, f"uvicorn: {why}")
    if (installed := version("uvicorn")) != pins:
        why = f"uvicorn {installed} is installed, the lock pins {pins}"
        raise InputError(lock, line, f"{why}: run `make install`")
    return Sdist(url, digest[7:], line)


def fetch(sdist: Sdist, lock: Path, cache: Path) -> Path:
    """The sdist in ``cache``, if verified there; else downloaded, verified
    against the lock (InputError if not), then cached."""
    cached = cache / sdist.url.rsplit("/", 1)[-1]
    if cached.is_file() and hashlib.sha256(
            cached.read_bytes()).hexdigest() == sdist.sha256:
        return cached
    response = httpx2.get(sdist.url, timeout=TIMEOUT_S, follow_redirects=True)
    digest = hashlib.sha256(response.raise_for_status().content).hexdigest()
    if digest != sdist.sha256:
        raise InputError(lock, sdist.line, f"{sdist.url} has sha256 {digest}"
                         f", not the {sdist.sha256} pinned")
    cache.mkdir(parents=True, exist_ok=True)
    write_atomic(cached, response.content)
    return cached


def extract_tests(sdist: Path) -> Path:
    """Its tests/ and pyproject.toml only, afresh in NAME-VERSION/ beside it."""

    def tests_only(member: tarfile.TarInfo, to: str) -> tarfile.TarInfo | None:
        name = member.name.partition("/")[2]
        if name == "pyproject.toml" or name.startswith("tests/"):
            return tarfile.data_filter(member.replace(name=name), to)
        return None

    into = sdist.with_name(sdist.name.removesuffix(".tar.gz")).resolve()
    shutil.rmtree(into, ignore_errors=True)
    with tarfile.open(sdist, mode="r:gz") as archive:
        archive.extractall(into, filter=tests_only)  # noqa: S202 (filtered)
    return into


def judge(outcomes: Mapping[str, str], expected: Mapping[str, str]
          ) -> list[str]:
    """Each failure not in ``expected``, each test in it that did not fail."""
    return [f"UNEXPECTED failure: {test}" for test, got in
            sorted(outcomes.items()) if got == "failed" and test not in expected
            ] + [f"STALE, expected to fail: {test} ("
                 f"{outcomes.get(test, 'not run')}): drop it from EXPECTED"
                 for test in sorted(expected) if outcomes.get(test) != "failed"]


def run_tests(folder: Path, stock: bool) -> dict[str, Any]:
    """uvicorn's tests in ``folder``, shown as they run; their report."""
    pytest = [sys.executable, "-m", "pytest", HTTP_TESTS, "-q", "-n", "0",
              "--tb=line", "--show-capture=no", "-p", "no:cacheprovider",
              "-p", plugin.__name__, *([plugin.STOCK] if stock else [])]
    print("$ cd", folder, "&&", f"PYTHONPATH={ROOT}", *pytest, flush=True)
    path = folder / "peer-report.json"  # the folder is extracted afresh
    done = subprocess.run(  # noqa: S603 (this Python, its own pytest)
        [*pytest, plugin.REPORT, str(path)], cwd=folder, check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=TIMEOUT_S)
    if done.returncode not in (0, 1) or not path.is_file():
        raise RuntimeError(f"pytest ended with exit code {done.returncode}")
    report: dict[str, Any] = json.loads(path.read_text())
    checked(report, folder, stock)
    return report


def checked(report: Mapping[str, Any], folder: Path, stock: bool) -> None:
    """RuntimeError unless the installed uvicorn ran, and swapped as asked."""
    if Path(report["uvicorn"]["file"]).is_relative_to(folder):
        raise RuntimeError("the sdist's uvicorn ran, not the installed one")
    if set(report["swapped"]) != set(() if stock else plugin.SWAPS.values()):
        on = "stock uvicorn" if stock else "the prototype"
        raise RuntimeError(f"swapped {report['swapped'] or 'nothing'}: the "
                           f"tests did not run on {on}")


def main(argv: Sequence[str] | None = None) -> int:
    args = command(
        "scripts.peer", __doc__, "1 not as expected (or the tests did not "
        "run), 2 bad input: uv.lock, the sdist's sha256, uvicorn's version",
        stock={"action": "store_true",
               "help": "the control: stock uvicorn, where all pass"},
        lock={"type": Path, "default": ROOT / "uv.lock"},
        cache={"type": Path, "default": ROOT / ".cache/peer"},
    ).parse_args(argv)
    try:
        sdist = fetch(pinned(args.lock), args.lock, args.cache)
        report = run_tests(extract_tests(sdist), args.stock)
    except (InputError, OSError, tarfile.TarError) as err:
        print(err, file=sys.stderr)
        return 2
    except (httpx2.HTTPError, RuntimeError, subprocess.TimeoutExpired) as err:
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        return 1
    outcomes, expected = report["outcomes"], {} if args.stock else EXPECTED
    counts = Counter(outcomes.values())
    print(f"uvicorn {report['uvicorn']['version']}'s own tests on "
          f"{'stock uvicorn' if args.stock else 'the prototype of #3085'}: "
          + ", ".join(f"{n} {what}" for what, n in sorted(counts.items())))
    for test in (t for t in expected if outcomes.get(t) == "failed"):
        print(f"  failed as expected: {test}: {expected[test]}")
    for line in (wrong := judge(outcomes, expected)):
        print(f"  {line}")
    return 1 if wrong else 0
