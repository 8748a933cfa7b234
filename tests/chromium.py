"""The system Chromium, for the tests that need a browser: the deck's
(tests/deck) and the demos' (tests/browser). Both folders' conftest.py take
these fixtures from here. One Chromium per test module, closed with it:
Playwright's sync API runs an event loop in the thread that starts it, and
a test that later calls asyncio.run() in that worker must find none.

Missing, Chromium skips those tests locally and fails them under CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from scripts.deck.build import find_browser

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
LAUNCH_TIMEOUT_MS = 30_000


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


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    """This module's Chromium; closed, with Playwright, after it."""
    with sync_playwright() as playwright:
        running = playwright.chromium.launch(
            executable_path=str(chromium), args=ARGS,
            timeout=LAUNCH_TIMEOUT_MS)
        yield running
        running.close()
