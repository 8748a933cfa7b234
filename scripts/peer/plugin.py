"""A pytest plugin: where uvicorn's conftest resolves ``http_protocol_cls``,
its classes become the prototype's (SWAPS; ``--peer-stock``: none), no test
edited; the outcomes, swaps and uvicorn tested go to ``--peer-report``."""

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import uvicorn

SWAPS = {f"uvicorn.protocols.http.{module}:{name}":
         f"demos.oserror_protocols:{name}"
         for module, name in (("h11_impl", "H11Protocol"),
                              ("httptools_impl", "HttpToolsProtocol"))}
REPORT, STOCK = "--peer-report", "--peer-stock"
swapped: Counter[str] = Counter()
outcomes: dict[str, str] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(REPORT, type=Path, help="where the JSON report goes")
    parser.addoption(STOCK, action="store_true", help="swap nothing")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption(STOCK):
        SWAPS.clear()


def pytest_plugin_registered(plugin: object) -> None:
    """Swap in uvicorn's conftest, the module with ``http_protocol_cls``."""
    resolve = getattr(plugin, "import_from_string", None)
    if not (callable(resolve) and hasattr(plugin, "http_protocol_cls")):
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
