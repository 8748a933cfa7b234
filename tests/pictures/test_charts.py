"""The measured pictures (charts.py): fresh, self-contained, legible on the
slide and inside their frame; what the benchmark charts say; --check finds
stale, missing and orphaned pictures; bad input exits 2. The matrix
pictures' words: test_matrix_picture.py."""

import json
import re
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from PIL import Image as PILImage

from scripts.bench import pictures
from scripts.common import InputError
from scripts.figures import ratios, specs
from scripts.matrix.catalog import PARTIAL
from scripts.pictures import charts, code_images_png, svg
from scripts.pictures.charts import GENERATED, PICTURES
from scripts.pictures.code_images import MANIFEST
from scripts.pictures.fonts import Font
from scripts.pictures.manifest import load_manifest
from scripts.pictures.matrix_picture import (
    BACKGROUND,
    BODY,
    FONT,
    LIMITS,
    MAX_HEIGHT,
    TEXT_COLOURS,
    WIDTH,
)
from scripts.pictures.svg import SVG_NS, Canvas, LayoutError, Style
from scripts.style import contrast
from tests.bench.test_disconnect import round_ranges
from tests.pictures.conftest import (
    NS,
    ROOT,
    assert_embeds_a_subset,
    copy_tree,
    parse,
    run_main,
    snapshot,
    texts,
)

OUTPUTS = [picture.output for picture in PICTURES]


def test_the_committed_pictures_equal_a_fresh_build(
    built: dict[str, bytes],
) -> None:
    assert list(built) == OUTPUTS
    for output, data in built.items():
        assert (ROOT / output).read_bytes() == data, (
            f"{output} is stale: run `make assets`"
        )


@pytest.mark.parametrize("output", OUTPUTS)
def test_the_picture_is_self_contained_and_legible(
    built: dict[str, bytes], output: str
) -> None:
    data = built[output]
    text = data.decode()
    assert len(data) <= 60 * 1024
    assert GENERATED in text[:1024]
    assert re.findall(r"https?://[^\"')\s]*", text) == [SVG_NS]
    assert "<image" not in text
    assert "xlink:href" not in text
    svg = parse(data)
    assert svg.get("width") == str(WIDTH)
    height = int(svg.get("height", "0"))
    assert 300 <= height <= MAX_HEIGHT
    assert svg.get("viewBox") == f"0 0 {WIDTH} {height}"
    # Text: the style's size, never smaller; light on black.
    assert svg.get("font-size") == str(FONT)
    sizes = [
        int(t.get("font-size", FONT)) for t in svg.iter(f"{{{SVG_NS}}}text")
    ]
    assert sizes
    assert min(sizes) >= 20
    fills = {
        t.get("fill", TEXT_COLOURS[0]) for t in svg.iter(f"{{{SVG_NS}}}text")
    }
    for fill in fills:
        assert contrast(fill, BACKGROUND) >= 7, fill
    assert f'fill="{BACKGROUND}"' in text
    regular = [t for t in svg.iter(f"{{{SVG_NS}}}text")
               if t.get("font-weight") != "700"]  # the bold font comes next
    assert_embeds_a_subset(text, "".join("".join(t.itertext())
                                         for t in regular))
    title = svg.find("svg:title", NS)
    desc = svg.find("svg:desc", NS)
    assert title is not None
    assert title.text
    assert desc is not None
    assert desc.text
    assert len(desc.text) > 100


@pytest.fixture(scope="module")
def pngs(
    built: dict[str, bytes], font_cache: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, PILImage.Image]:
    """Each picture drawn by cairo (as `make png` does), by output."""
    manifest = load_manifest(ROOT / MANIFEST, ROOT)
    conf = code_images_png.prepare_font(
        Font(manifest.font, manifest.path, font_cache)
    )
    jobs, folder = [], tmp_path_factory.mktemp("pngs")
    for output in OUTPUTS:
        svg = folder / Path(output).name
        svg.write_bytes(built[output])
        jobs.append((svg, svg.with_suffix(".png"), WIDTH))
    code_images_png.render(jobs, conf)
    return {output: PILImage.open(png).convert("RGB")
            for output, (_, png, _) in zip(OUTPUTS, jobs, strict=True)}


