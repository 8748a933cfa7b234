"""The measured charts, drawn from assets/support_matrix.json and
assets/bench_disconnect.json: what they say, checked against the data
here; legible on the slide and inside their frame as PNGs; a new
measurement makes its charts stale; bad data exits 2, nothing written."""
# ruff: noqa: RUF001 (typography: times and en dash)

import copy
import json
import re
import tempfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from scripts import style
from scripts.common import ROOT, InputError
from scripts.figures import ratios, specs
from scripts.matrix.catalog import HANGS, NO, PARTIAL
from scripts.pictures import generator
from tests.pictures.conftest import Run, fills, rows, size, snapshot

CHARTS = [output for output, *_ in generator.CHARTS]
MATRIX = json.loads((ROOT / generator.MATRIX).read_text())
BENCH = json.loads((ROOT / generator.BENCH).read_text())
OLD, NEW = specs(BENCH["throughput"])  # stock uvicorn's, the prototype's
HYPERCORN = "one trailers message arrives; a second is lost"
DAPHNE = "not advertised; no reply, reset at its 5 s handshake timeout"


@pytest.mark.parametrize("output", CHARTS)
def test_a_chart_fills_the_slide_legibly(
    output: str, built: dict[str, bytes]
) -> None:
    """As wide as the slide's content box, its text at 20 px or more,
    self-contained; the PNG test below checks its colours are drawn."""
    svg = built[output]
    width, height, px = size(svg)
    assert width == style.CONTENT[0]
    assert height <= style.CONTENT[1]
    assert px >= style.MIN_TEXT_PX
    assert len(svg) <= 60 * 1024
    assert re.findall(rb"https?://[^\"')\s]*", svg) == [
        b"http://www.w3.org/2000/svg"]


def test_the_charts_rasterise_inside_their_frame_in_their_colours(
    built: dict[str, bytes], pngs: dict[str, Path]
) -> None:
    """Drawn by cairo: nothing in the outer 8 px, and each colour a text
    class has shows up in its pixels (a rule hiding the colours fails)."""
    for output in CHARTS:
        image = Image.open(pngs[output]).convert("RGB")
        assert image.size[0] == style.CONTENT[0]
        ink = image.point(lambda v: 255 if v > 40 else 0).getbbox()
        assert ink is not None
        assert ink[0] >= 8, (output, ink)
        assert ink[2] <= image.size[0] - 8, (output, ink)
        colours = image.getcolors(1_000_000) or []
        for fill in fills(built[output]):
            want = tuple(int(fill[i:i + 2], 16) for i in (1, 3, 5))
            near = sum(n for n, c in colours if isinstance(c, tuple) and max(
                abs(a - b) for a, b in zip(c, want, strict=True)) < 24)
            assert near >= 3, f"{output}: nothing drawn in {fill}"


def test_the_full_matrix_shows_every_feature_server_and_footnote(
    built: dict[str, bytes],
) -> None:
    """Partial and hanging cells, and a no without any reply (daphne's
    denial: a reset), say why under the table."""
    shown = "\n".join(rows(built["assets/support_matrix.svg"]))
    for feature in MATRIX["features"]:
        assert feature["label"] in shown
    for name in ("hypercorn", "granian", "daphne"):
        assert f"{name}" in shown
        assert MATRIX["versions"][name] in shown
    assert f"uvicorn {MATRIX['versions']['uvicorn']}" in shown
    assert f"probed {MATRIX['probed']['date']} on 127.0.0.1" in shown
    flagged = [cell["note"] for server in MATRIX["servers"]
               for cell in server["cells"].values()
               if cell["result"] in (PARTIAL, HANGS) or (
                   cell["result"] == NO and "reply" in cell.get("observed", {})
                   and cell["observed"]["reply"]["status"] is None)]
    assert flagged, "the committed matrix has no partial cell"
    for note in flagged:
        assert f": {note}" in shown, f"no footnote {note!r}"
    assert f"hypercorn, trailers, HTTP/2: {HYPERCORN}" in shown
    assert f"daphne, denial response: {DAPHNE}" in shown
    assert shown.count("hangs") == sum(c["result"] == HANGS for s in MATRIX[
        "servers"] for c in s["cells"].values())


