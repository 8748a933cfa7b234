"""``make transcripts`` (scripts/live/record.py): a real run of a demo makes
the rows committed, and with the committed file the very bytes; a rebuild
that only interleaves racing rows otherwise, or whose start-ups a busy
machine slowed, keeps the recording."""

from demos.catalog import BY_NAME
from scripts.common import ROOT
from scripts.live.record import (
    MACHINE,
    capture,
    jitter,
    key,
    quantum_of,
    rows,
    same_run,
)
from scripts.transcripts import FOLDER, Row, dump, load


def test_a_rebuild_of_the_same_run_is_byte_stable() -> None:
    """A real run of a demo makes, from nothing, the rows committed: its
    PIDs, ports and dates differ from the run that made it; and with the
    committed file, the very bytes, though its timings are this machine's
    now."""
    demo, committed = BY_NAME["asgi_app"], load("asgi_app")
    lines = capture(demo)
    fresh = rows(demo, lines, [])
    assert [r.markup for r in fresh] == [r.markup for r in committed]
    assert [r.breaks for r in fresh] == [r.breaks for r in committed]
    made = dump(demo.name, rows(demo, lines, committed))
    assert made == (ROOT / FOLDER / "asgi_app.txt").read_text()


def test_the_same_rows_interleaved_otherwise_keep_the_load() -> None:
    """The server's log and the client's reply race: a rebuild that only
    swaps them keeps the file, and so does one whose start-ups took a busy
    machine longer (MACHINE); one that changes a row or the demo's pace
    does not."""
    old = load("streaming_response")
    kept = [row for row in old if not row.breaks]
    new = [*kept[:4], kept[5], kept[4], *kept[6:]]
    keys, pace = [key(row.markup) for row in new], 0.2
    assert pace == quantum_of(BY_NAME["streaming_response"])
    assert same_run(new, old, keys, pace)
    edited = [*keys[:-1], keys[-1] + " and more"]
    assert not same_run(new, old, edited, pace)
    slower = [Row(row.delay * 2, row.markup) for row in new]
    assert not same_run(slower, old, keys, pace)
    machine = {0} | {i for i, k in enumerate(keys) if k.startswith("runner")}
    for late, same in ((MACHINE - jitter(pace), True),
                       (MACHINE + jitter(pace), False)):
        busy = [Row(r.delay + late * (i in machine), r.markup)
                for i, r in enumerate(new)]
        assert same_run(busy, old, keys, pace) is same, late
