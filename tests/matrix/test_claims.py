"""The committed support matrix backs the slides' claims, and a comparison
with it names each changed cell and the slides it makes wrong (never
timings)."""

import copy

from scripts.common import ROOT
from scripts.deck.slides import read_deck
from scripts.matrix.catalog import (
    BY_ID,
    COLUMNS,
    FEATURES,
    FULL,
    HANGS,
    NO,
    OSERROR_SLIDE,
    PARTIAL,
    VALUE,
    YES,
    spec_at_least,
)
from scripts.readme import matrix_table
from tests.matrix.conftest import (
    PROTOTYPE,
    TARGET_IDS,
    TARGETS,
    Document,
    cells,
    differences,
)

README = ROOT / "README.md"
HYPERCORN_HTTP2 = "one trailers message arrives; a second is lost"
DAPHNE_DENIAL = "not advertised; no reply, reset at its 5 s handshake timeout"


def test_the_committed_matrix_covers_every_server_and_feature(
    committed: Document,
) -> None:
    assert [s["id"] for s in committed["servers"]] == list(TARGET_IDS)
    assert [f["id"] for f in committed["features"]] == [f.id for f in FEATURES]
    for server, target in zip(committed["servers"], TARGETS, strict=True):
        expected = [f.id for f in FEATURES if f.transport in target.transports]
        assert list(server["cells"]) == expected, server["id"]
        assert server["version"] == committed["versions"][target.package]
    probed = committed["probed"]
    assert probed["profile"] == "full"
    assert probed["date"]
    assert probed["machine"]["cores"]


def claim(feature: str) -> str:
    """How a failed claim names the slides it contradicts."""
    slides = ", ".join(repr(slide) for slide in BY_ID[feature].slides)
    return f"the matrix contradicts slide(s) {slides}"


def test_only_uvicorn_raises_oserror_and_on_http_only_the_prototype(
    committed: Document,
) -> None:
    """Slide 'Uvicorn raises OSError on... WebSockets!', and uvicorn #3085's
    prototype (demos/oserror_protocols.py) raises on HTTP too."""
    http = cells(committed, "oserror_http")
    assert {t for t, c in http.items() if c["result"] != NO} == set(
        PROTOTYPE
    ), claim("oserror_http")
    websocket = cells(committed, "oserror_websocket")
    raising = {t for t, cell in websocket.items() if cell["result"] == YES}
    assert raising == {"uvicorn-websockets-sansio", "uvicorn-wsproto",
                       "uvicorn-websockets", *PROTOTYPE}, claim(
        "oserror_websocket")
    for target, cell in [*((t, websocket[t]) for t in raising),
                         *((t, http[t]) for t in PROTOTYPE)]:
        assert (cell["result"], cell["exception"]) == (
            YES, "uvicorn.protocols.utils.ClientDisconnected"
        ), f"{target}: {OSERROR_SLIDE}"
        assert cell["observed"]["sends_after_leaving"] == 0, target


def test_only_the_prototype_claims_spec_2_4_on_http(
    committed: Document,
) -> None:
    """Starlette trusts spec 2.4 to raise: claiming it without raising
    would let every StreamingResponse run on after its client left. Only
    the prototype of uvicorn #3085 claims it, and it raises."""
    claiming = set()
    for target, cell in cells(committed, "spec_http").items():
        assert cell["result"] == VALUE
        if spec_at_least(cell["value"], "2.4"):
            claiming.add(target)
    assert claiming == set(PROTOTYPE), claim("spec_http")


def test_every_server_delivers_http_disconnect(committed: Document) -> None:
    """Slide 'Client Disconnection': listening is what works today."""
    found = cells(committed, "http_disconnect")
    assert {cell["result"] for cell in found.values()} == {YES}, claim(
        "http_disconnect"
    )


def test_closing_before_accept_is_a_403_everywhere(
    committed: Document,
) -> None:
    for target, cell in cells(committed, "close_before_accept").items():
        assert (cell["result"], cell["status"]) == (YES, 403), (
            f"{target}: " + claim("close_before_accept")
        )


def test_trailers_reach_the_client_on_http2_only(committed: Document) -> None:
    http1 = cells(committed, "trailers_http1")
    assert {cell["result"] for cell in http1.values()} == {NO}, claim(
        "trailers_http1"
    )
    assert cells(committed, "trailers_http2")["uvicorn-zttp-h2"]["result"] == (
        YES
    ), claim("trailers_http2")


