"""The support matrix pictures (scripts/assets/matrix_picture.py): the full
table, its footnotes, and the simplified one the main slide shows, each
checked against assets/support_matrix.json."""

from typing import Any

from scripts.assets.matrix_picture import FONT
from scripts.assets.svg import SVG_NS
from scripts.matrix.catalog import HANGS, PARTIAL
from tests.assets.conftest import NS, parse, texts


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


def test_every_partial_or_hanging_cell_has_a_footnote(
    built: dict[str, bytes], matrix: dict[str, Any]
) -> None:
    shown = "\n".join(texts(built["assets/support_matrix.svg"]))
    flagged = [
        (server["id"], cell["note"])
        for server in matrix["servers"]
        for cell in server["cells"].values()
        if cell["result"] in (PARTIAL, HANGS)
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
    for row in desc.text.split(". ")[1:]:
        topic, cells = row.split(": ")
        for cell in cells.split(", "):
            server, word = cell.split(" ")
            said[topic, server] = word
    assert said == simple_words(matrix)
    assert said["trailers", "hypercorn"] == "partial"
    assert said["denial response", "daphne"] == "hangs"
    drawn = texts(data)
    for word in ("yes", "partial", "no", "hangs"):
        assert drawn.count(word) == list(said.values()).count(word), word
    sizes = [float(t.get("font-size", FONT))
             for t in parse(data).iter(f"{{{SVG_NS}}}text")]
    assert min(sizes) >= 24


def test_the_full_matrix_gives_hypercorn_trailers_as_partial(
    built: dict[str, bytes],
) -> None:
    shown = "\n".join(texts(built["assets/support_matrix.svg"]))
    assert "hypercorn, trailers, HTTP/2: only the first of 2 trailers" in shown
