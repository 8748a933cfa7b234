"""demos/catalog.py: every demo module is catalogued; its banner names the
slide that shows its code; the talk's live runs are its commands; and the
contract the tools rely on holds: ``Demo.paced()`` sets the wait between a
paced demo's sends, and a demo prints the contract's lines the catalog
says (``Demo.prints``), and no other."""

import importlib
import itertools
import re
import statistics
import time

import pytest
from uvicorn.protocols.http import httptools_impl

from demos.catalog import (
    BY_NAME,
    DEMOS,
    DISCONNECTED,
    HTTP_CLASSES,
    LIVE,
    SENDING,
    TICK,
    Demo,
)
from scripts.common import ROOT
from scripts.net.clients import TIMEOUT, http1_leave, websocket_leave
from tests.conftest import Returns, Serve, WatchPrints
from tests.deck.slides import Deck, read_deck
from tests.demos.conftest import (
    PROTOTYPES,
    UVICORN_H11,
    UVICORN_WEBSOCKETS_SANSIO,
)

PACE = 0.02  # seconds between sends, here
READ = 4  # sends the client takes before it leaves
# Where a demo's client leaves: stock uvicorn, and (HTTP) the prototype of
# #3085: between them, each demo prints every line of the contract it can.
SERVERS = {"http": (UVICORN_H11, PROTOTYPES[0]),
           "websocket": (UVICORN_WEBSOCKETS_SANSIO,)}
LEAVE = {"http": http1_leave, "websocket": websocket_leave}


def test_every_demo_module_is_catalogued() -> None:
    """A module of demos/ that serves an ``app`` is a demo of the catalog."""
    apps = {
        path.stem for path in (ROOT / "demos").glob("*.py")
        if hasattr(importlib.import_module(f"demos.{path.stem}"), "app")
    }
    assert apps == {demo.name for demo in DEMOS}


@pytest.mark.parametrize("key", HTTP_CLASSES)
def test_http_classes_are_uvicorn_protocols(key: str) -> None:
    module, _, name = HTTP_CLASSES[key][0].partition(":")
    protocol = getattr(importlib.import_module(module), name)
    assert issubclass(protocol, httptools_impl.HttpToolsProtocol)


@pytest.fixture(scope="module")
def deck() -> Deck:
    return read_deck()


def code_image(demo: Demo) -> str:
    """The picture of the demo's code on its slide."""
    if demo.name == "asgi_app":
        return "assets/asgi.svg"
    return f"assets/asgi_innovations/{demo.name}.svg"


@pytest.mark.parametrize("demo", DEMOS, ids=lambda demo: demo.name)
def test_the_banner_names_the_slide_that_shows_the_code(
    demo: Demo, deck: Deck
) -> None:
    """``make demo`` starts with "NAME · SLIDE": the title of the slide
    that shows the demo's code, as the audience just saw it."""
    picture = code_image(demo)
    showing = [s for s in deck.slides if picture in [p.url for p in s.pictures]]
    assert showing, f"no slide of slides.md shows {picture}"
    first = showing[0]
    assert demo.slide == first.title, (
        f"demos/catalog.py: {demo.name}'s banner says {demo.slide!r}, but "
        f"{first.where()}, titled {first.title!r}, shows its code"
    )


COMMAND = re.compile(r"make demo NAME=(\w+)(?: HTTP=(\w+))?")  # talk-plan.md


def test_the_live_runs_are_at_most_six_commands_of_the_catalog() -> None:
    assert 0 < len(LIVE) <= 6
    assert len(set(LIVE)) == len(LIVE)
    for command in LIVE:
        match = COMMAND.fullmatch(command)
        assert match, command
        assert match[1] in BY_NAME, command
        assert match[2] is None or match[2] in HTTP_CLASSES, command


@pytest.mark.parametrize(
    "demo", [demo for demo in DEMOS if demo.pace], ids=lambda demo: demo.name
)
def test_paced_sets_the_wait_between_sends_and_it_prints_what_it_says(
    demo: Demo, serve: Serve, prints: WatchPrints
) -> None:
    """On each server a client takes READ sends and leaves; the app waits
    PACE between its sends (less than the slide's pace, as paced), and all
    it prints of the contract is what the catalog says."""
    assert demo.pace is not None
    module = importlib.import_module(demo.target.split(":")[0])
    pacing = importlib.import_module(demo.pace.module)
    recorder, slides, printed = prints(module, pacing), demo.seconds(), set()
    with demo.paced(PACE):
        for spec in SERVERS[demo.transport]:
            app, began = Returns(module.app), time.monotonic()
            port = serve(app, spec).port
            assert LEAVE[demo.transport](port, demo.path, read=READ), spec
            assert app.wait(TIMEOUT), f"{demo.name} never returned on {spec}"
            lines = recorder.since(began)
            sends = [line.at for line in lines
                     if line.text.startswith((SENDING, TICK))]
            gaps = [b - a for a, b in itertools.pairwise(sends)]
            assert len(gaps) >= READ - 1, (spec, lines)
            assert min(gaps) >= PACE * 0.99, (spec, gaps)
            assert statistics.median(gaps) < slides, (spec, gaps)
            printed |= {said for said in (SENDING, TICK, DISCONNECTED)
                        if any(line.text.startswith(said) for line in lines)}
    assert printed == set(demo.prints)
    assert demo.seconds() == slides  # the slide's pace, back
