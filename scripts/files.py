"""Write files whole or not at all."""

import os
from pathlib import Path


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it.

    A reader sees the old bytes or the new ones, never a partial file.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def shown(path: Path, root: Path) -> str:
    """``path`` as a message shows it: relative to ``root`` if inside it."""
    return str(path.relative_to(root) if path.is_relative_to(root) else path)
