"""The deck's fixtures: slides.md parsed, Marp CLI, this worker's Chromium
(tests/chromium.py), and the HTML built once and shown in it.

The helpers are modules of their own: slides.py (the parser's names, the
commands the deck shows), walk.py (the slides in Chromium), presenter.py
(Marp's presenter view).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from scripts.deck import build
from tests.chromium import browser, chromium
from tests.deck.presenter import Presenter, measure_presenter
from tests.deck.slides import ROOT, Deck, read_deck
from tests.deck.walk import Measured, measure_deck

__all__ = ["browser", "chromium"]  # fixtures shared with tests/browser
PNGS = ROOT / "build" / "slides"  # for a person to look at


@pytest.fixture(scope="session")
def deck() -> Deck:
    """slides.md, slide by slide."""
    return read_deck()


@pytest.fixture(scope="session")
def marp() -> Path:
    """Marp CLI; missing, it skips locally and fails under CI."""
    if not (ROOT / build.MARP).exists():
        reason = "node_modules is missing: run `make node_modules/.installed`"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (make test does it under CI)")
        pytest.skip(reason)
    return ROOT / build.MARP


@dataclass
class Built:
    """`make html`'s folder, as another machine would show it."""

    html: Path  # in a copy of the built folder
    seen: Measured  # the slides
    presenter: Presenter  # the presenter view

    @property
    def folder(self) -> Path:
        return self.html.parent


@pytest.fixture(scope="module")
def built(
    tmp_path_factory: pytest.TempPathFactory, marp: Path, browser: Browser
) -> Built:
    """Build the HTML and show it in Chromium, from a copy of its folder
    (another machine, as far as the deck can tell): each slide, then the
    presenter view. Each slide is saved as build/slides/NN.png, the
    fullest note's presenter view as build/slides/presenter-NN.png."""
    base = tmp_path_factory.mktemp("deck")
    build.build_html(ROOT, base / "built")
    html = shutil.copytree(base / "built", base / "elsewhere") / "slides.html"
    PNGS.mkdir(parents=True, exist_ok=True)
    seen = measure_deck(browser, html, PNGS)
    presenter = measure_presenter(browser, html, seen, PNGS)
    for stale in set(PNGS.glob("*.png")) - {*seen.pngs, presenter.png}:
        stale.unlink(missing_ok=True)  # a slide that is no more
    return Built(html, seen, presenter)
