"""The README's measured figures, written by cog (``make readme``) from
assets/*.json into the words of scripts/readme.md (``make check``: no drift)."""

import re
from functools import cache
from typing import Any

from scripts import figures
from scripts.common import DASH, ROOT, plural, read_measured, rounded
from scripts.matrix.catalog import COLUMNS, FEATURES, NO, PARTIAL, VALUE, YES
from scripts.matrix.catalog import NOT_APPLICABLE as NA

# A cell's note, as few words as the table has room for.
SHORT = (
    (r"the client gets (\d+)", r"a \1"),
    (r"the chunked body never ends", "body never ends"),
    (r"dropped silently", "dropped"),
    (r"the 401 carries the upgrade headers", "the 401 carries upgrade headers"),
    (r"no reply, reset at its \d+ s handshake timeout", r"\g<0>"),
)


@cache  # one read for all of cog's blocks
def measured(name: str, make: str) -> dict[str, Any]:
    return read_measured(ROOT / "assets" / name, ROOT, make)


def words(name: str, **fields: Any) -> str:
    """Block ``name`` of scripts/readme.md, its ``fields`` filled in."""
    text = (ROOT / "scripts" / "readme.md").read_text(encoding="utf-8")
    found = re.search(rf"^## {name}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert found, f"scripts/readme.md has no block {name!r}"
    return found[1].rstrip("\n").format(**fields) + "\n"


def mark(feature: str, cell: dict[str, Any]) -> str:
    """One target's cell as the README's table shows it."""
    result, note = cell["result"], cell.get("note", "")
    short = next((found.expand(repl) for pattern, repl in SHORT
                  if (found := re.search(pattern, note))), "")
    status = f" {cell.get('status')}" * (feature == "close_before_accept")
    sent: bool = cell.get("observed", {}).get("sends_after_leaving") == 0
    return {NA: DASH, VALUE: str(cell.get("value")),
            YES: f"✓{status}" + " on the next send" * sent,
            NO: f"✗ ({short})" if short else "✗",
            PARTIAL: f"partial: {short or note}"}.get(result, str(result))


def matrix_table() -> str:
    """The support matrix, one column per group of alike targets."""
    data = measured("support_matrix.json", "make matrix")
    cells = {server["id"]: server["cells"] for server in data["servers"]}

    def column(targets: tuple[str, ...], feature: str) -> str:
        found = [mark(feature, cells[t][feature]) for t in targets
                 if feature in cells[t]]
        return " / ".join(dict.fromkeys(found)) if found else DASH

    spec = [[column(c.targets, f"spec_{t}") for t in ("http", "websocket")]
            for c in COLUMNS]  # one cell, or both unset
    rows = [["Feature", *(c.heading for c in COLUMNS)], [
        "spec_version, HTTP / WS", *(h if h == w == "unset" else f"{h} / {w}"
                                     for h, w in spec)]]
    rows += [[f.label, *(column(c.targets, f.id) for c in COLUMNS)]
             for f in FEATURES[2:]]
    head, *body = (f"| {' | '.join(row)} |\n" for row in rows)
    return head + "|---" * (len(COLUMNS) + 1) + "|\n" + "".join(body)


def matrix_intro() -> str:
    data = measured("support_matrix.json", "make matrix")
    return words("matrix_intro", v=data["versions"])


def bench_list() -> str:
    """The two measurements of ``make bench``, their tables and ratios."""
    data = measured("bench_disconnect.json", "make bench")
    work, cost = data["wasted_work"], data["throughput"]
    rows = {(r["server"], r["transport"], r["pattern"]): r
            for r in work["results"]}

    def wasted(server: str, pattern: str, transport: str = "http") -> str:
        if (row := rows.get((server, transport, pattern))) is None:
            return DASH
        raised = figures.raised(row)
        return figures.after(row, transport == "http") + (  # how it ended
            f", then an uncaught {raised}" if raised else "")

    table = "".join(
        f"   | {label} | {wasted('uvicorn', key)} | {wasted('prototype', key)}"
        f" | {wasted('uvicorn', key, 'websocket')} |\n"
        for key, label in figures.PATTERNS.items())
    loads = "".join(
        f"   | {figures.FRAMEWORKS[r['framework']]}, spec "
        f"{r['spec_version']} | {load} | {load.p50} ms | {load.p99} ms |\n"
        for r, load in ((r, figures.load_of(r)) for r in cost["results"]))
    p, u = ({key: figures.after(rows[server, "http", key]) for key in
             figures.PATTERNS} for server in ("prototype", "uvicorn"))
    fastapi = [rounded(rows[server, "http", "fastapi"]["chunks_after"][
        "median"]) for server in ("prototype", "uvicorn")]
    ratio, (old, new) = figures.ratios(cost), figures.specs(cost)
    return words(
        "bench_list", old=old, new=new, prototype=cost["servers"][new],
        work=work, cost=cost, load=cost["load"], wasted=table, loads=loads,
        delay=rounded(work["delay"] * 1000), s=ratio["starlette"],
        f=ratio["fastapi"], clients=work["clients_per_round"] * work["rounds"],
        p=p, u=u, extra=plural(int(fastapi[0] - fastapi[1]), "message"))


def code_images_weight() -> str:
    """How many code images there are, and what they weigh on disk."""
    images = [*ROOT.glob("assets/asgi.svg"),
              *ROOT.glob("assets/asgi_innovations/*.svg")]
    return words("code_images_weight", count=len(images), kb=rounded(
        sum(path.stat().st_size for path in images) / 1024))
