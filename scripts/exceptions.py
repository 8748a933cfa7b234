"""The errors the build tools report, each in one line."""

from pathlib import Path


class InputError(Exception):  # input refused: ``path:line: message``
    def __init__(self, path: Path | str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")


class WriteError(Exception):
    """An output the tools cannot write (or read back), said in one line."""
