"""``make demo`` as typed on stage, in a terminal of its own (a pseudo-
terminal, 80 by 24): it pages where its recording does, each page within 24
rows, on a clear screen; at 120 columns every row wraps at spaces; Ctrl-C
stops the output at once (issue #17's 0.3 s, times how shared the CPU is,
measured in the same run), with one line, and leaves no
server and no "Error 130" behind."""

import re
from collections.abc import Iterator

import pytest
from rich.cells import cell_len

from scripts.live.timeline import PROMPT
from scripts.net.ports import pick_port
from scripts.transcripts import load
from scripts.transcripts import pages as recorded_pages
from scripts.transcripts import screen_rows as recorded_rows
from tests.conftest import Report
from tests.live.cli import (
    PROTOTYPE_PACE,
    START_TIMEOUT,
    STOP_TIMEOUT,
    STOPPED,
    port_is_free,
    server_alive,
)
from tests.live.recordings import what_it_does
from tests.live.terminal import (
    Terminal,
    contention,
    lines,
    pages,
    screen_rows,
)

ROWS = 24  # the projector's terminal, 80 columns wide
STOP_WITHIN = 0.3  # seconds from Ctrl-C to the last byte (issue #17)


def make_demo(key: str, *options: str, columns: int = 80) -> Terminal:
    """``make demo NAME=KEY`` typed in a terminal, on a free port."""
    name, *http = key.split()
    port = pick_port()
    demo_args = " ".join(["--port", str(port), *options])
    return Terminal(["make", "demo", f"NAME={name}", *http,
                     f"DEMO_ARGS={demo_args}"], columns=columns)


def port_of(terminal: Terminal) -> int:
    """The port the run's command shows."""
    return int(re.findall(r"--port (\d+)", terminal.plain)[0])


@pytest.fixture
def terminals() -> Iterator[list[Terminal]]:
    started: list[Terminal] = []
    yield started
    for terminal in started:
        terminal.stop()


def test_a_live_run_pages_as_recorded_each_page_in_24_rows(
    terminals: list[Terminal],
) -> None:
    """No --step typed: in a terminal the run pages by itself, and waits
    for Enter at each page's end, as the recording marks them."""
    stem = "ws_with_token"
    expected = recorded_pages(load(stem))
    terminals.append(terminal := make_demo(stem))
    for turned in range(1, len(expected)):
        assert terminal.wait_for(PROMPT, START_TIMEOUT, turned), terminal.text
        terminal.type(b"\r")
    assert terminal.finish(START_TIMEOUT) == 0, terminal.text
    port = port_of(terminal)
    shown = pages(terminal.text)
    assert len(shown) == len(expected), terminal.text
    for number, (page, rows) in enumerate(zip(shown, expected, strict=True),
                                          1):
        used = screen_rows(page)
        assert used <= ROWS, f"page {number}: {used} rows\n{page}"
        said = lines(page)
        if number > 1:
            header = f"{stem} · page {number} of {len(expected)}"
            assert header in said[0], said
            said = said[1:]
        if number < len(expected):
            assert said[-1] == PROMPT, repr(page)  # the prompt, at the bottom
            said = said[:-1]
        ran = what_it_does("\n".join(said), port)
        assert ran == what_it_does("\n".join(r.text.plain for r in rows)), (
            f"page {number} differs from {stem}.txt's "
            f"({recorded_rows(rows)} rows):\n" + "\n".join(said)
        )


def test_at_120_columns_rows_wrap_at_spaces(
    terminals: list[Terminal],
) -> None:
    """The runner wraps at the terminal's own width: every row within it,
    and the same words as its recording (80 columns)."""
    key = "raise_oserror HTTP=oserror"
    options = ("--no-step", "--interval", str(PROTOTYPE_PACE))
    terminals.append(terminal := make_demo(key, *options, columns=120))
    assert terminal.finish(START_TIMEOUT) == 0, terminal.text
    rows = lines(terminal.text)
    assert max(cell_len(row) for row in rows) <= 120, terminal.text
    assert any(row.endswith(" \\") for row in rows), "a command goes on"
    recorded = "\n".join(row.text.plain for row in load(
        "raise_oserror.oserror"))
    assert what_it_does(terminal.plain, port_of(terminal)) == what_it_does(
        recorded), terminal.text


@pytest.mark.parametrize(
    ("name", "when"),
    [("streaming_response", "Sending 'o'"),  # watched: 0.2 s to the next row
     ("ws_disconnect", "Waiting for tick 2")],
)
def test_ctrl_c_stops_the_output_at_once_with_one_line(
    name: str, when: str, terminals: list[Terminal], figure: Report
) -> None:
    """Mid-stream, and while the app sleeps (ws_disconnect at the stage's
    pace): from Ctrl-C to the last byte at most STOP_WITHIN, times how
    shared the CPU was, measured right after (1 on an idle machine); all it
    prints is one line; no SIGKILL, no exit code, no make error."""
    terminals.append(terminal := make_demo(name))
    assert terminal.wait_for(PROMPT, START_TIMEOUT), terminal.text
    entered = terminal.type(b"\r")
    assert terminal.wait_for(when, START_TIMEOUT), terminal.text
    answered = terminal.first_after(entered)
    pressed = terminal.type(b"\x03")  # the terminal's SIGINT, to make too
    terminal.finish(STOP_TIMEOUT)
    shared = max(1.0, contention())
    said, last = terminal.after(pressed)
    assert [row for row in lines(said) if row.strip()] == [STOPPED], said
    assert last is not None
    assert answered is not None
    took, key = last - pressed, answered - entered
    figure("make demo", name, f"Ctrl-C to the last byte {took:.3f} s; "
           f"Enter to the next page {key:.3f} s; CPU shared x{shared:.1f}")
    assert took <= STOP_WITHIN * shared, f"{took:.3f} s, CPU x{shared:.2f}"
    (pid,) = re.findall(r"Server up: PID (\d+)", terminal.plain)
    assert not server_alive(int(pid))
    assert port_is_free(port_of(terminal))
