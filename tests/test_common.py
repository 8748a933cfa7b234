"""scripts.common: measured, the measurement commands' writer (the
document whole, indented, in UTF-8; or one line naming the file, and
nothing written); and command, every script's parser (each answers
``--help`` and does nothing else)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.common import DASH, ROOT, leftovers, measured

DOCUMENT = {"measured": {"seconds": 1.25}, "server": f"uvicorn {DASH} h11",
            "runs": [1]}


def test_the_document_is_written_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "measured.json"
    assert measured(target, lambda: DOCUMENT, "measured", ()) == 0
    assert capsys.readouterr() == (f"{target}: measured in 1.2 s\n", "")
    text = target.read_text("utf-8")
    assert json.loads(text) == DOCUMENT
    assert text.endswith('  "runs": [\n    1\n  ]\n}\n')  # indented, a line
    assert DASH in text  # not \u2013


def test_a_write_that_fails_says_why_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "measured.json"
    target.mkdir()  # a folder where the file goes: the rename fails
    assert measured(target, lambda: DOCUMENT, "measured", ()) == 2
    assert capsys.readouterr() == ("", f"{target}: Is a directory\n")
    assert list(tmp_path.iterdir()) == [target]
    assert leftovers(tmp_path) == []


# Every command, found where it runs: a module that runs as __main__, or a
# package's __main__.py.
COMMANDS = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(
        ".__main__")
    for path in (ROOT / "scripts").rglob("*.py")
    if path.name == "__main__.py"
    or 'if __name__ == "__main__":' in path.read_text(encoding="utf-8")
)


@pytest.mark.parametrize("module", COMMANDS)
def test_every_command_answers_help_and_does_nothing_else(module: str) -> None:
    """``python -m MODULE --help``: its usage, at once (within the
    timeout); no server started, nothing drawn or written."""
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"], cwd=ROOT,
        capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, f"{module} --help: {done.stderr}"
    usage = done.stdout.partition("\n")[0]
    assert usage.startswith("usage: "), done.stdout
    assert f"-m {module} " in usage, usage