def test_every_text_is_drawn_in_its_own_colour(
    built: dict[str, bytes], pngs: dict[str, PILImage.Image]
) -> None:
    """A text's fill wins over the picture's default (a CSS rule for all
    texts once hid every accent colour): its pixels are its colour."""
    for output, data in built.items():
        root = parse(data)
        for text in root.iter(f"{{{SVG_NS}}}text"):
            fill, said = text.get("fill"), "".join(text.itertext()).strip()
            spans = text.find("svg:tspan", NS) is not None
            if fill is None or len(said) < 2 or spans:
                continue
            size = float(text.get("font-size", root.get("font-size", FONT)))
            x, y = float(text.get("x", 0)), float(text.get("y", 0))
            right = x + len("".join(text.itertext())) * size * 0.6  # advance
            box = (round(x), round(y - size * 0.7), round(right), round(y))
            colours = pngs[output].crop(box).getcolors(1_000_000) or []
            want = PILImage.new("RGB", (1, 1), fill).getpixel((0, 0))
            near = sum(n for n, c in colours if isinstance(c, tuple)
                       and isinstance(want, tuple) and max(
                abs(a - b) for a, b in zip(c, want, strict=True)) < 24)
            assert near >= 3, f"{output}: {said!r} is not drawn in {fill}"


def test_the_pictures_rasterise_inside_their_frame(
    built: dict[str, bytes], pngs: dict[str, PILImage.Image]
) -> None:
    for output in OUTPUTS:
        png = pngs[output]
        height = int(parse(built[output]).get("height", "0"))
        assert png.size == (WIDTH, height), output
        colours = png.getcolors(maxcolors=1_000_000)
        assert colours is not None
        assert len(colours) > 50, f"{output} is blank"
        # Nothing is drawn in the outer 8 px: the margins stay black.
        ink = png.point(lambda v: 255 if v > 40 else 0).getbbox()
        assert ink is not None
        left, top, right, bottom = ink
        assert left >= 8, f"{output}: {ink}"
        assert right <= WIDTH - 8, f"{output}: {ink}"
        assert top >= 2, f"{output}: {ink}"
        assert bottom <= height - 2, f"{output}: {ink}"


# -- The table --------------------------------------------------------------


BENCH_SOURCE = "assets/bench_disconnect.json"
BENCH = json.loads((ROOT / BENCH_SOURCE).read_text())
OLD, NEW = specs(BENCH["throughput"])  # stock uvicorn's, the prototype's


def test_the_wasted_work_chart_keeps_the_websocket_reveal(
    built: dict[str, bytes],
) -> None:
    """HTTP only (slide 21 reveals WebSocket); every label on one line;
    the winning bar of 0 messages still a visible bar, labelled 0."""
    data = built["assets/bench_wasted.svg"]
    drawn, root = texts(data), parse(data)
    assert not [t for t in drawn if "websocket" in t.lower()]
    assert "websocket" not in (root.findtext("svg:desc", "", NS)).lower()
    assert any(t.startswith("(the demos: 200 ms)") for t in drawn), drawn
    bars = [float(r.get("width", 0)) for r in root.iter(f"{{{SVG_NS}}}rect")
            if r.get("height") == "22"]
    assert len(bars) == 8
    assert min(bars) >= pictures.MIN_BAR >= 8
    assert sum(t.startswith("0 messages") for t in drawn) == 3


def test_the_wasted_work_chart_says_what_it_measures(
    built: dict[str, bytes],
) -> None:
    """A client leaving mid-stream, how many and when, on which spec; and
    the story its bars tell: OSError stops an app at its next send (a
    message later), a listener task at once, FastAPI later on the prototype."""
    work = BENCH["wasted_work"]
    drawn = texts(built["assets/bench_wasted.svg"])
    assert drawn[0] == (
        "A client leaves mid-stream: what its HTTP app still does"
    )
    clients = work["clients_per_round"] * work["rounds"]
    assert drawn[1] == (
        f"{clients} clients per pattern, each reads "
        f"{work['read_before_leaving']} of {work['stream_messages']} messages "
        f"sent {work['delay'] * 1000:g} ms apart, then leaves"
    )
    assert drawn[2:4] == [
        f"uvicorn {BENCH['versions']['uvicorn']} \u00b7 spec {OLD}",
        f"prototype of #3085 \u00b7 spec {NEW}",
    ]
    assert not [t for t in drawn if "OSError" in t and "at once" in t
                and "next send" not in t]
    rows = {(r["server"], r["pattern"]): r["chunks_after"]["median"]
            for r in work["results"] if r["transport"] == "http"}
    lines = pictures.wasted_story(NEW)
    story = " ".join(lines)
    assert all(line in drawn for line in lines)
    assert "next send" in story
    assert rows["prototype", "catch_oserror"] == 1, story  # a message later
    assert rows["prototype", "listen"] == 0, story  # at once
    assert f"FastAPI stops a message later at {NEW}" in story
    assert rows["prototype", "fastapi"] == rows["uvicorn", "fastapi"] + 1


