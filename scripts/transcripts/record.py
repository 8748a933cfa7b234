"""Run a demo as the speaker does, at the slide's pace, and keep what it
printed: each row's markup, normalised so a rebuild is byte-stable, and the
delay before it, quantised (see ``delays``)."""

import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable

from rich.console import Console
from rich.markup import escape
from rich.segment import Segment
from rich.text import Text

from demos.catalog import Demo
from scripts.net import ports, processes
from scripts.transcripts import ROOT, WIDTH, Row

PORT = 8000  # what the transcripts show, whichever port the run had
QUANTUM = 0.5  # seconds: what a demo without a pace rounds to
RUNNER = "runner »"  # the runner's rows: the server's start and stop
RUN_TIMEOUT = 90.0  # seconds for one demo (ws_disconnect: ~25)
ENV = {
    "COLUMNS": str(WIDTH), "FORCE_COLOR": "1", "COLORTERM": "truecolor",
    "TTY_INTERACTIVE": "0",  # colours, but no spinner redrawing a row
    "PYTHONIOENCODING": "utf-8",
}
STAMP = re.compile(r" *\+\d+\.(\d+)s")
DURATION = re.compile(r"(?<![\d.+])\d+\.(\d+)(?= s\b)")  # "in 3.0 s"
Fix = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]
FIXES: list[Fix] = [  # what differs from run to run, each the same width
    (re.compile(r"(127\.0\.0\.1:)\d{5}(?!\d)"), r"\g<1>50000"),  # a client
    (re.compile(r"(?i)(process \[|\bpid:? )\d+"), r"\g<1>4242"),
    (re.compile(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT"),
     "Mon, 01 Jan 2024 00:00:00 GMT"),
    (re.compile(r"(?i)(sec-websocket-key: )[\w+/=]{24}"),  # RFC 6455's
     r"\g<1>dGhlIHNhbXBsZSBub25jZQ=="),
    (re.compile(r"(?i)(sec-websocket-accept: )[\w+/=]{28}"),
     r"\g<1>s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
    (re.compile(re.escape(tempfile.gettempdir()) + r"/[^\s'\"\x1b]+"),
     "$TMPDIR/…"),
]


class RecordError(Exception):
    """A demo run that failed: nothing is written for it."""


def free_port() -> int:
    """A free port of 4 digits, so rows wrap as they would on 8000."""
    for port in random.sample(range(8001, 10000), 50):
        if ports.bindable(port) and not ports.accepting(port, 0.05):
            return port
    raise RecordError("no free port between 8001 and 9999")


def run(demo: Demo, http: str | None = None) -> list[tuple[float, str]]:
    """``python -m demos NAME [--http HTTP]`` on a free port: its lines, as
    they came, each with the seconds since the first; RecordError if it
    fails."""
    port, lines = free_port(), list[tuple[float, str]]()
    read_end, write_end = os.pipe()
    command = [sys.executable, "-m", "demos", demo.name, "--port", str(port)]
    command += [] if http is None else ["--http", http]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | ENV
    with os.fdopen(write_end, "wb") as output:
        runner = processes.Server(command, cwd=ROOT, env=env, output=output)

    def read() -> None:
        with os.fdopen(read_end, "rb") as pipe:
            for raw in pipe:
                at = time.monotonic()
                line = raw.decode(errors="replace").rstrip("\n")
                lines.append((at, line.rsplit("\r", 1)[-1]))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        code: int | None = runner.popen.wait(RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        code = None
    finally:
        runner.stop(signal.SIGINT)
        reader.join(5)
    plain = [Text.from_ansi(line).plain.rstrip() for _, line in lines]
    if code != 0 or not lines:
        how = "did not end" if code is None else f"exited with code {code}"
        tail = "\n".join(f"  {line}" for line in plain[-8:])
        raise RecordError(f"{demo.name}: the demo {how}; it printed:\n{tail}")
    where = re.compile(rf"(?<![\d.;\[]){port}(?![\d;m])")
    first = lines[0][0]
    return [(at - first, where.sub(str(PORT), line)) for at, line in lines]


def tidy(ansi: str) -> str:
    """The row's markup, each stretch of one style tagged once."""
    text, console = Text.from_ansi(ansi), Console(width=10**4)
    text.rstrip()
    return "".join(
        f"[{s.style}]{escape(s.text)}[/]" if s.style else escape(s.text)
        for s in Segment.simplify(text.render(console))
    )


def jitter(quantum: float) -> float:
    """How far a rebuild's timing may stray and still keep the old file."""
    return max(0.6 * quantum, 0.3)


def quantised(seconds: float, quantum: float) -> float:
    return round(round(seconds / quantum) * quantum, 3)


def delays(
    times: list[float], quantum: float, keys: list[str], old: list[Row]
) -> list[float]:
    """Each gap rounded to a multiple of ``quantum``; but a rebuild of the
    same rows keeps the ``old`` delay of a gap within ``jitter()`` of it,
    so a busy machine's jitter does not change the file."""
    gaps = [b - a for a, b in zip([0.0, *times], times, strict=False)]
    new = [quantised(gap, quantum) for gap in gaps]
    if [key(r.markup) for r in old] != keys:
        return new
    pairs = zip(gaps, new, old, strict=True)
    return [o.delay if abs(g - o.delay) <= jitter(quantum) else n
            for g, n, o in pairs]


def key(row: str) -> str:
    """A row without its stamp: what a rebuild compares."""
    return " ".join(STAMP.sub(" ", Text.from_markup(row).plain).split())


def rows(
    demo: Demo, lines: list[tuple[float, str]], old: list[Row]
) -> list[Row]:
    """The rows of a run, normalised; stamps from the quantised delays. A
    demo with no pace has no delays and shows no stamps: its timings are
    the machine's, not the demo's. The runner's rows (the server's start
    and stop) take no time either, for the same reason."""
    quantum = demo.interval() if demo.pace else QUANTUM

    def duration(match: re.Match[str]) -> str:
        value = quantised(float(match[0]), quantum)
        return f"{value:.{len(match[1])}f}"

    texts = []
    for _, line in lines:
        for pattern, replacement in [*FIXES, (DURATION, duration)]:
            line = pattern.sub(replacement, line)
        texts.append(line)
    keys = [key(tidy(text)) for text in texts]
    found = delays([at for at, _ in lines], quantum, keys, old)
    result, clock = [], 0.0
    for delay, text, seen in zip(found, texts, keys, strict=True):
        if not demo.pace or RUNNER in seen:
            delay = 0.0
        clock += delay

        def stamp(match: re.Match[str], at: float = clock) -> str:
            if not demo.pace:
                return " " * len(match[0])
            return f"+{at:.{len(match[1])}f}s".rjust(len(match[0]))

        result.append(Row(delay, tidy(STAMP.sub(stamp, text))))
    return old if same_run(result, old, keys, quantum) else result


def same_run(new: list[Row], old: list[Row], keys: list[str], quantum: float
             ) -> bool:
    """Whether ``old`` recorded the same rows, interleaved otherwise (the
    server's output and the client's race), over about as long: then a
    rebuild keeps it, byte for byte."""
    took = [sum(row.delay for row in rows) for rows in (new, old)]
    close = abs(took[0] - took[1]) <= jitter(quantum)
    return close and Counter(keys) == Counter(key(r.markup) for r in old)
