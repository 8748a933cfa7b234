"""The README's measured figures, written by cog from the committed JSON.

README.md holds cog blocks, ``<!-- [[[cog from scripts import readme;
cog.out(readme.matrix_table()) ]]] -->`` ... ``<!-- [[[end]]] -->``, that
``make readme`` (and ``make matrix``, ``make bench``) rewrite from
assets/support_matrix.json (``make matrix``) and assets/bench_disconnect.json
(``make bench``), and ``make check`` fails when they drift (``cog
--check``). Light to import: json and the matrix catalog only.
"""
# ruff: noqa: RUF001, RUF002 (the README's typography: times and en dash)

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

from scripts.matrix.catalog import FEATURES, HANGS, NO, PARTIAL, VALUE, YES

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ".venv/bin/cog -r -I . README.md"
# The README's columns: several targets behave alike.
COLUMNS = (
    ("uvicorn h11, httptools", ("uvicorn-h11", "uvicorn-httptools")),
    ("uvicorn zttp HTTP/2", ("uvicorn-zttp-h2",)),
    ("uvicorn WS ×3",
     ("uvicorn-websockets-sansio", "uvicorn-wsproto", "uvicorn-websockets")),
    ("hypercorn", ("hypercorn",)),
    ("granian", ("granian",)),
    ("daphne", ("daphne",)),
)
# A cell's note, as few words as the table has room for.
SHORT = (
    (r"the client gets (\d+)", r"a \1"),
    (r"the chunked body never ends", "body never ends"),
    (r"dropped silently", "dropped"),
    (r"the 401 carries the upgrade headers", "the 401 carries upgrade headers"),
    (r"only the first of \d+ trailers messages arrives", "first message only"),
)
DASH = "–"


@cache
def load(name: str) -> Any:
    return json.loads((ROOT / "assets" / name).read_text(encoding="utf-8"))


def rounded(value: float | Decimal, digits: int = 0) -> Decimal:
    """Half up, as people round: 232.5 ms is 233 ms."""
    step = Decimal(1).scaleb(-digits)
    return Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP)


def _short(note: str) -> str:
    for pattern, words in SHORT:
        if found := re.search(pattern, note):
            return found.expand(words)
    return ""


def mark(feature: str, cell: dict[str, Any] | None) -> str:
    """One target's cell as the README's table shows it."""
    if cell is None or cell["result"] == "n/a":
        return DASH
    result, note = cell["result"], cell.get("note", "")
    if result == VALUE:
        return str(cell["value"])
    if result == YES:
        shown = f" {cell['status']}" if feature == "close_before_accept" else ""
        if cell.get("observed", {}).get("sends_after_leaving") == 0:
            shown += " on the next send"
        return f"✓{shown}"
    if result == NO:
        words = _short(note)
        return f"✗ ({words})" if words else "✗"
    if result == PARTIAL:
        return f"partial: {_short(note) or note}"
    return HANGS if result == HANGS else str(result)


def _column(cells: dict[str, dict[str, Any]], targets: tuple[str, ...],
            feature: str) -> str:
    found = [mark(feature, cells[t].get(feature)) for t in targets
             if feature in cells[t]]
    return " / ".join(dict.fromkeys(found)) if found else DASH


def matrix_table() -> str:
    """The support matrix, one column per group of alike targets."""
    servers = load("support_matrix.json")["servers"]
    cells = {server["id"]: server["cells"] for server in servers}
    rows = [["Feature", *(name for name, _ in COLUMNS)]]
    spec = ["spec_version, HTTP / WS"]
    for _, targets in COLUMNS:
        http = _column(cells, targets, "spec_http")
        ws = _column(cells, targets, "spec_websocket")
        spec.append(http if http == ws == "unset" else f"{http} / {ws}")
    rows.append(spec)
    for feature in FEATURES[2:]:
        rows.append([feature.label, *(_column(cells, targets, feature.id)
                                      for _, targets in COLUMNS)])
    lines = [f"| {' | '.join(row)} |\n" for row in rows]
    lines.insert(1, "|---" * (len(COLUMNS) + 1) + "|\n")
    return "".join(lines)


def matrix_intro() -> str:
    """The paragraph that names the servers probed, with their versions."""
    v = load("support_matrix.json")["versions"]
    u, h, g, d = (v[name] for name in ("uvicorn", "hypercorn", "granian",
                                        "daphne"))
    return f"""\
`make matrix` (`scripts/matrix/probe.py`) starts each server in a
subprocess on 127.0.0.1, one at a time: uvicorn {u} with h11, httptools
and zttp (`--http zttp --http2`) and its three WebSocket backends,
hypercorn {h}, granian {g} and daphne {d}. Each serves the probe app
(`scripts/matrix/app.py`), and real clients (h11, h2, websockets and raw
handshakes) ask for each feature: the `asgi.spec_version` of HTTP and
WebSocket scopes, closing before accept, a denial response with a one-part
and a three-part body, two trailers messages over HTTP/1.1 and HTTP/2 with
`te: trailers`, `http.disconnect` when the client leaves, and whether
`send()` raises an `OSError` once the client has left, and how soon. Then
the server's whole process group is stopped. A server that started and
then does not answer is a result ("hangs"). One that never starts or dies
during the probe, or a probe that raises, fails the command: it exits 3,
names the server and the cells, and writes nothing. The JSON and the
picture drawn from it are replaced together or not at all.
"""


