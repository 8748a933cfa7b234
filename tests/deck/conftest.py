"""The deck's fixtures: slides.md parsed, the tools the build needs, and
the deck built once (HTML and PDF) and shown in Chromium.

The plain helpers are modules of their own: tests/deck/slides.py parses
slides.md, tests/deck/browser.py measures a built deck in Chromium.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from scripts.deck import build as deck_build
from tests.deck.browser import Measured, measure_deck
from tests.deck.slides import ROOT, Deck, read_deck

PNGS = ROOT / "build" / "slides"


def missing(reason: str, under_ci: str) -> NoReturn:
    """Skip for want of a tool; under CI, where it must be there, fail."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}{under_ci}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def deck() -> Deck:
    """slides.md, slide by slide."""
    return read_deck()


@pytest.fixture(scope="session")
def marp() -> Path:
    """Marp CLI; missing, it skips locally and fails under CI."""
    if not (ROOT / deck_build.MARP).exists():
        reason = "node_modules is missing: run `make node_modules/.installed`"
        missing(reason, " (make test does it under CI)")
    return ROOT / deck_build.MARP


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The system Chromium; missing, it skips locally and fails under CI."""
    found = deck_build.find_browser()
    if found is None:
        reason = (
            "no Chromium found ($CHROME_PATH, or chromium on PATH): "
            "the browser tests of the deck need Debian's chromium"
        )
        missing(reason, "; .ci/run installs it")
    return found


@dataclass
class Built:
    """The deck as built by this session."""

    html: Path  # in a copy of the built folder
    folder: Path
    pdf: Path | None
    pdf_error: BaseException | None
    seen: Measured


@pytest.fixture(scope="session")
def built(
    tmp_path_factory: pytest.TempPathFactory, marp: Path, chromium: Path
) -> Built:
    """Build the HTML and the PDF, and show the HTML in Chromium, once.

    The HTML is shown from a copy of its folder (another machine, as far as
    the deck can tell), while the PDF prints; each slide is saved as
    build/slides/NN.png for a person to look at.
    """
    base = tmp_path_factory.mktemp("deck")
    result: dict[str, object] = {}

    def print_pdf() -> None:
        try:
            result["pdf"] = deck_build.build_pdf(ROOT, base / "pdf")
        except BaseException as error:  # reported by the PDF tests
            result["error"] = error

    printer = threading.Thread(target=print_pdf, name="deck-pdf")
    printer.start()
    try:
        deck_build.build_html(ROOT, base / "built")
        shutil.copytree(base / "built", base / "elsewhere")
        html = base / "elsewhere" / "slides.html"
        seen = measure_deck(html, chromium, PNGS)
    finally:
        printer.join()
    pdf, error = result.get("pdf"), result.get("error")
    return Built(
        html=html,
        folder=html.parent,
        pdf=pdf if isinstance(pdf, Path) else None,
        pdf_error=error if isinstance(error, BaseException) else None,
        seen=seen,
    )
