"""Every demo module is in the catalog, and every catalog entry runs."""

import importlib
from pathlib import Path

import pytest

from demos.catalog import DEMOS, Demo

DEMOS_DIR = Path(__file__).resolve().parents[2] / "demos"
# Modules in demos/ that are not a demo of their own.
NOT_DEMOS = {"__init__", "__main__", "catalog", "live", "trailers_response"}


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
