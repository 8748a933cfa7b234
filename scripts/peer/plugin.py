"""A pytest plugin for uvicorn's own tests: their HTTP protocol classes
become the prototype's, no test body edited. uvicorn's tests/conftest.py
resolves ``http_protocol_cls`` with ``import_from_string``: once pytest
registers it, that name swaps the h11 and httptools classes for
demos/oserror_protocols.py's (zttp stays stock; ``--peer-stock``: none).
Each test's outcome, the swaps and the uvicorn tested go to
``--peer-report``."""

import json
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import uvicorn

HTTP, PROTOTYPE = "uvicorn.protocols.http", "demos.oserror_protocols"
SWAPS = {
    f"{HTTP}.h11_impl:H11Protocol": f"{PROTOTYPE}:H11Protocol",
    f"{HTTP}.httptools_impl:HttpToolsProtocol":
        f"{PROTOTYPE}:HttpToolsProtocol",
}
REPORT, STOCK = "--peer-report", "--peer-stock"
swapped: Counter[str] = Counter()
outcomes: dict[str, str] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(REPORT, type=Path,
                     help="where to write the outcomes and swaps as JSON")
    parser.addoption(STOCK, action="store_true",
                     help="swap nothing: stock uvicorn, the control")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption(STOCK):
        SWAPS.clear()


def pytest_plugin_registered(plugin: object) -> None:
    """Swap in uvicorn's conftest, the module with ``http_protocol_cls``."""
    resolve = getattr(plugin, "import_from_string", None)
    if not (isinstance(plugin, ModuleType) and callable(resolve)
            and hasattr(plugin, "http_protocol_cls")):
        return

    def import_from_string(name: str) -> Any:
        if name in SWAPS:
            swapped[SWAPS[name]] += 1
        return resolve(SWAPS.get(name, name))

    plugin.import_from_string = import_from_string  # type: ignore[attr-defined]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """A test's outcome: its first phase that did not pass, else passed."""
    if report.when == "call" or not report.passed:
        outcomes.setdefault(report.nodeid, report.outcome)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if (path := session.config.getoption(REPORT)) is not None:
        tested = {"version": uvicorn.__version__, "file": uvicorn.__file__}
        path.write_text(json.dumps({"uvicorn": tested, "outcomes": outcomes,
                                    "swapped": dict(swapped)}, indent=1))
