"""The matrix tests' shared pieces: the committed JSON and its cells."""

from pathlib import Path
from typing import Any

import pytest

from scripts.matrix import probe

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "assets" / "support_matrix.json"
Document = dict[str, Any]
# uvicorn #3085 as --http classes (demos/oserror_protocols.py); its stock twin
PROTOTYPE = ("uvicorn-3085-h11", "uvicorn-3085-httptools")
STOCK = ("uvicorn-h11", "uvicorn-httptools")


@pytest.fixture(scope="module")
def committed() -> Document:
    return probe.load(COMMITTED)


def cells(document: Document, feature: str) -> dict[str, dict[str, Any]]:
    """The cells of one feature, by target."""
    return {
        server["id"]: server["cells"][feature]
        for server in document["servers"]
        if feature in server["cells"]
    }
