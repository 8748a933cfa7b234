"""The README's measured figures, written by cog (``make readme``) from
assets/*.json into the words of scripts/readme.md (``make check``: no drift)."""

import json
import re
from functools import cache
from typing import Any

from scripts.common import DASH, ROOT, rounded
from scripts.figures import (
    FRAMEWORKS,
    PATTERNS,
    after,
    load_of,
    messages,
    ratios,
    specs,
)
from scripts.matrix.catalog import COLUMNS, FEATURES, NO, PARTIAL, VALUE, YES

# The code images, weighed on disk: the ASGI diagram and the code slides'.
CODE_IMAGES = ("assets/asgi.svg", "assets/asgi_innovations/*.svg")
# A cell's note, as few words as the table has room for.
SHORT = (
    (r"the client gets (\d+)", r"a \1"),
    (r"the chunked body never ends", "body never ends"),
    (r"dropped silently", "dropped"),
    (r"the 401 carries the upgrade headers", "the 401 carries upgrade headers"),
    (r"no reply, reset at its \d+ s handshake timeout", r"\g<0>"),
)


@cache
def measured(name: str) -> Any:
    return json.loads((ROOT / "assets" / name).read_text(encoding="utf-8"))


@cache
def words(name: str) -> str:
    """Block ``name`` of scripts/readme.md, its fields to fill in."""
    text = (ROOT / "scripts" / "readme.md").read_text(encoding="utf-8")
    blocks = re.split(r"^## (\w+)\n", text, flags=re.M)
    return dict(zip(blocks[1::2], blocks[2::2], strict=True))[name].rstrip(
        "\n") + "\n"


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
    servers = measured("support_matrix.json")["servers"]
    cells = {server["id"]: server["cells"] for server in servers}
    rows = [["Feature", *(column.heading for column in COLUMNS)]]
    spec = ["spec_version, HTTP / WS"]
    for column in COLUMNS:
        http = _column(cells, column.targets, "spec_http")
        ws = _column(cells, column.targets, "spec_websocket")
        spec.append(http if http == ws == "unset" else f"{http} / {ws}")
    rows.append(spec)
    for feature in FEATURES[2:]:
        rows.append([feature.label, *(_column(cells, column.targets, feature.id)
                                      for column in COLUMNS)])
    lines = [f"| {' | '.join(row)} |\n" for row in rows]
    lines.insert(1, "|---" * (len(COLUMNS) + 1) + "|\n")
    return "".join(lines)


def matrix_intro() -> str:
    versions = measured("support_matrix.json")["versions"]
    return words("matrix_intro").format(v=versions)


def _wasted(row: dict[str, Any], spread: bool) -> str:
    text = after(row, spread)
    raised = [o for o in row["outcomes"] if o.startswith("raised ")]
    return text + (f", then an uncaught {raised[0][7:]}" if raised else "")


def bench_list() -> str:
    """The two measurements of ``make bench``, their tables and ratios."""
    data = measured("bench_disconnect.json")
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
        f"{shown} | {shown.p50} ms | {shown.p99} ms |\n"
        for r, shown in ((r, load_of(r)) for r in cost["results"])
    )
    said = {server: {pattern: after(rows[server, "http", pattern])
                     for pattern in PATTERNS}
            for server in ("uvicorn", "prototype")}
    count = {server: int(rounded(rows[server, "http", "fastapi"]
                                 ["chunks_after"]["median"]))
             for server in ("uvicorn", "prototype")}
    ratio, (old, new) = ratios(cost), specs(cost)
    return words("bench_list").format(
        old=old, new=new, prototype=cost["servers"][new],
        work=work, cost=cost, load=cost["load"], wasted=wasted, loads=loads,
        delay=rounded(work["delay"] * 1000), s=ratio["starlette"],
        f=ratio["fastapi"], clients=work["clients_per_round"] * work["rounds"],
        p=said["prototype"], u=said["uvicorn"],
        extra=messages(count["prototype"] - count["uvicorn"]),
    )


def code_images_weight() -> str:
    """How many code images there are and what they weigh together."""
    images = [path for pattern in CODE_IMAGES for path in ROOT.glob(pattern)]
    size = sum(path.stat().st_size for path in images)
    return words("code_images_weight").format(
        count=len(images), kb=rounded(size / 1024)
    )
