"""The comparison of a recording with a live run catches a change and
names the file (the live comparisons are in test_clients.py, beside the
runs they use)."""

from scripts.live.cli import PORT
from scripts.transcripts import load
from tests.live.recordings import difference


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
