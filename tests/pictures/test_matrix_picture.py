"""The support matrix pictures (scripts/pictures/matrix_picture.py): the full
table, its footnotes, and the simplified one the main slide shows
(matrix_simple.py), each checked against assets/support_matrix.json."""

import copy
from pathlib import Path
from typing import Any

from scripts.matrix.catalog import HANGS, NO, PARTIAL
from scripts.pictures import charts
from scripts.pictures.matrix_picture import FONT, GOOD
from scripts.pictures.svg import SVG_NS
from tests.pictures.conftest import NS, ROOT, parse, texts

MATRIX = "assets/support_matrix.json"
HYPERCORN_HTTP2 = "one trailers message arrives; a second is lost"
DAPHNE_DENIAL = "not advertised; no reply, reset at its 5 s handshake timeout"


def test_the_table_shows_every_feature_and_server(
    built: dict[str, bytes], matrix: dict[str, Any]
) -> None:
    shown = texts(built["assets/support_matrix.svg"])
    for feature in matrix["features"]:
        assert feature["label"] in shown
    for name in ("hypercorn", "granian", "daphne"):
        assert name in shown
        assert matrix["versions"][name] in shown
    assert f"uvicorn {matrix['versions']['uvicorn']}" in shown
    assert f"probed {matrix['probed']['date']} on 127.0.0.1" in shown


def test_every_partial_hanging_or_silent_cell_has_a_footnote(
    built: dict[str, bytes], matrix: dict[str, Any]
) -> None:
    """Partial and hanging cells, and a no where the client got no reply at
    all (daphne's denial: a reset), say why under the table."""
    shown = "\n".join(texts(built["assets/support_matrix.svg"]))
    flagged = [
        (server["id"], cell["note"])
        for server in matrix["servers"]
        for cell in server["cells"].values()
        if cell["result"] in (PARTIAL, HANGS) or (
            cell["result"] == NO and "reply" in cell.get("observed", {})
            and cell["observed"]["reply"]["status"] is None)
    ]
    assert flagged, "the committed matrix has no partial cell"
    for server, note in flagged:
        assert f": {note}" in shown, f"{server}: no footnote {note!r}"
    assert shown.count("hangs") == sum(
        1
        for s in matrix["servers"]
        for c in s["cells"].values()
        if c["result"] == HANGS
    )


def simple_words(matrix: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(topic, server) -> the word the full matrix's cells give, here
    computed apart from matrix_picture.py."""
    features = {"denial response": ("denial", "denial_streamed"),
                "trailers": ("trailers_http1", "trailers_http2"),
                "OSError on send": ("oserror_http", "oserror_websocket")}
    words = {}
    for topic, ids in features.items():
        for package in ("uvicorn", "hypercorn", "granian", "daphne"):
            seen = {c["result"] for s in matrix["servers"] for f in ids
                    if s["package"] == package and "3085" not in s["id"]
                    and (c := s["cells"].get(f)) and c["result"] != "n/a"}
            words[topic, package] = ("hangs" if "hangs" in seen else
                                     seen.pop() if len(seen) == 1 else
                                     "partial")
    return words


def test_the_simple_matrix_says_what_the_full_one_measured(
    built: dict[str, bytes], matrix: dict[str, Any]
) -> None:
    data = built["assets/support_matrix_simple.svg"]
    desc = parse(data).find("svg:desc", NS)
    assert desc is not None
    assert desc.text
    said = {}
    rows, _, _ = desc.text.partition(". Notes: ")
    for row in rows.split(". ")[1:]:
        topic, cells = row.split(": ")
        for cell in cells.split(", "):
            server, word = cell.split(" ")
            said[topic, server] = word
    assert said == simple_words(matrix)
    assert said["trailers", "hypercorn"] == "partial"
    assert said["denial response", "daphne"] == "no"
    drawn = texts(data)
    for word in ("yes", "partial", "no", "hangs"):
        assert drawn.count(word) == list(said.values()).count(word), word
    sizes = [float(t.get("font-size", FONT))
             for t in parse(data).iter(f"{{{SVG_NS}}}text")]
    assert min(sizes) >= 24


def test_the_full_matrix_says_what_hypercorn_and_daphne_do(
    built: dict[str, bytes],
) -> None:
    """hypercorn's HTTP/2 trailers: a single message arrives, a second is
    lost; daphne's denial: no reply, a reset at its handshake timeout."""
    shown = "\n".join(texts(built["assets/support_matrix.svg"]))
    assert f"hypercorn, trailers, HTTP/2: {HYPERCORN_HTTP2}" in shown
    assert f"daphne, denial response: {DAPHNE_DENIAL}" in shown
    assert "hangs" not in shown


def test_the_simple_matrix_has_the_same_footnotes(
    built: dict[str, bytes],
) -> None:
    """The talk's slide says it too, less the row's topic, at 24 px."""
    data = built["assets/support_matrix_simple.svg"]
    shown = texts(data)
    for footnote in ("granian, denial response: the 401 carries the upgrade "
                     "headers", f"daphne: {DAPHNE_DENIAL}",
                     f"hypercorn, HTTP/2: {HYPERCORN_HTTP2}"):
        assert footnote in shown, footnote
    assert [t for t in shown if t in "123"] == ["1", "2", "3"] * 2
    desc = parse(data).find("svg:desc", NS)
    assert desc is not None
    assert "Notes: 1 granian, denial response: the 401" in str(desc.text)


def test_a_spec_version_above_2_4_is_green_as_a_number(
    matrix: dict[str, Any], font_cache: Path
) -> None:
    """The prototype's HTTP version is read from the server (2.4 or 2.5):
    "2.10" is above "2.4", though not as text."""
    data = copy.deepcopy(matrix)
    for server in data["servers"]:
        if "-3085-" in server["id"]:
            server["cells"]["spec_http"]["value"] = "2.10"
    built = charts.build(ROOT, font_cache, {MATRIX: data})
    tree = parse(built["assets/support_matrix.svg"])
    [drawn] = [t for t in tree.iter(f"{{{SVG_NS}}}text")
               if "".join(t.itertext()) == "2.10"]
    assert drawn.get("fill") == GOOD.colour
