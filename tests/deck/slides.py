"""slides.md parsed: ``read_deck()`` splits it into slides the way Marp
does (front matter, ``---`` rulers outside code fences, HTML comments as
directives or speaker notes). Every test computes what it expects from it,
so slides can be added or moved without touching the tests.

The parser is scripts/deck/slides.py, which the build's timing plan and
handouts share; this module adds what only the tests use.
"""

from __future__ import annotations

import re

from scripts.common import ROOT
from scripts.deck.slides import (
    COMMENT,
    DIRECTIVE,
    HEADING,
    IMAGE,
    INLINE_IMG,
    SLIDES,
    Deck,
    Picture,
    Slide,
    read_deck,
    split,
)

__all__ = [
    "COMMENT", "DIRECTIVE", "HEADING", "IMAGE", "INLINE_IMG", "ROOT", "SEED",
    "SLIDES", "THEME", "Deck", "Picture", "Slide", "read_deck",
    "shown_commands", "split",
]

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