PATTERNS = {"send_only": "send only", "listen": "listen for disconnect",
            "catch_oserror": "catch OSError"}
FRAMEWORKS = {"starlette": "Starlette", "fastapi": "FastAPI"}


def _ms(seconds: dict[str, float], spread: bool) -> str:
    """Milliseconds, median [min–max]: whole ones from 10 ms up."""
    digits = 0 if seconds["median"] >= 0.01 else 1
    shown = [rounded(Decimal(str(seconds[key])) * 1000, digits)
             for key in ("median", "min", "max")]
    text = f"{shown[0]} ms"
    return f"{text} [{shown[1]}{DASH}{shown[2]}]" if spread else text


def _wasted(row: dict[str, Any], spread: bool) -> str:
    count = int(rounded(row["chunks_after"]["median"]))
    text = f"{count} message{'' if count == 1 else 's'}, "
    text += _ms(row["seconds_after"], spread)
    raised = [o for o in row["outcomes"] if o.startswith("raised ")]
    return text + (f", then an uncaught {raised[0][7:]}" if raised else "")


def _rps(value: float) -> str:
    return f"{int(rounded(value)):,}"


def bench_list() -> str:
    """The two measurements of ``make bench``, their tables and ratios."""
    data = load("bench_disconnect.json")
    work, cost = data["wasted_work"], data["throughput"]
    rows = {(r["transport"], r["pattern"]): r for r in work["results"]}
    wasted = "".join(
        f"   | {label} | {_wasted(rows['http', key], True)} | "
        f"{_wasted(rows['websocket', key], False)} |\n"
        for key, label in PATTERNS.items()
    )
    loads = "".join(
        f"   | {FRAMEWORKS[r['framework']]}, spec {r['spec_version']} | "
        f"{_rps(r['rps']['median'])} [{_rps(r['rps']['min'])}{DASH}"
        f"{_rps(r['rps']['max'])}] | {rounded(r['p50_ms']['median'], 1)} ms | "
        f"{rounded(r['p99_ms']['median'], 1)} ms |\n"
        for r in cost["results"]
    )
    ratio = {k: {"x": rounded(v["rps"], 2), "p99": rounded(v["p99"], 2),
                 "min": rounded(v["paired"]["rps"]["min"], 2),
                 "max": rounded(v["paired"]["rps"]["max"], 2)}
             for k, v in cost["ratios_2_4_over_2_3"].items()}
    s, f = ratio["starlette"], ratio["fastapi"]
    load_ = cost["load"]
    return f"""\
1. **Wasted work.** uvicorn serves the slides' three patterns side by side:
   `streaming_response`, `disconnect_receive` and `raise_oserror`, plus
   their WebSocket twins in `scripts/bench/apps.py`, with the delay
   shortened to {rounded(work['delay'] * 1000)} ms through the demos' `DELAY`. \
{rows['http', 'listen']['clients']} clients per pattern
   each read {work['read_before_leaving']} of {work['stream_messages']} \
messages and leave. Median [min{DASH}max]:

   | Pattern | HTTP: after the client left | WebSocket |
   |---|---|---|
{wasted}
2. **What FastAPI pays today.** A uvicorn subprocess (httptools, uvloop)
   serves many small streams ({cost['stream']['chunks']} chunks of \
{cost['stream']['chunk_bytes']} bytes) from a Starlette
   `StreamingResponse` and a FastAPI endpoint, each as uvicorn reports it
   (spec 2.3: Starlette runs a task listening for `http.disconnect`) and
   forced to spec 2.4 by a wrapper that sets
   `scope["asgi"]["spec_version"] = "2.4"` (Starlette relies on OSError
   instead). {load_['tool']} ({load_['connections']} connections) loads \
each variant in turn, {load_['runs_per_variant']} runs
   of {load_['seconds_per_run']} s each:

   | Variant | req/s, median [min{DASH}max] | p50 | p99 |
   |---|---:|---:|---:|
{loads}
   Comparing each round's runs: spec 2.4 serves **{s['x']}× the requests for
   Starlette** [{s['min']}{DASH}{s['max']}] and **{f['x']}× for FastAPI** \
[{f['min']}{DASH}{f['max']}], with p99
   latency ×{s['p99']} and ×{f['p99']}. That is the benefit of spec 2.4 \
once servers
   raise OSError on HTTP. Until then the 2.4 path is not safe on HTTP:
   nothing stops a stream after its client leaves.
"""