def test_the_throughput_chart_says_what_it_measures(
    built: dict[str, bytes],
) -> None:
    """No client leaving; the one difference, Starlette's listener task;
    each row's spec spelled out, each latency named p50 or p99."""
    drawn = texts(built["assets/bench_fastapi.svg"])
    assert drawn[:2] == [
        "No client leaves: what every streaming response costs",
        "The only difference: Starlette's listener task, 2 tasks per "
        f"response at spec {OLD}, 1 at {NEW}",
    ]
    labels = [t for t in drawn if t.startswith("spec ")]
    assert labels == [
        f"spec {OLD} \u00b7 stock uvicorn", f"spec {NEW} \u00b7 prototype #3085"
    ] * 2
    latencies = [t for t in drawn if " ms" in t]
    assert len(latencies) == 4
    for latency in latencies:
        assert re.fullmatch(r"p50 \d+\.\d ms \u00b7 p99 \d+\.\d ms",
                            latency), latency
    assert (f"ratios: each round's spec {NEW} run over the same round's spec "
            f"{OLD} run, median") in drawn


def test_the_benchmark_chart_says_a_lower_p99_as_lower(
    built: dict[str, bytes],
) -> None:
    data = built["assets/bench_fastapi.svg"]
    drawn = texts(data)
    for framework in ("starlette", "fastapi"):
        lower = ratios(BENCH["throughput"])[framework].p99
        assert f"p99 {lower}" in drawn
    assert not [t for t in drawn if "\u00d70." in t]
    root = parse(data)
    last_bar = max(float(r.get("y", 0)) for r in root.iter(f"{{{SVG_NS}}}rect")
                   if r.get("height") == "24")
    fine = {t.get("y") for t in root.iter(f"{{{SVG_NS}}}text")
            if float(t.get("y", 0)) > last_bar + 40}
    assert len(fine) <= 3, fine


def test_a_higher_p99_is_said_as_higher(font_cache: Path) -> None:
    """A noisy run (the smoke run's one round) can measure a higher p99 at
    the prototype: "p99 6.4x higher", never "0.2x lower"."""
    data = json.loads(json.dumps(BENCH))
    runs = {r["variant"]: r["runs"] for r in data["throughput"]["results"]}
    for framework in ("starlette", "fastapi"):
        old, new = runs[f"{framework}-{OLD}"], runs[f"{framework}-{NEW}"]
        for one, other in zip(old, new, strict=True):
            one["p99_ms"], other["p99_ms"] = other["p99_ms"], one["p99_ms"]
    built = charts.build(ROOT, font_cache, {BENCH_SOURCE: data})
    drawn = texts(built["assets/bench_fastapi.svg"])
    for framework in ("starlette", "fastapi"):
        lower = ratios(BENCH["throughput"])[framework].p99
        assert f"p99 {lower.replace(' lower', ' higher')}" in drawn, drawn
    assert not [t for t in drawn if "\u00d70." in t or " lower" in t]


def test_the_throughput_chart_shows_the_rounds_range_rounded_once(
    built: dict[str, bytes],
) -> None:
    """The range is the lowest and highest round's ratio, each rounded
    once from the runs: 1.64466 is 1.64 (rounded to 1.645 first, then
    to two digits, it read 1.65)."""
    drawn = texts(built["assets/bench_fastapi.svg"])
    for framework, (low, high) in round_ranges().items():
        assert f"rounds {low}\u2013{high}" in drawn, (framework, drawn)


def test_the_alt_text_reads_the_table(built: dict[str, bytes]) -> None:
    desc = parse(built["assets/support_matrix.svg"]).find("svg:desc", NS)
    assert desc is not None
    assert desc.text
    assert "OSError on send, WS: uvicorn HTTP/1.1: n/a" in desc.text
    assert "uvicorn WebSocket: yes" in desc.text


# -- Check and bad input ----------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of what the generator reads and writes."""
    made = [name for p in PICTURES for name in (p.output, p.source)]
    return copy_tree(tmp_path, MANIFEST, *made)


run = partial(run_main, charts.main)


