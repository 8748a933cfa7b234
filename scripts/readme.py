"""The README's measured figures, written by cog (``make readme``) from
assets/*.json into the words of scripts/readme.md (``make check``: no drift)."""
# ruff: noqa: RUF001 (the README's typography: times and en dash)

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path
from typing import Any

from scripts.matrix.catalog import FEATURES, NO, PARTIAL, VALUE, YES

ROOT = Path(__file__).resolve().parents[1]
# The README's columns: several targets behave alike.
COLUMNS = (
    ("uvicorn h11, httptools", ("uvicorn-h11", "uvicorn-httptools")),
    ("uvicorn zttp HTTP/2", ("uvicorn-zttp-h2",)),
    ("uvicorn WS ×3",
     ("uvicorn-websockets-sansio", "uvicorn-wsproto", "uvicorn-websockets")),
    ("uvicorn #3085 prototype", ("uvicorn-3085-h11", "uvicorn-3085-httptools")),
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
PATTERNS = {"send_only": "send only", "listen": "listen for disconnect",
            "catch_oserror": "catch OSError", "fastapi": "FastAPI demo"}
FRAMEWORKS = {"starlette": "Starlette", "fastapi": "FastAPI"}


@cache
def load(name: str) -> Any:
    return json.loads((ROOT / "assets" / name).read_text(encoding="utf-8"))


@cache
def words(name: str) -> str:
    """Block ``name`` of scripts/readme.md, its fields to fill in."""
    text = (ROOT / "scripts" / "readme.md").read_text(encoding="utf-8")
    blocks = re.split(r"^## (\w+)\n", text, flags=re.M)
    return dict(zip(blocks[1::2], blocks[2::2], strict=True))[name].rstrip(
        "\n") + "\n"


def rounded(value: float | Decimal, digits: int = 0) -> Decimal:
    """Half up, as people round: 232.5 ms is 233 ms."""
    step = Decimal(1).scaleb(-digits)
    return Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP)


def mark(feature: str, cell: dict[str, Any] | None) -> str:
    """One target's cell as the README's table shows it."""
    if cell is None or cell["result"] == "n/a":
        return DASH
    result, note = cell["result"], cell.get("note", "")
    short = next((found.expand(repl) for pattern, repl in SHORT
                  if (found := re.search(pattern, note))), "")
    if result == VALUE:
        return str(cell["value"])
    if result == YES:
        shown = f" {cell['status']}" if feature == "close_before_accept" else ""
        if cell.get("observed", {}).get("sends_after_leaving") == 0:
            shown += " on the next send"
        return f"✓{shown}"
    if result == NO:
        return f"✗ ({short})" if short else "✗"
    return f"partial: {short or note}" if result == PARTIAL else str(result)


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
    versions = load("support_matrix.json")["versions"]
    return words("matrix_intro").format(v=versions)


def milliseconds(seconds: dict[str, float], spread: bool = False) -> str:
    """Milliseconds, median [min-max]: whole ones from 10 ms up."""
    digits = 0 if seconds["median"] >= 0.01 else 1
    shown = [rounded(Decimal(str(seconds[key])) * 1000, digits)
             for key in ("median", "min", "max")]
    text = f"{shown[0]} ms"
    return f"{text} [{shown[1]}{DASH}{shown[2]}]" if spread else text


def _wasted(row: dict[str, Any], spread: bool) -> str:
    count = int(rounded(row["chunks_after"]["median"]))
    text = f"{count} message{'' if count == 1 else 's'}, "
    text += milliseconds(row["seconds_after"], spread)
    raised = [o for o in row["outcomes"] if o.startswith("raised ")]
    return text + (f", then an uncaught {raised[0][7:]}" if raised else "")


def _rps(value: float) -> str:
    return f"{int(rounded(value)):,}"


def bench_list() -> str:
    """The two measurements of ``make bench``, their tables and ratios."""
    data = load("bench_disconnect.json")
    work, cost = data["wasted_work"], data["throughput"]
    rows = {(r["server"], r["transport"], r["pattern"]): r
            for r in work["results"]}
    ws = {k[2]: _wasted(r, False) for k, r in rows.items()
          if k[:2] == ("uvicorn", "websocket")}
    wasted = "".join(
        f"   | {label} | {_wasted(rows['uvicorn', 'http', key], True)} | "
        f"{_wasted(rows['prototype', 'http', key], True)} | "
        f"{ws.get(key, DASH)} |\n" for key, label in PATTERNS.items()
    )
    loads = "".join(
        f"   | {FRAMEWORKS[r['framework']]}, spec {r['spec_version']} | "
        f"{_rps(r['rps']['median'])} [{_rps(r['rps']['min'])}{DASH}"
        f"{_rps(r['rps']['max'])}] | {rounded(r['p50_ms']['median'], 1)} ms | "
        f"{rounded(r['p99_ms']['median'], 1)} ms |\n"
        for r in cost["results"]
    )
    ratio = {k: {"x": rounded(v["rps"], 2), "p99": rounded(1 / v["p99"], 1),
                 "min": rounded(v["paired"]["rps"]["min"], 2),
                 "max": rounded(v["paired"]["rps"]["max"], 2)}
             for k, v in cost["ratios_2_4_over_2_3"].items()}
    return words("bench_list").format(
        work=work, cost=cost, load=cost["load"], wasted=wasted, loads=loads,
        delay=rounded(work["delay"] * 1000), s=ratio["starlette"],
        f=ratio["fastapi"], clients=work["clients_per_round"] * work["rounds"],
    )
