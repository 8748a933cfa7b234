"""The pinned sdist of a package, as uv.lock names it: fetched once,
verified against the lock's sha256, cached, and its tests extracted."""

import hashlib
import re
import shutil
import tarfile
import tempfile
import tomllib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import httpx2

from scripts.common import InputError, decode, write_atomic

DOWNLOAD_TIMEOUT = 60.0  # seconds, for the whole download
SHA256 = re.compile(r"sha256:(?P<digest>[0-9a-f]{64})")
TOML_LINE = re.compile(r"at line (?P<line>[0-9]+)")
FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\.tar\.gz")


@dataclass(frozen=True)
class Sdist:
    """One package's source distribution, as the lock pins it."""

    name: str
    version: str
    url: str
    sha256: str
    lock: Path
    line: int  # where the lock names it

    @property
    def filename(self) -> str:
        return self.url.rsplit("/", 1)[-1]

    def error(self, message: str) -> InputError:
        return InputError(self.lock, self.line, message)


def pinned(lock: Path, name: str) -> Sdist:
    """``name``'s sdist in ``lock``; InputError naming the line at fault."""
    text = decode(lock.read_bytes(), str(lock))
    try:
        packages = tomllib.loads(text).get("package", [])
    except tomllib.TOMLDecodeError as exc:
        at = TOML_LINE.search(str(exc))
        raise InputError(lock, int(at["line"]) if at else 1, str(exc)) from None
    line = next((n for n, row in enumerate(text.splitlines(), 1)
                 if row.strip() == f'name = "{name}"'), 1)
    found = [p for p in packages
             if isinstance(p, dict) and p.get("name") == name]
    if len(found) != 1:
        raise InputError(lock, line, f"{len(found)} packages named {name!r}")
    sdist, release = found[0].get("sdist"), found[0].get("version")
    sdist = sdist if isinstance(sdist, dict) else {}
    url, digest = sdist.get("url"), SHA256.fullmatch(str(sdist.get("hash")))
    web = isinstance(url, str) and url.startswith(("https://", "http://"))
    if not (web and FILENAME.fullmatch(str(url).rsplit("/", 1)[-1])):
        raise InputError(lock, line, f"{name} has no sdist url to a .tar.gz")
    if digest is None or not isinstance(release, str):
        raise InputError(lock, line, f"{name} has no version or sha256")
    return Sdist(name, release, str(url), digest["digest"], lock, line)


def verified(sdist: Sdist, data: bytes, where: str) -> bytes:
    """``data`` if its sha256 is the one pinned; InputError otherwise."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != sdist.sha256:
        raise sdist.error(f"{where} has sha256 {digest}, not the "
                          f"{sdist.sha256} pinned")
    return data


def fetch(sdist: Sdist, cache: Path) -> bytes:
    """The sdist's bytes: from ``cache`` if verified there, else downloaded,
    verified, then cached (written whole, and only once verified)."""
    cached = cache / sdist.filename
    if cached.is_file():
        try:
            return verified(sdist, cached.read_bytes(), str(cached))
        except InputError:
            pass  # damaged: fetched again, and replaced if that verifies
    response = httpx2.get(sdist.url, timeout=DOWNLOAD_TIMEOUT,
                          follow_redirects=True)
    response.raise_for_status()
    data = verified(sdist, response.content, sdist.url)
    cache.mkdir(parents=True, exist_ok=True)
    write_atomic(cached, data)
    return data


def extract_tests(data: bytes, into: Path) -> Path:
    """The sdist's ``tests/`` and ``pyproject.toml``, not its package, in
    ``into`` (replaced whole: extracted beside it, then renamed)."""
    into.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{into.name}.", dir=into.parent))
    try:
        with tarfile.open(fileobj=BytesIO(data), mode="r:gz") as archive:
            members = []
            for member in archive.getmembers():
                _, _, inner = member.name.partition("/")
                if inner == "pyproject.toml" or inner.startswith("tests/"):
                    member.name = inner
                    members.append(member)
            archive.extractall(staging, members=members, filter="data")
        shutil.rmtree(into, ignore_errors=True)
        staging.rename(into)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return into
