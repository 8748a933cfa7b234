"""Marp's presenter view (``?view=presenter``) of a built deck, at 1280x720:
every speaker note measured in its box, in one page load and one script
(each note shown in turn as the view shows it: the only one ``active``;
walking the view slide by slide takes a second and a half more, and
measures the same); then the view taken to the fullest note's slide,
which must show that note, measured the same, saved as a PNG.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser

from scripts.common import write_atomic
from tests.deck.walk import Measured, open_offline

MEASURE = r"""
() => { window.measure = (note) => {
  const style = getComputedStyle(note);
  const range = document.createRange();
  range.selectNodeContents(note);
  const padding = parseFloat(style.paddingTop)
    + parseFloat(style.paddingBottom);
  return {
    scroll: note.scrollHeight, client: note.clientHeight,
    text: range.getBoundingClientRect().height + padding,
    size: parseFloat(style.fontSize),
  };
}; }
"""
MEASURE_NOTES = r"""
async () => {
  await document.fonts.ready;
  const box = document.querySelector(
    '.bespoke-marp-presenter-note-container').getBoundingClientRect();
  const notes = Array.from(document.querySelectorAll('.bespoke-marp-note'));
  const active = notes.filter(note => note.classList.contains('active'));
  const found = notes.map(note => {
    notes.forEach(other => other.classList.toggle('active', other === note));
    return {slide: Number(note.dataset.index) + 1, ...measure(note)};
  });
  notes.forEach(note => note.classList.toggle('active', active.includes(note)));
  return {box: [box.width, box.height], notes: found};
}
"""
GO_TO = r"""
async (index) => {
  location.hash = '#' + (index + 1);
  const svg = document.querySelectorAll('svg[data-marpit-svg]')[index];
  const note = document.querySelector(
    `.bespoke-marp-note[data-index="${index}"]`);
  const ready = () => svg.classList.contains('bespoke-marp-active')
    && note.classList.contains('active');
  for (let i = 0; i < 300 && !ready(); i++)
    await new Promise(resolve => requestAnimationFrame(resolve));
  await document.fonts.ready;
  return {ready: ready(), ...measure(note)};
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
    """What the presenter view showed: each note, its box, and the view at
    the fullest note's slide (the note it showed there, and a PNG)."""

    notes: list[Note] = field(default_factory=list)
    noteless: list[int] = field(default_factory=list)  # slides without one
    box: tuple[float, float] = (0.0, 0.0)  # the notes' container
    shown: Note | None = None  # the fullest, as its slide showed it
    png: Path | None = None

    def heaviest(self) -> Note | None:
        return max(self.notes, key=lambda n: n.text, default=None)


def measure_presenter(
    browser: Browser, html: Path, seen: Measured, pngs: Path
) -> Presenter:
    """Measure every note in the presenter view (one page load, its
    requests and console counted in ``seen``); show the heaviest note's
    slide, measure it again and save it as pngs/presenter-NN.png."""
    page = open_offline(browser, html, seen, "?view=presenter#1")
    try:
        page.evaluate(MEASURE)
        found: dict[str, Any] = page.evaluate(MEASURE_NOTES)
        presenter = Presenter([Note(**note) for note in found["notes"]])
        presenter.box = (found["box"][0], found["box"][1])
        with_notes = {note.slide for note in presenter.notes}
        presenter.noteless = [n for n in range(1, seen.slides + 1)
                              if n not in with_notes]
        if heaviest := presenter.heaviest():
            view = page.evaluate(GO_TO, heaviest.slide - 1)
            if view.pop("ready"):
                presenter.shown = Note(heaviest.slide, **view)
            shot = page.context.new_cdp_session(page).send(
                "Page.captureScreenshot", {"format": "png"})
            presenter.png = pngs / f"presenter-{heaviest.slide:02d}.png"
            write_atomic(presenter.png, base64.b64decode(shot["data"]))
    finally:
        page.context.close()
    return presenter
