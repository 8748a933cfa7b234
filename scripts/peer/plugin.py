"""A pytest plugin for uvicorn's own tests: their HTTP protocol classes
become the prototype's, without a test body edited.

uvicorn's tests/conftest.py resolves each ``http_protocol_cls`` param with
``import_from_string``, a name it imports: once pytest registers that
conftest, the name is replaced by a function that swaps the h11 and
httptools classes for demos/oserror_protocols.py's (zttp stays stock).
With ``--peer-stock`` nothing is swapped: the control run. Each test's
outcome, the swaps made and the uvicorn tested go to ``--peer-report``.
"""

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

HTTP, PROTOTYPE = "uvicorn.protocols.http", "demos.oserror_protocols"
H11 = f"{HTTP}.h11_impl:H11Protocol"
HTTPTOOLS = f"{HTTP}.httptools_impl:HttpToolsProtocol"
SWAPS = {
    H11: f"{PROTOTYPE}:H11Protocol",
    HTTPTOOLS: f"{PROTOTYPE}:HttpToolsProtocol",
}
REPORT, STOCK = "--peer-report", "--peer-stock"
Resolve = Callable[[str], Any]


@dataclass
class State:
    swap: bool = True
    swapped: Counter[str] = field(default_factory=Counter)
    outcomes: dict[str, str] = field(default_factory=dict)


state = State()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(REPORT, type=Path,
                     help="where to write the outcomes and swaps as JSON")
    parser.addoption(STOCK, action="store_true",
                     help="swap nothing: stock uvicorn, the control")


def pytest_configure(config: pytest.Config) -> None:
    state.swap = not config.getoption(STOCK)


def swapping(resolve: Resolve) -> Resolve:
    """``resolve``, the stock HTTP classes swapped for the prototype's."""

    def import_from_string(import_str: str) -> Any:
        if state.swap and import_str in SWAPS:
            state.swapped[SWAPS[import_str]] += 1
            return resolve(SWAPS[import_str])
        return resolve(import_str)

    return import_from_string


def pytest_plugin_registered(plugin: object) -> None:
    """Swap in uvicorn's conftest, the module with ``http_protocol_cls``."""
    if not isinstance(plugin, ModuleType):
        return
    resolve = getattr(plugin, "import_from_string", None)
    if callable(resolve) and hasattr(plugin, "http_protocol_cls"):
        plugin.import_from_string = swapping(resolve)  # type: ignore[attr-defined]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """A test's outcome: its first phase that did not pass, else passed."""
    if report.when == "call" or not report.passed:
        state.outcomes.setdefault(report.nodeid, report.outcome)


def pytest_sessionfinish(session: pytest.Session) -> None:
    path: Path | None = session.config.getoption(REPORT)
    if path is None:
        return
    data = {
        "uvicorn": {"version": uvicorn.__version__, "file": uvicorn.__file__},
        "swapped": dict(state.swapped),
        "outcomes": state.outcomes,
    }
    path.write_text(json.dumps(data, indent=1) + "\n")