def test_check_passes_on_the_repository(
    font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert charts.main(["--check", "--cache-dir", str(font_cache)]) == 0
    assert "4 measured pictures up to date" in capsys.readouterr().out


def test_a_new_measurement_makes_its_picture_stale(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tree / "assets/support_matrix.json"
    data = json.loads(path.read_text())
    granian = next(s for s in data["servers"] if s["id"] == "granian")
    granian["cells"]["spec_http"].update(value="2.4")  # the full table only
    path.write_text(json.dumps(data))
    before = snapshot(tree / "assets")
    code, out, err = run(tree, font_cache, capsys, "--check")
    assert code == 1
    assert out.splitlines()[0] == (
        "stale: assets/support_matrix.svg (from assets/support_matrix.json)"
    )
    assert "stale: assets/bench" not in out
    assert "out of date: run `make assets`" in err
    assert snapshot(tree / "assets") == before
    code, out, _ = run(tree, font_cache, capsys)
    assert code == 0
    assert "wrote assets/support_matrix.svg" in out
    assert out.count("wrote") == 1
    code, out, _ = run(tree, font_cache, capsys, "--check")
    assert code == 0


def test_missing_and_orphaned_pictures(
    tree: Path, font_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tree / "assets/bench_wasted.svg").rename(tree / "assets/old_chart.svg")
    (tree / "assets/unrelated.svg").write_text("<svg/>")
    code, out, _ = run(tree, font_cache, capsys, "--check")
    assert code == 1
    assert "missing: assets/bench_wasted.svg" in out
    assert "orphaned: assets/old_chart.svg" in out
    assert "unrelated" not in out
    code, out, _ = run(tree, font_cache, capsys)
    assert code == 0
    assert not (tree / "assets/old_chart.svg").exists()
    assert (tree / "assets/unrelated.svg").exists()


@pytest.mark.parametrize(
    ("source", "content", "message"),
    [
        (
            "assets/support_matrix.json",
            '{"schema": 1,\n  "servers": [}',
            "assets/support_matrix.json:2: invalid JSON",
        ),
        (
            "assets/bench_disconnect.json",
            '{"schema": 2}',
            "assets/bench_disconnect.json:1: not schema 1",
        ),
        (
            "assets/support_matrix.json",
            '{"schema": 1, "servers": []}',
            "assets/support_matrix.json:1: unexpected content (KeyError",
        ),
        (
            "assets/bench_disconnect.json",
            None,
            "assets/bench_disconnect.json:1: missing: run `make bench`",
        ),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(
    tree: Path,
    font_cache: Path,
    capsys: pytest.CaptureFixture[str],
    source: str,
    content: str | None,
    message: str,
) -> None:
    if content is None:
        (tree / source).unlink()
    else:
        (tree / source).write_text(content)
    (tree / "assets/support_matrix.svg").unlink()
    before = snapshot(tree / "assets")
    code, _, err = run(tree, font_cache, capsys)
    assert code == 2
    assert err.startswith(message), err
    assert len(err.splitlines()) == 1
    assert snapshot(tree / "assets") == before


@pytest.mark.parametrize(
    ("x", "style", "message"),
    [
        (20, Style(12, TEXT_COLOURS[0], BACKGROUND), "under the 20 px minimum"),
        (1000, BODY, "does not fit in 1160 px"),
        (20, Style(FONT, "#444444", BACKGROUND), "contrast ratio of 2.16"),
    ],
)
def test_illegible_text_is_refused(x: int, style: Style, message: str) -> None:
    canvas = Canvas(WIDTH, 0.6, BODY)
    canvas.text(x, 30, "far too long or too dim", style)
    with pytest.raises(LayoutError, match=message):
        svg.check(canvas, frozenset(range(128)), LIMITS)


# -- A measuring command's files: all replaced, or none ---------------------


def test_a_new_measurement_too_tall_to_draw_is_refused(
    matrix: dict[str, Any], font_cache: Path, tmp_path: Path
) -> None:
    """What probe_servers checks before it replaces anything."""
    data = json.loads(json.dumps(matrix))
    for index, server in enumerate(data["servers"]):
        for cell in server["cells"].values():
            cell.update(result=PARTIAL, note=f"reason {index} " + "why " * 30)
    with pytest.raises(InputError, match=f"over the {MAX_HEIGHT} px maximum"):
        charts.pictures_for(
            "assets/support_matrix.json", data, tmp_path, font_cache
        )
    assert list(tmp_path.iterdir()) == []


def test_the_measurement_and_its_pictures_are_replaced_together(
    matrix: dict[str, Any],
    font_cache: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "support_matrix.json").write_text("old")
    pictures = charts.pictures_for(
        "assets/support_matrix.json", matrix, tmp_path, font_cache
    )
    assert list(pictures) == [tmp_path / "support_matrix.svg",
                              tmp_path / "support_matrix_simple.svg"]
    data = json.dumps(matrix).encode()
    charts.replace_together(
        {tmp_path / "support_matrix.json": data, **pictures}, tmp_path
    )
    assert (tmp_path / "support_matrix.json").read_bytes() == data
    assert (tmp_path / "support_matrix.svg").read_bytes() == (
        ROOT / "assets/support_matrix.svg"
    ).read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "support_matrix.json",
        "support_matrix.svg",
        "support_matrix_simple.svg",
    ]
    assert capsys.readouterr().out.count("wrote ") == 3


def test_a_failed_replacement_leaves_every_file_as_it_was(
    tmp_path: Path,
) -> None:
    """The second file cannot be written (its folder is missing): the
    first, already written beside its target, is not renamed into place."""
    first = tmp_path / "a.json"
    first.write_text("old")
    with pytest.raises(FileNotFoundError):
        charts.replace_together(
            {first: b"new", tmp_path / "missing" / "b.svg": b"<svg/>"},
            tmp_path,
        )
    assert first.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]
