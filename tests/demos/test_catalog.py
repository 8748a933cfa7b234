"""Every demo module is in the catalog, and every catalog entry runs; each
demo's banner names the slide that shows its code; the talk's live runs are
commands of the catalog."""

import importlib
import inspect
import re
from pathlib import Path

import pytest
from uvicorn.protocols.http import httptools_impl

from demos.catalog import BY_NAME, DEMOS, HTTP_CLASSES, LIVE, Demo
from tests.deck.slides import Deck, read_deck

DEMOS_DIR = Path(__file__).resolve().parents[2] / "demos"
# Modules in demos/ that are not a demo of their own.
NOT_DEMOS = {
    "__init__",
    "__main__",
    "catalog",
    "oserror_protocols",  # uvicorn --http classes, not an app
    "trailers_response",
}


def test_every_module_is_catalogued() -> None:
    modules = {path.stem for path in DEMOS_DIR.glob("*.py")} - NOT_DEMOS
    assert modules == {demo.name for demo in DEMOS}


@pytest.mark.parametrize("demo", DEMOS, ids=lambda demo: demo.name)
def test_exposes_an_asgi_app(demo: Demo) -> None:
    module = importlib.import_module(f"demos.{demo.name}")
    assert callable(module.app)


@pytest.mark.parametrize("demo", DEMOS, ids=lambda demo: demo.name)
def test_serves_at_the_documented_path(demo: Demo) -> None:
    expected = "/ws" if demo.transport == "websocket" else "/"
    assert demo.path == expected


@pytest.mark.parametrize(
    "demo", [demo for demo in DEMOS if demo.pace], ids=lambda demo: demo.name
)
def test_the_pace_is_the_constant_the_app_sleeps_for(demo: Demo) -> None:
    module, name = demo.pace_constant()
    assert demo.interval() > 0
    paced = inspect.getsource(importlib.import_module(module))
    assert f"await asyncio.sleep({name})" in paced, demo.pace
    if module != f"demos.{demo.name}":  # it serves that module's app
        served_module = demo.target.partition(":")[0]
        served = inspect.getsource(importlib.import_module(served_module))
        assert f"from {module} import app" in served, demo.pace


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
    assert showing, f"no slide of {deck.path.name} shows {picture}"
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
