"""Every demo module is in the catalog, and every catalog entry runs."""

import importlib
import inspect
from pathlib import Path

import pytest
from uvicorn.protocols.http import httptools_impl

from demos.catalog import DEMOS, HTTP_CLASSES, Demo

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
