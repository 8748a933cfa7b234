"""What every command shares: the root, one-line errors, files written
whole or not at all, text decoded, a measurement's JSON, rounding."""

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import sys
import time
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_UP, Decimal
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = 1  # of the measured JSON files in assets/
DASH = "\N{EN DASH}"


class InputError(Exception):  # input refused: ``path:line: message``
    def __init__(self, path: Path | str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")


# write_atomic's ".NAME.PID.tmp" beside NAME: older, its writer is gone.
TEMPORARY, TEMPORARY_LIFETIME_S = re.compile(r"\..+\.([0-9]+)\.tmp"), 300


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` beside ``path``, then rename: never a partial file."""
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
        with contextlib.suppress(FileNotFoundError):  # renamed: in progress
            if match is None or not path.is_file():
                continue
            old = time.time() - path.stat().st_mtime > TEMPORARY_LIFETIME_S
            pid = int(match[1])
            if old or not (0 < pid < 2**31 and psutil.pid_exists(pid)):
                found.append(path)
    return found


def decode(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text with "\\n" line ends; InputError at a bad byte."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        lines = data[: exc.start].split(b"\n")  # up to the bad byte
        column = len(lines[-1].decode("utf-8")) + 1
        byte = f"byte 0x{data[exc.start]:02x} in column {column}"
        raise InputError(name, len(lines), f"not UTF-8: {byte}") from None
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


def read_measured(source: Path, root: Path, make: str) -> dict[str, Any]:
    """The measured JSON ``source``, or InputError naming it (from ``root``):
    missing (run ``make``), not JSON, or not of this SCHEMA."""
    name = shown(source, root)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(name, 1, f"missing: run `{make}`") from None
    except json.JSONDecodeError as exc:
        raise InputError(name, exc.lineno, f"invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise InputError(name, 1, f"not schema {SCHEMA} of this measurement")
    return data


def header(
    script: str, key: str, profile: str, seconds: float, names: Iterable[str],
    **more: str,
) -> dict[str, Any]:
    """A measured JSON's head: schema, script, when, where, and the versions
    of the packages ``names`` installed, and ``more``."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        text = Path("/proc/cpuinfo").read_text()
        cpu = next((line.split(":", 1)[1].strip() for line in text.splitlines()
                    if line.startswith("model name")), cpu)
    machine = {"system": f"{platform.system()} {platform.release()}",
               "cpu": cpu, "cores": os.cpu_count(),
               "python": platform.python_version()}
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    installed = {dist.name.lower() for dist in metadata.distributions()}
    return {"schema": SCHEMA, "generated_by": script,
            key: {"date": today, "profile": profile, "seconds": seconds,
                  "machine": machine},
            "versions": {name: metadata.version(name) for name in names
                         if name in installed} | more}


def measured(
    output: Path | None, measure: Callable[[], dict[str, Any]], key: str,
    errors: tuple[type[Exception], ...], failed: str = "",
) -> int:
    """A measurement command's end: ``measure()``'s JSON written whole to
    ``output`` (None: nowhere); exit code 2 (no such folder, a failed
    write) or 3 (``measure`` raised ``errors``: said after ``failed``)."""
    if output and not output.parent.is_dir():
        print(f"{shown(output.parent, ROOT)}: no such folder", file=sys.stderr)
        return 2
    name = shown(output, ROOT) if output else None
    kept = f"{name} is left as it was" if name else "nothing written"
    try:
        document = measure()
    except errors as error:
        print(f"{failed}{error}; {kept}", file=sys.stderr)
        return 3
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        if output:
            write_atomic(output, text.encode())
    except OSError as error:
        print(f"{name}: {error.strerror}", file=sys.stderr)
        return 2
    said = f"{key} in {document[key]['seconds']:.1f} s"
    print(f"{name}: {said}" if name else f"{said}; {kept}")
    return 0


def command(
    module: str, doc: str, codes: str, **options: dict[str, Any]
) -> argparse.ArgumentParser:
    """A command's parser: its exit codes, and ``--name`` for each option."""
    result = argparse.ArgumentParser(
        prog=f"python -m {module}", description=doc.split("\n\n")[0],
        epilog=f"Exit codes: 0 done, {codes} (nothing written).")
    for name, option in options.items():
        result.add_argument(f"--{name}", **option)
    return result


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def rounded(value: float | Decimal, digits: int = 0) -> Decimal:
    """Half up, as people round: 232.5 ms is 233 ms."""
    step = Decimal(1).scaleb(-digits)
    return Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP)


def milliseconds(seconds: dict[str, float], spread: bool = False) -> str:
    """Milliseconds, median [min-max]: whole ones from 10 ms up."""
    digits = 0 if seconds["median"] >= 0.01 else 1
    median, low, high = (rounded(Decimal(str(seconds[key])) * 1000, digits)
                         for key in ("median", "min", "max"))
    return f"{median} ms [{low}{DASH}{high}]" if spread else f"{median} ms"