def test_hypercorn_loses_only_a_second_trailers_message_on_http2(
    committed: Document,
) -> None:
    """hypercorn 0.18.0 sends each Trailers event with end_stream=True: one
    trailers message arrives whole, the second of two is lost."""
    cell = cells(committed, "trailers_http2")["hypercorn"]
    assert (cell["result"], cell["note"]) == (PARTIAL, HYPERCORN_HTTP2), (
        claim("trailers_http2"))
    one = cell["observed"]["one_message"]
    assert (one["app"]["sent"], one["reply"]["ending"]) == (5, "complete")
    assert one["reply"]["trailers"] == [["x-first", "one"]], claim(
        "trailers_http2")
    assert (cell["observed"]["app"]["sent"], cell["observed"]["reply"][
        "trailers"]) == (6, [["x-first", "one"]]), claim("trailers_http2")


def test_daphne_gives_no_denial_and_resets_at_its_handshake_timeout(
    committed: Document,
) -> None:
    """daphne 4.2.3 does not advertise the extension and ignores the denial
    messages: no reply; its handshake timeout (5 s by default, probed as
    is) resets the connection, up to a second early (whole seconds)."""
    [daphne] = [s for s in committed["servers"] if s["id"] == "daphne"]
    option = f"--websocket_connect_timeout {FULL.handshake} "
    assert option in daphne["process"]["command"]
    for feature, sent in (("denial", 2), ("denial_streamed", 4)):
        cell = daphne["cells"][feature]
        assert (cell["result"], cell["status"], cell["exception"]) == (
            NO, None, None), claim(feature)
        assert cell["note"] == DAPHNE_DENIAL, claim(feature)
        reply, app = cell["observed"]["reply"], cell["observed"]["app"]
        assert (reply["ending"], reply["body"]) == ("reset", ""), claim(feature)
        assert (app["advertised"], app["sent"]) == (False, sent)
        assert FULL.handshake - 1 <= cell["seconds"] < (
            FULL.handshake + FULL.timeout), cell["seconds"]


def test_every_partial_or_hanging_cell_says_why(committed: Document) -> None:
    for server in committed["servers"]:
        for feature, cell in server["cells"].items():
            if cell["result"] in (PARTIAL, HANGS):
                assert cell.get("note"), f"{server['id']} {feature}"


# -- The deck's and the README's words, from the matrix ----------------------


def said(results: dict[str, str], target: str) -> str:
    """How the deck names one target's result: "hypercorn partly"."""
    name = "uvicorn" if target.startswith("uvicorn") else target
    return {YES: name, PARTIAL: f"{name} partly", HANGS: f"{name} hangs"}.get(
        results[target], ""
    )


def conclusion_row(innovation: str) -> str:
    (slide,) = read_deck().titled("Conclusion")
    [row] = [line for line in slide.markdown.splitlines()
             if line.startswith(f"| **{innovation}**")]
    return row


def test_the_conclusion_names_the_servers_the_matrix_measured(
    committed: Document,
) -> None:
    """The conclusion credits with the denial response exactly the servers
    where it works; a partial one is said to work partly (hypercorn's
    HTTP/2 trailers)."""
    denial = {t: c["result"] for t, c in cells(committed, "denial").items()}
    row = conclusion_row("Denial response")
    for target, result in denial.items():
        named = target.split("-")[0] in row
        assert named == (result == YES), f"{target}: {row} " + claim("denial")
    trailers = {
        t: c["result"] for t, c in cells(committed, "trailers_http2").items()
    }
    row = conclusion_row("Trailers")
    assert said(trailers, "hypercorn") in row, row + claim("trailers_http2")
    assert trailers["uvicorn-zttp-h2"] == YES, claim("trailers_http2")
    assert "uvicorn `--http zttp --http2`" in row, row


