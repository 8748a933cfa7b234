"""The disconnect benchmark's figures (assets/bench_disconnect.json), as
the charts, the README and the speaker notes say them: each rounded once,
from the runs as measured."""
# ruff: noqa: RUF001 (typography: times and en dash)

import statistics
from decimal import Decimal
from typing import Any, NamedTuple

from scripts.common import DASH, milliseconds, plural, rounded

PATTERNS = {"send_only": "send only", "listen": "listen for disconnect",
            "catch_oserror": "catch OSError", "fastapi": "FastAPI demo"}
FRAMEWORKS = {"starlette": "Starlette", "fastapi": "FastAPI"}


def after(row: dict[str, Any], spread: bool = False, sep: str = ", ") -> str:
    """What an app did after its client left (a row of the wasted work):
    "1 message, 21 ms", the median client's."""
    count = int(rounded(row["chunks_after"]["median"]))
    took = milliseconds(row["seconds_after"], spread)
    return f"{plural(count, 'message')}{sep}{took}"


def raised(row: dict[str, Any]) -> str | None:
    """The exception an app of the wasted work ended in (its outcome
    "raised NAME"), if one did."""
    found = [o for o in row["outcomes"] if o.startswith("raised ")]
    return found[0].removeprefix("raised ") if found else None


class Load(NamedTuple):
    """One variant's runs (a row of the throughput) as shown: requests/s,
    median [min-max], and the median p50 and p99 latencies in ms."""

    rps: int
    low: int
    high: int
    p50: Decimal
    p99: Decimal

    def __str__(self) -> str:  # "6,289 [5,828-6,752]", an en dash
        return f"{self.rps:,} [{self.low:,}{DASH}{self.high:,}]"


def load_of(row: dict[str, Any]) -> Load:
    """From the runs as measured: each figure rounded once."""
    runs = row["runs"]
    rps = [run["rps"] for run in runs]
    low, median, high = (int(rounded(f(rps)))
                         for f in (min, statistics.median, max))
    p50, p99 = (rounded(statistics.median(run[key] for run in runs), 1)
                for key in ("p50_ms", "p99_ms"))
    return Load(median, low, high, p50, p99)


class Ratio(NamedTuple):
    """What the prototype's spec does to one framework's many small
    streams: each round's prototype run over the same round's stock run."""

    rps: Decimal  # requests/s, times: the median of the rounds' ratios
    low: Decimal  # the lowest round's
    high: Decimal  # the highest round's
    p99: str  # "6.4x lower": stock's p99 over the prototype's; or higher


def specs(cost: dict[str, Any]) -> tuple[str, str]:
    """The spec versions compared: stock uvicorn's, the prototype's."""
    old, new = cost["servers"]
    return old, new


def per_round(cost: dict[str, Any], framework: str, key: str) -> list[float]:
    """Each round's prototype ``key`` over its stock ``key``, in order."""
    runs = {r["spec_version"]: r["runs"] for r in cost["results"]
            if r["framework"] == framework}
    stock, prototype = (runs[spec] for spec in specs(cost))
    return [new[key] / old[key]
            for old, new in zip(stock, prototype, strict=True)]


def ratios(cost: dict[str, Any]) -> dict[str, Ratio]:
    """The throughput's ratios by framework (``make bench``'s "throughput")."""
    found = {}
    for framework in FRAMEWORKS:
        rps = per_round(cost, framework, "rps")
        median, low, high = (rounded(f(rps), 2)
                             for f in (statistics.median, min, max))
        p99 = statistics.median(1 / r for r in per_round(cost, framework,
                                                          "p99_ms"))
        p99_said = (f"{rounded(p99, 1)}× lower" if p99 >= 1
                    else f"{rounded(1 / p99, 1)}× higher")
        found[framework] = Ratio(median, low, high, p99_said)
    return found
