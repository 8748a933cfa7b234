"""The one error the build tools report: bad input, named by file and line."""

from pathlib import Path


class InputError(Exception):
    """Input the tools refuse, reported as ``path:line: message``."""

    def __init__(self, path: Path | str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = str(path)
        self.line = line
        self.message = message
