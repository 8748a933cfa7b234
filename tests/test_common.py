"""scripts.common.write_json, the measurement commands' writer: the document
whole, indented, in UTF-8; or one line naming the file, and nothing
written."""

import json
from pathlib import Path

from scripts.common import DASH, leftovers, write_json

DOCUMENT = {"server": f"uvicorn {DASH} h11", "runs": [1]}


def test_the_document_is_written_whole(tmp_path: Path) -> None:
    target = tmp_path / "measured.json"
    assert write_json(target, DOCUMENT) is None
    text = target.read_text("utf-8")
    assert json.loads(text) == DOCUMENT
    assert text.endswith('  "runs": [\n    1\n  ]\n}\n')  # indented, a line
    assert DASH in text  # not \u2013


def test_a_write_that_fails_says_why_and_writes_nothing(
    tmp_path: Path,
) -> None:
    target = tmp_path / "gone" / "measured.json"
    said = write_json(target, DOCUMENT)
    assert said == f"{target}: No such file or directory"
    assert not target.parent.exists()
    assert leftovers(tmp_path) == []
