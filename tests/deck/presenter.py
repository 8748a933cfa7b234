"""Marp's presenter view (``?view=presenter``) of a built deck, at 1280x720:
each slide's speaker note measured in its box, in one page load; the
fullest saved as a PNG.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser

from scripts.common import write_atomic
from tests.deck.walk import Measured, open_offline

MEASURE_NOTE = r"""
async (index) => {
  location.hash = '#' + (index + 1);
  const svg = document.querySelectorAll('svg[data-marpit-svg]')[index];
  const note = document.querySelector(
    `.bespoke-marp-note[data-index="${index}"]`);
  const ready = () => svg.classList.contains('bespoke-marp-active')
    && (!note || note.classList.contains('active'));
  for (let i = 0; i < 300 && !ready(); i++)
    await new Promise(resolve => requestAnimationFrame(resolve));
  await document.fonts.ready;
  const box = document.querySelector(
    '.bespoke-marp-presenter-note-container').getBoundingClientRect();
  if (!note) return {ready: ready(), box: [box.width, box.height]};
  const style = getComputedStyle(note);
  const range = document.createRange();
  range.selectNodeContents(note);
  const padding = parseFloat(style.paddingTop)
    + parseFloat(style.paddingBottom);
  return {
    ready: ready(), box: [box.width, box.height],
    note: {
      scroll: note.scrollHeight, client: note.clientHeight,
      text: range.getBoundingClientRect().height + padding,
      size: parseFloat(style.fontSize),
    },
  };
}
"""


@dataclass(frozen=True)
class Note:
    """A slide's speaker note in the presenter view's box, in CSS px."""

    slide: int
    scroll: float  # the note's scrollHeight
    client: float  # its clientHeight: what shows without scrolling
    text: float  # the height of its text, padding included
    size: float  # font size

    @property
    def overflow(self) -> float:
        """How much more the note holds than its box shows."""
        return self.scroll - self.client


@dataclass
class Presenter:
    """What the presenter view showed: each note, and its box."""

    notes: list[Note] = field(default_factory=list)
    noteless: list[int] = field(default_factory=list)  # slides without one
    inactive: list[int] = field(default_factory=list)
    box: tuple[float, float] = (0.0, 0.0)  # the notes' container
    png: Path | None = None  # the presenter view of the heaviest note

    def record(self, number: int, result: dict[str, Any]) -> None:
        """What MEASURE_NOTE returned for slide ``number``."""
        if not result["ready"]:
            self.inactive.append(number)
        self.box = (result["box"][0], result["box"][1])
        if note := result.get("note"):
            self.notes.append(Note(number, **note))
        else:
            self.noteless.append(number)

    def heaviest(self) -> Note | None:
        return max(self.notes, key=lambda n: n.text, default=None)


def measure_presenter(
    browser: Browser, html: Path, seen: Measured, pngs: Path
) -> Presenter:
    """Walk the presenter view (one page load, its requests and console
    counted in ``seen``), measuring each slide's note; save the view of the
    heaviest as pngs/presenter-NN.png."""
    presenter = Presenter()
    page = open_offline(browser, html, seen, "?view=presenter#1")
    try:
        for index in range(seen.slides):
            presenter.record(index + 1, page.evaluate(MEASURE_NOTE, index))
        if heaviest := presenter.heaviest():
            page.evaluate(MEASURE_NOTE, heaviest.slide - 1)
            shot = page.context.new_cdp_session(page).send(
                "Page.captureScreenshot", {"format": "png"})
            presenter.png = pngs / f"presenter-{heaviest.slide:02d}.png"
            write_atomic(presenter.png, base64.b64decode(shot["data"]))
    finally:
        page.context.close()
    return presenter
