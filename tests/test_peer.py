"""`make peer`: uvicorn's own tests on the prototype of #3085.

What judges a run, what fetches the sdist (a real HTTP server on 127.0.0.1
serves a small one: no network), and the plugin's swap, in a pytest run of
a conftest shaped like uvicorn's. `make peer` runs uvicorn's tests.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

from scripts.common import ROOT
from scripts.net.ports import HOST
from scripts.peer import plugin
from scripts.peer.run import (
    EXPECTED,
    checked,
    extract_tests,
    fetch,
    judge,
    main,
    pinned,
)

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
    thread = threading.Thread(target=server.serve_forever, args=(0.02,),
                              daemon=True)  # polls for shutdown each 20 ms
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


FAILED = dict.fromkeys(EXPECTED, "failed")


def test_the_expected_divergences_alone_pass() -> None:
    assert judge({**FAILED, "t::a": "passed", "t::b": "skipped"},
                 EXPECTED) == []


def test_an_unexpected_failure_fails() -> None:
    assert judge({**FAILED, "t::a": "failed"}, EXPECTED) == [
        "UNEXPECTED failure: t::a"]


def test_a_divergence_that_passed_or_did_not_run_is_stale() -> None:
    first, second, *rest = sorted(EXPECTED)
    said = judge({**dict.fromkeys(rest, "failed"), first: "passed"}, EXPECTED)
    assert [line.partition(": ")[2] for line in said] == [
        f"{first} (passed): drop it from EXPECTED",
        f"{second} (not run): drop it from EXPECTED"]


@pytest.mark.parametrize("swapped", [{}, {"demos.oserror_protocols:H11": 8}])
def test_a_run_on_less_than_the_prototype_fails(
    tmp_path: Path, swapped: dict[str, int]
) -> None:
    report = {"uvicorn": {"file": "/venv/uvicorn/__init__.py"},
              "swapped": swapped}
    with pytest.raises(RuntimeError, match="did not run on the prototype"):
        checked(report, tmp_path, stock=False)


def test_a_run_is_on_the_installed_uvicorn(tmp_path: Path) -> None:
    swapped = dict.fromkeys(plugin.SWAPS.values(), 88)
    installed = {"file": "/venv/uvicorn/__init__.py"}
    checked({"uvicorn": installed, "swapped": swapped}, tmp_path, stock=False)
    checked({"uvicorn": installed, "swapped": {}}, tmp_path, stock=True)
    extracted = {"file": str(tmp_path / "uvicorn" / "__init__.py")}
    with pytest.raises(RuntimeError, match="the sdist's uvicorn ran"):
        checked({"uvicorn": extracted, "swapped": swapped}, tmp_path,
                stock=False)


@pytest.mark.parametrize(("text", "line"), [
    ('[[package]]\nname = "uvicorn"\nversion = \n', 3),
    (LOCK.format(version="1", url="https://x/u.tar.gz", sha256="0"), NAMED_AT),
    (LOCK.format(version="1", url="https://x/", sha256="0" * 64), NAMED_AT),
    (LOCK.format(version="1", url="https://x/u.tar.gz", sha256="0" * 64),
     NAMED_AT),  # not the installed version
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
    path = lock(tmp_path, served, sha256)
    cache = tmp_path / "cache"
    cached = fetch(pinned(path), path, cache)
    assert cached.read_bytes() == SDIST
    offline = lock(tmp_path, "http://127.0.0.1:9/uvicorn-9.9.tar.gz", sha256)
    assert fetch(pinned(offline), offline, cache) == cached  # port 9 unasked
    folder = extract_tests(cached)
    assert folder == (cache / "uvicorn-9.9").resolve()
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    assert files == ["pyproject.toml", "tests", "tests/test_it.py"]


CONFTEST = """\
import pytest
from uvicorn.importer import import_from_string

@pytest.fixture(params=["uvicorn.protocols.http.h11_impl:H11Protocol",
                        "uvicorn.protocols.http.httptools_impl:HttpToolsProtocol"])
def http_protocol_cls(request):
    return import_from_string(request.param)
"""
TEST = """\
def test_protocol(http_protocol_cls):
    assert http_protocol_cls.__module__ == "demos.oserror_protocols"
"""


def test_the_plugin_swaps_the_classes_of_a_conftest_like_uvicorns(
    tmp_path: Path,
) -> None:
    """The classes the tests get are the prototype's, each swap counted,
    each outcome reported, and the uvicorn tested the installed one."""
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_protocol.py").write_text(TEST)
    report = tmp_path / "report.json"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "-p", plugin.__name__, plugin.REPORT, str(report)],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=True, capture_output=True, timeout=60,
    )
    said = json.loads(report.read_text())
    assert said["swapped"] == dict.fromkeys(plugin.SWAPS.values(), 1)
    assert list(said["outcomes"].values()) == ["passed", "passed"]
    checked(said, tmp_path, stock=False)