def test_the_readme_names_the_servers_the_matrix_measured(
    committed: Document,
) -> None:
    denial = {t: c["result"] for t, c in cells(committed, "denial").items()}
    working = {t.split("-")[0] for t, r in denial.items() if r == YES}
    assert working == {"uvicorn", "hypercorn"}, claim("denial")
    assert (denial["granian"], denial["daphne"]) == (PARTIAL, NO)
    readme = " ".join(README.read_text(encoding="utf-8").split())
    for words in ("real status, headers and body on uvicorn and hypercorn only",
                  "on granian it is partial",
                  "daphne does not advertise the extension",
                  "resets the connection at its 5 s handshake timeout",
                  f"partly with hypercorn ({HYPERCORN_HTTP2})"):
        assert words in readme, f"README.md should say {words!r}"
    assert "daphne hangs" not in readme
    trailers = cells(committed, "trailers_http2")["hypercorn"]["result"]
    assert trailers == PARTIAL, claim("trailers_http2")


def test_every_target_is_shown_in_exactly_one_column() -> None:
    """The README's table and the pictures show the targets in COLUMNS: a
    server added to the probe but to no column would go unseen."""
    shown = [target for column in COLUMNS for target in column.targets]
    assert sorted(shown) == sorted(TARGET_IDS)


def test_the_readme_table_says_what_hypercorn_and_daphne_do() -> None:
    """The table `make readme` (cog) writes from the committed JSON, in the
    README: hypercorn's second trailers message; daphne's reset."""
    rows = {cells[0]: cells for line in matrix_table().splitlines()
            for cells in [[c.strip() for c in line.strip("|").split("|")]]}
    hypercorn, daphne = 5, 7  # the columns
    assert rows["trailers, HTTP/2"][hypercorn] == f"partial: {HYPERCORN_HTTP2}"
    for feature in ("denial response", "denial, streamed"):
        assert "reset" in rows[feature][daphne], (
            f"{feature}: {rows[feature][daphne]!r}; scripts/readme.py's SHORT "
            "should keep the reset of daphne's note")
    assert matrix_table() in README.read_text(encoding="utf-8"), (
        "run `make readme`")


def test_the_matrix_slide_headline_holds(committed: Document) -> None:
    """"Measured: no server raises OSError on HTTP yet": only the
    prototype of the open uvicorn #3085 does."""
    [slide] = [s for s in read_deck().slides if any(
        p.url == "assets/support_matrix_simple.svg" for p in s.pictures)]
    assert slide.title == "Measured: no server raises OSError on HTTP yet"
    raising = {t for t, c in cells(committed, "oserror_http").items()
               if c["result"] != NO}
    assert raising == set(PROTOTYPE), claim("oserror_http")


# -- The comparison ---------------------------------------------------------


def test_a_changed_cell_names_itself_and_its_slides(
    committed: Document,
) -> None:
    now = copy.deepcopy(committed)
    granian = next(s for s in now["servers"] if s["id"] == "granian")
    granian["cells"]["denial"].update(result=YES, note="")
    uvicorn = next(s for s in now["servers"] if s["id"] == "uvicorn-h11")
    uvicorn["cells"]["oserror_http"].update(
        result=YES, exception="uvicorn.protocols.utils.ClientDisconnected"
    )
    found = differences(committed, now)
    assert len(found) == 2
    denial, oserror = sorted(found, key=lambda m: "uvicorn" in m)
    assert denial.startswith("granian \u00d7 denial response: the committed ")
    assert "says partial" in denial
    assert "now gives yes" in denial
    assert "'WebSocket Denial Response'" in denial
    assert "assets/support_matrix.svg" in denial
    assert oserror.startswith("uvicorn-h11 \u00d7 OSError on send, HTTP")
    assert "exception ClientDisconnected" in oserror
    assert "Uvicorn raises OSError on... WebSockets!" in oserror
    assert "FastAPI reaps the benefits" in oserror


def test_timings_and_notes_are_not_compared(committed: Document) -> None:
    now = copy.deepcopy(committed)
    for server in now["servers"]:
        for cell in server["cells"].values():
            cell["seconds"] = 99.0
            cell["note"] = "different words"
            cell.pop("observed", None)
    assert differences(committed, now) == []


def test_a_new_server_version_is_reported(committed: Document) -> None:
    now = copy.deepcopy(committed)
    now["versions"]["granian"] = "9.9.9"
    assert differences(committed, now) == [
        "granian 9.9.9 is installed, the matrix was probed with "
        f"{committed['versions']['granian']}"
    ]
