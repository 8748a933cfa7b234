"""``python -m scripts.live.record`` (``make transcripts``): each recorded
run as on stage, written as rows (scripts/transcripts.py): markup made
byte-stable, the delay before it, and where ``--step`` ends a page."""

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.segment import Segment
from rich.text import Text

from demos.catalog import BY_NAME, Demo
from scripts import transcripts
from scripts.common import ROOT, InputError, shown, write_atomic
from scripts.net import processes
from scripts.net.ports import pick_port
from scripts.transcripts import BREAK, BY_STEM, Row, pages

QUANTUM = 0.1  # seconds: what a delay rounds to, but on a paced run
STEP = 0.2  # seconds: the slowest pace a paced run's delays round to
RUNNER = "runner »"  # the runner's rows: the server's start and stop
UP = f"{RUNNER} Server up"  # the row the stamps count from
MACHINE = 1.0  # seconds a busy machine's start-ups may stray: see same_run()
SLACK = 0.3  # seconds the demo's own time may stray in all: see same_run()
RUN_TIMEOUT = 90.0  # seconds for one demo (the longest: ~5)
ENV = {
    "COLUMNS": str(transcripts.WIDTH), "FORCE_COLOR": "1",
    "COLORTERM": "truecolor", "PYTHONIOENCODING": "utf-8",
}
STAMP = re.compile(r" *\+\d+\.(\d+)s")
# A duration measured ("2.4 s after"), not a limit ("up to 2.5 s").
DURATION = re.compile(r"(?<![\d.+])(?<!up to )\d+\.(\d+)(?= s\b)")
Fix = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]
FIXES: list[Fix] = [  # what differs from run to run, each the same width
    (re.compile(r"(127\.0\.0\.1:)\d{5}(?!\d)"), r"\g<1>50000"),  # a client
    (re.compile(r"(?i)(process \[|\bpid:? )\d+"), r"\g<1>4242"),
]  # (dates, WebSocket keys: shown with --verbose only, never recorded)


class RecordError(Exception):
    """A demo run that failed: nothing is written for it."""


async def capture(
    demo: Demo, http: str | None = None
) -> list[tuple[float, str]]:
    """``python -m scripts.live NAME [--http HTTP] --record`` on a free port:
    its lines, each with the seconds since it started; or RecordError."""
    lines = list[tuple[float, str]]()
    command = ["-m", "scripts.live", demo.name, "--port", str(pick_port())]
    command += ["--record", *([] if http is None else ["--http", http])]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"} | ENV
    first = time.monotonic()  # Enter: the first row comes after this
    runner = await asyncio.create_subprocess_exec(
        sys.executable, *command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    assert runner.stdout is not None
    code: int | None = None
    try:
        async with asyncio.timeout(RUN_TIMEOUT):
            async for raw in runner.stdout:
                line = raw.decode(errors="replace").rstrip("\n")
                lines.append((time.monotonic() - first,
                               line.rsplit("\r", 1)[-1]))
            code = await runner.wait()
    except TimeoutError:
        processes.stop_tree(runner.pid, signal.SIGINT)
    if code != 0 or not lines:
        plain = [Text.from_ansi(line).plain.rstrip() for _, line in lines]
        how = "did not end" if code is None else f"exited with code {code}"
        tail = "\n".join(f"  {line}" for line in plain[-8:])
        raise RecordError(f"{demo.name}: the demo {how}; it printed:\n{tail}")
    return lines


def tidy(ansi: str) -> str:
    """The row's markup, each stretch of one style tagged once."""
    text, console = Text.from_ansi(ansi), Console(width=10**4)
    text.rstrip()
    return "".join(
        f"[{s.style}]{escape(s.text)}[/]" if s.style else escape(s.text)
        for s in Segment.simplify(text.render(console))
    )


def quantised(seconds: float, quantum: float) -> float:
    return round(round(seconds / quantum) * quantum, 3)


def key(row: str) -> str:
    """A row without its stamp: what a rebuild compares."""
    return " ".join(STAMP.sub(" ", Text.from_markup(row).plain).split())


def rows(
    demo: Demo, lines: list[tuple[float, str]], old: list[Row]
) -> list[Row]:
    """The rows of a run and its page breaks, normalised, each time rounded
    to the demo's pace up to ``STEP``, or ``QUANTUM``; stamps only on a
    paced demo (others' are the machine's). ``old``, if the same run, kept."""
    quantum = min(demo.seconds(), STEP) if demo.pace else QUANTUM
    result, clock, last = list[Row](), None, 0.0

    def duration(match: re.Match[str]) -> str:
        value = quantised(float(match[0]), quantum)
        return f"{value:.{len(match[1])}f}"

    for at, line in lines:
        if line == BREAK:
            result.append(Row(0.0, BREAK))
            continue
        mark = quantised(at, quantum)
        delay, last = round(mark - last, 3), mark
        for pattern, replacement in [*FIXES, (DURATION, duration)]:
            line = pattern.sub(replacement, line)
        up = UP in Text.from_ansi(line).plain
        clock = 0.0 if up else None if clock is None else clock + delay

        def stamp(match: re.Match[str], at: float | None = clock) -> str:
            if not demo.pace or at is None:
                return " " * len(match[0])
            return f"+{at:.{len(match[1])}f}s".rjust(len(match[0]))

        result.append(Row(delay, tidy(STAMP.sub(stamp, line))))
    return old if same_run(result, old, quantum) else result


def same_run(new: list[Row], old: list[Row], quantum: float) -> bool:
    """Whether ``old`` recorded the same run: page by page the same rows, in
    any order (they race); the machine's delays (first row's, runner's) each
    within ``MACHINE``; the demo's, summed, within ``SLACK`` + ``quantum``."""

    def shape(made: list[Row]) -> tuple[list[Counter[str]], dict[str, float],
                                        float]:
        machine, demo = dict[str, float](), 0.0
        for index, row in enumerate(r for r in made if not r.breaks):
            if index == 0 or key(row.markup).startswith(RUNNER):
                machine[key(row.markup)] = row.delay
            else:
                demo += row.delay
        seen = [Counter(key(r.markup) for r in page) for page in pages(made)]
        return seen, machine, demo

    (seen, ours, mine), (recorded, theirs, its) = shape(new), shape(old)
    return seen == recorded and ours.keys() == theirs.keys() and all(
        abs(ours[k] - theirs[k]) <= MACHINE for k in ours
    ) and abs(mine - its) <= SLACK + quantum


def record(root: Path, stem: str) -> str:
    """Record ``stem`` and write its recording; what it did."""
    recording, target = BY_STEM[stem], transcripts.path(root, stem)
    demo = BY_NAME[recording.name]
    try:
        old = transcripts.load(stem, root)
    except (OSError, InputError):
        old = []  # recorded afresh
    made = rows(demo, asyncio.run(capture(demo, recording.http)), old)
    write_atomic(target, transcripts.dump(stem, made).encode())
    return f"wrote {shown(target, root)} ({transcripts.screen_rows(made)} rows)"


def main(argv: list[str] | None = None) -> int:
    """Exit codes: 0 all written, 1 a demo failed."""
    argparse.ArgumentParser("python -m scripts.live.record",
                            description=__doc__).parse_args(argv)
    failed = list[str]()
    for stem in BY_STEM:
        try:
            print(record(ROOT, stem), flush=True)
        except (RecordError, OSError) as error:
            print(f"{stem}: not recorded: {error}", file=sys.stderr)
            failed.append(stem)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
