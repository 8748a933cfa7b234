"""Write files whole or not at all; read text, naming the line of a bad byte."""

import os
import re
import time
from pathlib import Path

import psutil

from scripts.exceptions import InputError

# write_atomic's temporary file, ".NAME.PID.tmp" beside NAME, lives for one
# write: older than this, its writer is gone even if its id was reused.
TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]+)\.tmp")
TEMPORARY_LIFETIME_S = 300


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` beside ``path``, then rename: never a partial file (a
    process killed before the rename leaves one: see ``leftovers``)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def leftovers(folder: Path) -> list[Path]:
    """write_atomic's temporary files under ``folder`` whose writer is gone,
    or older than any write takes (not a live process's write in progress)."""
    found = []
    for path in sorted(folder.rglob(".*.tmp")):
        match = TEMPORARY.fullmatch(path.name)
        if match is None or not path.is_file():
            continue
        try:
            age = time.time() - path.stat().st_mtime
        except FileNotFoundError:  # renamed meanwhile: a write in progress
            continue
        pid = int(match["pid"])
        alive = 0 < pid < 2**31 and psutil.pid_exists(pid)
        if age > TEMPORARY_LIFETIME_S or not alive:
            found.append(path)
    return found


def decode(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text with "\\n" line ends; InputError at a bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[start : exc.start].decode("utf-8")) + 1
        byte = f"byte 0x{data[exc.start]:02x} in column {column}"
        raise InputError(name, line, f"not UTF-8: {byte}") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def reason(error: OSError, root: Path) -> str:
    """Why ``error`` happened, naming the path at fault (a file where a
    folder belongs is said so, whichever error the system gave)."""
    if error.filename is None:
        return error.strerror or str(error)
    path = Path(error.filename)
    folders = list(reversed(path.parents))
    if isinstance(error, (FileExistsError, NotADirectoryError)):
        folders.append(path)  # mkdir found a file, or a path went through one
    for folder in folders:
        if folder.exists() and not folder.is_dir():
            return f"{shown(folder, root)} is not a folder"
    return f"{error.strerror}: {shown(path, root)}"


def shown(path: Path, root: Path) -> str:
    """``path`` as a message shows it: relative to ``root`` if inside it."""
    return str(path.relative_to(root) if path.is_relative_to(root) else path)
