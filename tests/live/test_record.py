"""``make transcripts`` (scripts/live/record.py): a real run of a demo makes
the rows committed, and with the committed file the very bytes; a rebuild
that only interleaves racing rows otherwise, or whose start-ups a busy
machine slowed, keeps the recording."""

import asyncio

from demos.catalog import BY_NAME
from scripts.common import ROOT
from scripts.live.record import MACHINE, SLACK, capture, key, rows, same_run
from scripts.transcripts import FOLDER, Row, dump, load


def test_a_rebuild_of_the_same_run_is_byte_stable() -> None:
    """A real run of a demo makes, from nothing, the rows committed: its
    PIDs, ports and dates differ from the run that made it; and with the
    committed file, the very bytes, though its timings are this machine's
    now."""
    demo, committed = BY_NAME["asgi_app"], load("asgi_app")
    lines = asyncio.run(capture(demo))
    fresh = rows(demo, lines, [])
    assert [r.markup for r in fresh] == [r.markup for r in committed]
    assert [r.breaks for r in fresh] == [r.breaks for r in committed]
    made = dump(demo.name, rows(demo, lines, committed))
    assert made == (ROOT / FOLDER / "asgi_app.txt").read_text()


def test_the_same_rows_interleaved_otherwise_keep_the_recording() -> None:
    """The server's log and the client's reply race: a rebuild that only
    swaps them keeps the file, and so does one whose start-ups took a busy
    machine longer (MACHINE); one that changes a row or the demo's pace
    does not."""
    old = load("streaming_response")
    pace = BY_NAME["streaming_response"].seconds()  # its quantum: 0.2 s
    assert not any(row.breaks for row in old[5:7])
    swapped = [*old[:5], old[6], old[5], *old[7:]]
    assert same_run(swapped, old, pace)
    edited = [*swapped[:-1], Row(0, swapped[-1].markup + " and more")]
    assert not same_run(edited, old, pace)
    slower = [Row(row.delay * 2, row.markup) for row in swapped]
    assert not same_run(slower, old, pace)
    ours = [i == 0 or key(row.markup).startswith("runner")
            for i, row in enumerate(swapped)]
    for late, same in ((MACHINE - SLACK, True), (MACHINE + SLACK, False)):
        busy = [Row(row.delay + late * mine, row.markup)
                for row, mine in zip(swapped, ours, strict=True)]
        assert same_run(busy, old, pace) is same, late
