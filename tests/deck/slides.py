"""slides.md, as the tests read it: the deck's parser (scripts/deck/
slides.py), the files beside it, and the commands the deck shows. Every
test computes what it expects from the deck, so slides can be added or
moved without touching the tests."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from scripts.common import ROOT
from scripts.deck.slides import SLIDES, Deck, Slide, read_deck

__all__ = ["ROOT", "SEED", "SLIDES", "THEME", "Deck", "Slide", "read_deck",
           "shown_commands", "svg_size"]

THEME = ROOT / "themes" / "asgi.css"
SEED = ROOT.parent / "shared" / "seed" / "000_ab53862537946b54.txt"

# What a command looks like: the code spans and code-block lines of the
# deck that start like one.
STARTS = re.compile(r"^(?:(?:make|uv|uvx|python3?|curl|uvicorn|pytest|pip|"
                    r"npm|npx|marp)(?:\s|$)|\.venv/|\./)")
SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
# The spoken notes name the demos' commands in plain words ("Live: make
# demo NAME=ws_with_token.").
SAID = re.compile(
    r"\bmake (?:(?:demo|replay) NAME=\w+(?: HTTP=\w+)?|bench|matrix|peer)\b"
)


def shown_commands(text: str) -> list[str]:
    """The commands slides.md shows, in order, each once."""
    found = [line.strip() for block in FENCE.findall(text)
             for line in block.splitlines() if line.strip()]
    found += SPAN.findall(FENCE.sub("", text))
    found += SAID.findall(FENCE.sub("", text))
    commands = [" ".join(words.split()) for words in found]
    return list(dict.fromkeys(c for c in commands if STARTS.match(c)))


class Size(NamedTuple):
    width: float  # on the slide, as drawn for
    view: tuple[float, float]  # its viewBox's width and height
    font: float  # its smallest text, in viewBox units


def svg_size(path: Path) -> Size:
    """A picture's size: what it is drawn for, and its smallest text."""
    text = path.read_text(encoding="utf-8")
    view = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', text)
    width = re.search(r'<svg[^>]*\bwidth="([\d.]+)"', text)
    sizes = re.findall(r'font-size(?::\s*|=")([\d.]+)', text)
    assert view, f"{path} has no viewBox"
    assert width, f"{path} has no width"
    assert sizes, f"{path} has no text"
    return Size(float(width[1]), (float(view[1]), float(view[2])),
                min(map(float, sizes)))