def simple_words(matrix: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(topic, server) -> the word the full matrix's cells give, computed
    here apart from scripts/pictures."""
    topics = {"denial response": ("denial", "denial_streamed"),
              "trailers": ("trailers_http1", "trailers_http2"),
              "OSError on send": ("oserror_http", "oserror_websocket")}
    words = {}
    for topic, ids in topics.items():
        for package in ("uvicorn", "hypercorn", "granian", "daphne"):
            seen = {c["result"] for s in matrix["servers"] for f in ids
                    if s["package"] == package and "3085" not in s["id"]
                    and (c := s["cells"].get(f)) and c["result"] != "n/a"}
            words[topic, package] = ("hangs" if "hangs" in seen else
                                     seen.pop() if len(seen) == 1 else
                                     "partial")
    return words


def test_the_simple_matrix_says_what_the_full_one_measured(
    built: dict[str, bytes],
) -> None:
    """Its words, a cell's footnote marks aside; its footnotes, less the
    row's topic; its text larger than the full table's."""
    svg = built["assets/support_matrix_simple.svg"]
    shown = rows(svg)
    servers = shown[0].split()
    said: dict[tuple[str, str], str] = {}
    for line in shown[2:7:2]:
        topic, *words = re.split(r"\s{2,}", line.strip())
        said |= {(topic, s): w.rstrip("¹²³⁴⁵⁶⁷⁸⁹,")
                 for s, w in zip(servers, words, strict=True)}
    assert said == simple_words(MATRIX)
    assert said["trailers", "hypercorn"] == "partial"
    assert said["denial response", "daphne"] == "no"
    for footnote in ("1 granian, denial response: the 401 carries the upgrade "
                     "headers", f"2 daphne: {DAPHNE}",
                     f"3 hypercorn, HTTP/2: {HYPERCORN}"):
        assert footnote in shown, footnote
    assert size(svg)[2] >= 24


def test_a_spec_version_above_2_4_is_green_as_a_number() -> None:
    """The prototype's HTTP version is read from its server: "2.10" is
    above "2.4", though not as text."""
    data = copy.deepcopy(MATRIX)
    for server in data["servers"]:
        if "-3085-" in server["id"]:
            server["cells"]["spec_http"]["value"] = "2.10"
    drawn = draw(data, BENCH)["assets/support_matrix.svg"].decode()
    (style_,) = re.findall(r'class="(p\w+-r\d+)"[^>]*>2\.10<', drawn)
    assert f".{style_} {{ fill: {style.TOKENS['s']} }}" in drawn


def test_a_column_whose_targets_disagree_says_partly_or_hangs() -> None:
    """As the simple chart's cells: h11 yes, httptools no is partly."""
    data = copy.deepcopy(MATRIX)
    cells = next(s["cells"] for s in data["servers"]
                 if s["id"] == "uvicorn-httptools")
    for result, said in ((NO, "partly"), (HANGS, "hangs")):
        cells["http_disconnect"]["result"] = result
        shown = rows(draw(data, BENCH)["assets/support_matrix.svg"])
        assert [r.split()[1] for r in shown
                if r.startswith("http.disconnect")] == [said]


def draw(
    matrix: dict[str, Any], bench: dict[str, Any]
) -> dict[str, bytes]:
    """The charts of these measurements, drawn in a copy of the tree."""
    def write(path: Path) -> Path:
        (path / "assets").mkdir()
        (path / generator.MATRIX).write_text(json.dumps(matrix))
        (path / generator.BENCH).write_text(json.dumps(bench))
        return path

    with tempfile.TemporaryDirectory() as folder:
        return generator.draw_charts(write(Path(folder)))


def test_the_wasted_work_chart_says_what_it_measures(
    built: dict[str, bytes],
) -> None:
    """HTTP only (a later slide reveals WebSocket); how many clients leave,
    when, on which spec; the story its bars tell, which the data bears out:
    OSError stops an app at its next send, a listener task at once."""
    work, shown = BENCH["wasted_work"], rows(built["assets/bench_wasted.svg"])
    assert not [line for line in shown if "websocket" in line.lower()]
    clients = work["clients_per_round"] * work["rounds"]
    assert shown[:2] == [
        "A client leaves mid-stream: what its HTTP app still does",
        f"{clients} clients per pattern, each reads "
        f"{work['read_before_leaving']} of {work['stream_messages']} messages "
        f"sent {work['delay'] * 1000:g} ms apart, then leaves"]
    assert shown[3].endswith(f"prototype of #3085 · spec {NEW}")
    assert f"uvicorn {BENCH['versions']['uvicorn']} · spec {OLD}" in shown[3]
    medians = {(r["server"], r["pattern"]): r["chunks_after"]["median"]
               for r in work["results"] if r["transport"] == "http"}
    assert f"At spec {NEW}, OSError stops an app at its next send; a " \
        "listener task, at once." in shown
    assert medians["prototype", "catch_oserror"] == 1  # at its next send
    assert medians["prototype", "listen"] == 0  # at once
    assert f"FastAPI stops a message later at {NEW}; its gain: one task " \
        "fewer on every stream." in shown
    assert medians["prototype", "fastapi"] == medians["uvicorn", "fastapi"] + 1
    zero = re.findall(r"(▏?) (?<!\d)0 messages", "\n".join(shown))
    assert zero == ["▏"] * 3, "a bar of 0 is a hairline, labelled 0"
    assert "(the demos: 200 ms)" in shown[-1]


def test_the_throughput_chart_says_what_it_measures(
    built: dict[str, bytes],
) -> None:
    """No client leaving; the one difference, Starlette's listener task;
    each framework's ratios, the range of its rounds rounded once (1.64466
    is 1.64, not 1.645 then 1.65), a lower p99 said as N times lower."""
    shown = rows(built["assets/bench_fastapi.svg"])
    assert shown[:2] == [
        "No client leaves: what every streaming response costs",
        "The only difference: Starlette's listener task, 2 tasks per "
        f"response at spec {OLD}, 1 at {NEW}"]
    runs = {r["variant"]: r["runs"] for r in BENCH["throughput"]["results"]}
    for framework in ("starlette", "fastapi"):
        each = [Decimal(str(new["rps"])) / Decimal(str(old["rps"]))
                for old, new in zip(runs[f"{framework}-{OLD}"],
                                    runs[f"{framework}-{NEW}"], strict=True)]
        low, high = (v.quantize(Decimal("0.01"), ROUND_HALF_UP)
                     for v in (min(each), max(each)))
        ratio = ratios(BENCH["throughput"])[framework]
        assert f"×{ratio.rps} requests/s  rounds {low}–{high}  p99 " \
            f"{ratio.p99}" in "\n".join(shown), framework
    labels = [line.split("  ")[1] for line in shown if "· stock" in line
              or "· prototype" in line]
    assert labels == [f"spec {OLD} · stock uvicorn",
                      f"spec {NEW} · prototype #3085"] * 2
    assert len(re.findall(r"p50 \d+\.\d ms · p99 \d+\.\d ms", "\n".join(
        shown))) == 4
    assert not [line for line in shown if "×0." in line]


def test_a_higher_p99_is_said_as_higher() -> None:
    """A noisy run can measure a higher p99 on the prototype: "p99 6.4x
    higher", never "0.2x lower"."""
    data = copy.deepcopy(BENCH)
    found = {r["variant"]: r["runs"] for r in data["throughput"]["results"]}
    for framework in ("starlette", "fastapi"):
        for one, other in zip(found[f"{framework}-{OLD}"],
                              found[f"{framework}-{NEW}"], strict=True):
            one["p99_ms"], other["p99_ms"] = other["p99_ms"], one["p99_ms"]
    shown = "\n".join(rows(draw(MATRIX, data)[
        "assets/bench_fastapi.svg"]))
    for framework in ("starlette", "fastapi"):
        lower = ratios(BENCH["throughput"])[framework].p99
        assert f"p99 {lower.replace(' lower', ' higher')}" in shown
    assert " lower" not in shown


def test_a_new_measurement_makes_its_charts_stale(
    tree: Path, run: Run
) -> None:
    path = tree / generator.MATRIX
    data = json.loads(path.read_text())
    granian = next(s for s in data["servers"] if s["id"] == "granian")
    granian["cells"]["spec_http"].update(value="2.4")  # the full table only
    path.write_text(json.dumps(data))
    assert run("--check")[:2] == (1, "stale: assets/support_matrix.svg\n")


BAD_DATA = {
    "invalid": (generator.MATRIX, '{"schema": 1,\n  "servers": [}',
                "assets/support_matrix.json:2: invalid JSON"),
    "schema": (generator.BENCH, '{"schema": 2}',
               "assets/bench_disconnect.json:1: not schema 1"),
    "content": (generator.MATRIX, '{"schema": 1, "servers": []}',
                "assets/support_matrix.json:1: unexpected content (KeyError"),
    "missing": (generator.BENCH, None,
                "assets/bench_disconnect.json:1: missing: run `make bench`"),
}


@pytest.mark.parametrize("bad", BAD_DATA.values(), ids=BAD_DATA)
def test_bad_data_exits_2_and_writes_nothing(
    bad: tuple[str, str | None, str], tree: Path, run: Run
) -> None:
    source, content, said = bad
    if content is None:
        (tree / source).unlink()
    else:
        (tree / source).write_text(content)
    (tree / "assets/support_matrix.svg").unlink()
    before = snapshot(tree / "assets")
    code, out, err = run()
    assert (code, out, len(err.splitlines())) == (2, "", 1)
    assert err.startswith(said), err
    assert snapshot(tree / "assets") == before


def test_a_measurement_too_tall_to_draw_is_refused() -> None:
    data = copy.deepcopy(MATRIX)
    for index, server in enumerate(data["servers"]):
        for cell in server["cells"].values():
            cell.update(result=PARTIAL, note=f"reason {index} " + "why " * 30)
    with pytest.raises(InputError, match=r"^assets/support_matrix\.json:1: "
                       r"assets/support_matrix\.svg would show its text at "):
        draw(data, BENCH)
