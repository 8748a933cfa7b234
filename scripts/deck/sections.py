"""The talk's sections (notes/talk-plan.md), found in a deck: the timing
plan's clock marks and the PDF outline are made of them.

A section starts at the first slide titled as it says, in this order, and
holds every later slide until the next starts. The main talk runs from the
first slide to the one titled ``END``; the appendix follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from scripts.common import InputError
from scripts.deck.slides import Deck, Slide


class Section(NamedTuple):
    name: str
    title: str  # of the slide it starts at


SECTIONS = (
    Section("Introduction", "Unlocking ASGI Innovations"),
    Section("WebSocket Denial Response", "WebSocket Denial Response"),
    Section("HTTP Trailers", "HTTP Trailers"),
    Section("Client Disconnection", "Client Disconnection"),
    Section("The prototype, and FastAPI",
            "Prototype of uvicorn #3085 (open), on 0.54.0"),
    Section("Conclusion", "Conclusion"),
    Section("Appendix", "Appendix"),
)
END = "Thank You!"  # the main talk's last slide


@dataclass(frozen=True)
class Part:
    """A section as a deck has it: its slides, the first titled by it."""

    section: Section
    slides: tuple[Slide, ...]

    @property
    def first(self) -> Slide:
        return self.slides[0]


def where(deck: Deck) -> str:
    """The deck's file as messages name it: slides.md."""
    return deck.path.name


def main_talk(deck: Deck) -> tuple[Slide, ...]:
    """The slides from the first to the one titled ``END``."""
    ends = deck.titled(END)
    if not ends:
        raise InputError(where(deck), 1, f"no slide is titled {END!r}: "
                         "the main talk ends there")
    return deck.slides[: deck.slides.index(ends[0]) + 1]


def divide(deck: Deck) -> tuple[Part, ...]:
    """The deck in sections; InputError if one is missing or out of order."""
    starts: list[int] = []
    for section in SECTIONS:
        found = deck.titled(section.title)
        if not found:
            why = f"no slide is titled {section.title!r}, which starts "
            why += f"the section {section.name!r} (scripts/deck/sections.py)"
            raise InputError(where(deck), 1, why)
        index = deck.slides.index(found[0])
        if starts and index <= starts[-1]:
            before = deck.slides[starts[-1]]
            why = f"the section {section.name!r} starts before "
            why += f"{before.title!r}, the section before it"
            raise InputError(where(deck), found[0].line, why)
        starts.append(index)
    if starts[0] != 0:
        first = deck.slides[0]
        why = f"the first slide must be {SECTIONS[0].title!r}, which starts "
        why += f"the section {SECTIONS[0].name!r}"
        raise InputError(where(deck), first.line, why)
    ends = [*starts[1:], len(deck.slides)]
    return tuple(
        Part(section, deck.slides[start:end])
        for section, start, end in zip(SECTIONS, starts, ends, strict=True)
    )
