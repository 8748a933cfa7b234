"""`make peer`: uvicorn's own tests on the prototype of #3085.

What judges a run, and what fetches the sdist, checked here with no
network: a real HTTP server on 127.0.0.1 serves a small sdist. `make
peer` runs uvicorn's tests themselves.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from scripts.net.ports import HOST
from scripts.peer import plugin
from scripts.peer.run import EXPECTED, RunError, checked, judge, main
from scripts.peer.sdist import extract_tests, fetch, pinned
from tests.conftest import usage

LOCK = """version = 1

[[package]]
name = "uvicorn"
version = "{version}"
sdist = {{ url = "{url}", hash = "sha256:{sha256}" }}
"""
NAMED_AT = 4  # the line of `name = "uvicorn"`


def sdist_bytes() -> bytes:
    """A small sdist: its package, its tests and its pyproject.toml."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name in ("uvicorn/__init__.py", "tests/test_it.py",
                     "pyproject.toml"):
            data = f"# {name}\n".encode()
            member = tarfile.TarInfo(f"uvicorn-9.9/{name}")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


SDIST = sdist_bytes()


@pytest.fixture
def served() -> Iterator[str]:
    """The URL of SDIST on a real HTTP server, stopped after the test."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(SDIST)))
            self.end_headers()
            self.wfile.write(SDIST)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((HOST, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{server.server_port}/uvicorn-9.9.tar.gz"
    server.shutdown()
    server.server_close()
    thread.join(5)


def lock(tmp_path: Path, url: str, sha256: str) -> Path:
    path = tmp_path / "uv.lock"
    text = LOCK.format(version=version("uvicorn"), url=url, sha256=sha256)
    path.write_text(text)
    return path


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--stock" in usage(main, capsys)


FAILED = dict.fromkeys(EXPECTED, "failed")


def test_the_expected_divergences_alone_pass() -> None:
    verdict = judge({**FAILED, "t::a": "passed", "t::b": "skipped"}, EXPECTED)
    assert verdict.passed
    assert verdict.as_expected == sorted(EXPECTED)


def test_an_unexpected_failure_fails() -> None:
    verdict = judge({**FAILED, "t::a": "failed"}, EXPECTED)
    assert not verdict.passed
    assert verdict.unexpected == ["t::a"]


def test_a_divergence_that_passed_or_did_not_run_is_stale() -> None:
    first, second, *rest = sorted(EXPECTED)
    verdict = judge({**dict.fromkeys(rest, "failed"), first: "passed"},
                    EXPECTED)
    assert not verdict.passed
    assert verdict.stale == [f"{first} (passed)", f"{second} (not run)"]


@pytest.mark.parametrize("swapped", [{}, {plugin.SWAPS[plugin.H11]: 88}])
def test_a_run_on_less_than_the_prototype_fails(
    tmp_path: Path, swapped: dict[str, int]
) -> None:
    report = {"uvicorn": {"file": "/venv/uvicorn/__init__.py"},
              "swapped": swapped}
    with pytest.raises(RunError, match="did not run on the prototype"):
        checked(report, tmp_path, stock=False)


def test_a_run_is_on_the_installed_uvicorn(tmp_path: Path) -> None:
    swapped = dict.fromkeys(plugin.SWAPS.values(), 88)
    installed = {"file": "/venv/uvicorn/__init__.py"}
    checked({"uvicorn": installed, "swapped": swapped}, tmp_path, stock=False)
    checked({"uvicorn": installed, "swapped": {}}, tmp_path, stock=True)
    extracted = {"file": str(tmp_path / "uvicorn" / "__init__.py")}
    with pytest.raises(RunError, match="the sdist's uvicorn ran"):
        checked({"uvicorn": extracted, "swapped": swapped}, tmp_path,
                stock=False)


@pytest.mark.parametrize(("text", "line"), [
    ('[[package]]\nname = "uvicorn"\nversion = \n', 3),
    (LOCK.format(version="1", url="https://x/u.tar.gz", sha256="0"), NAMED_AT),
    (LOCK.format(version="1", url="https://x/", sha256="0" * 64), NAMED_AT),
])
def test_a_bad_lock_exits_2_naming_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int
) -> None:
    path = tmp_path / "uv.lock"
    path.write_text(text)
    assert main(["--lock", str(path), "--cache", str(tmp_path / "c")]) == 2
    assert capsys.readouterr().err.startswith(f"{path}:{line}: ")
    assert not (tmp_path / "c").exists()


def test_a_sdist_whose_sha256_differs_exits_2_and_is_not_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], served: str
) -> None:
    path = lock(tmp_path, served, "0" * 64)
    assert main(["--lock", str(path), "--cache", str(tmp_path / "c")]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"{path}:{NAMED_AT}: {served} has sha256 ")
    assert not list(tmp_path.glob("c/**/*"))


def test_a_verified_sdist_is_cached_and_its_tests_alone_extracted(
    tmp_path: Path, served: str
) -> None:
    sha256 = hashlib.sha256(SDIST).hexdigest()
    sdist = pinned(lock(tmp_path, served, sha256), "uvicorn")
    cache = tmp_path / "cache"
    assert fetch(sdist, cache) == SDIST
    offline = pinned(lock(tmp_path, "http://127.0.0.1:9/uvicorn-9.9.tar.gz",
                          sha256), "uvicorn")
    assert fetch(offline, cache) == SDIST  # cached: port 9 is not asked
    folder = extract_tests(SDIST, cache / "tests-of-uvicorn")
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    assert files == ["pyproject.toml", "tests", "tests/test_it.py"]
