"""Every recording, assets/transcripts/STEM.txt, does what its live run does
(``live_runs``, conftest), and the comparison catches a change, naming the
file."""

import pytest

from scripts.live.record import PORT
from scripts.transcripts import RECORDINGS, load
from tests.live.conftest import LiveRuns
from tests.live.recordings import difference

# Each recording, by the run it records: "NAME" or "NAME HTTP=oserror".
RECORDED = {r.command.removeprefix("make demo NAME="): r for r in RECORDINGS}


@pytest.mark.parametrize("key", RECORDED)
def test_the_recording_does_what_the_live_demo_does(
    key: str, live_runs: LiveRuns
) -> None:
    run, stem = live_runs.succeeded(key), RECORDED[key].stem
    message = difference(stem, load(stem), run.output, run.port)
    assert not message, message


def test_a_changed_status_line_is_caught_naming_the_file() -> None:
    rows = load("ws")
    live = "\n".join(row.text.plain for row in rows)
    assert difference("ws", rows, live, PORT) == ""
    edited = live.replace("403 Forbidden", "401 Unauthorized", 1)
    assert edited != live
    message = difference("ws", rows, edited, PORT)
    assert message.startswith("assets/transcripts/ws.txt differs from the")
    assert "'403 Forbidden'" in message
    assert "'401 Unauthorized'" in message
    assert message.endswith("run `make transcripts`")
