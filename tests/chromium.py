"""The system Chromium, for the tests that need a browser: the deck's
(tests/deck) and the demos' (tests/browser). Both folders' conftest.py take
these fixtures from here, and a worker launches one Chromium for both: a
launch costs a second of a core.

Missing, Chromium skips those tests locally and fails them under CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from scripts.deck.build import find_browser

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
LAUNCH_TIMEOUT_MS = 30_000
launched: list[tuple[Playwright, Browser]] = []  # this worker's, if any


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The system Chromium: $CHROME_PATH, else on PATH."""
    found = find_browser()
    if found is None:
        reason = ("no Chromium found ($CHROME_PATH, or chromium on PATH): "
                  "the browser tests need Debian's chromium")
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; .ci/run installs it")
        pytest.skip(reason)
    return found


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Browser]:
    """This worker's Chromium, launched by the first folder that asks;
    closed when the session ends."""
    if not launched:
        playwright = sync_playwright().start()
        launched.append((playwright, playwright.chromium.launch(
            executable_path=str(chromium), args=ARGS,
            timeout=LAUNCH_TIMEOUT_MS)))
    yield launched[0][1]
    while launched:
        playwright, running = launched.pop()
        running.close()
        playwright.stop()
