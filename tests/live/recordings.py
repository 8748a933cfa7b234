"""A demo's recording, assets/transcripts/STEM.txt, against a live run (at
200 columns, some at a test pace): the same words and numbers, in any
order, once stamps, box lines, pacing notes, paced durations and the way a
command is started (the launcher, a port, rows going on with \\) are set
aside; words wrapped at spaces, never inside: a difference names the file."""

import re
from collections import Counter

from scripts.live.cli import PORT
from scripts.live.record import FIXES, STAMP
from scripts.transcripts import FOLDER, Row

DURATION = re.compile(r"\d+(\.\d+)?(?= ?s\b)")
# How a command starts uvicorn: itself, or the launcher at a pace.
STARTS = re.compile(
    r"\S*python -m scripts\.live\.launch --pace \S+|\S*/uvicorn"
)
GOES_ON = re.compile(r" \\\n\s*")  # a command's row ending " \\", the next
PORT_SHOWN = re.compile(r" --port \d+")
BOX = re.compile("[\u2500-\u257f]")  # rules, panels, the server's mark


def what_it_does(text: str, port: int = PORT) -> Counter[str]:
    """The words of a run, whatever its width, pace, port or stamps."""
    lines = [line for line in text.splitlines() if "Paced for " not in line]
    text = re.sub(rf"(?<![\d.]){port}(?!\d)", str(PORT), "\n".join(lines))
    for pattern, replacement in FIXES:
        text = pattern.sub(replacement, text)
    text = PORT_SHOWN.sub("", STARTS.sub("uvicorn", GOES_ON.sub(" ", text)))
    text = DURATION.sub("N", STAMP.sub(" ", text))
    return Counter(BOX.sub(" ", text).split())


def difference(stem: str, rows: list[Row], live: str, port: int) -> str:
    """Why the recording ``stem`` is not what the live run did, or ""."""
    recorded = what_it_does("\n".join(row.text.plain for row in rows))
    ran = what_it_does(live, port)
    if recorded == ran:
        return ""
    only = [" ".join((a - b).elements()) or "nothing" for a, b in
            ((recorded, ran), (ran, recorded))]
    return (
        f"{FOLDER}/{stem}.txt differs from the live run: it has "
        f"{only[0][:300]!r} that the run has not, the run has "
        f"{only[1][:300]!r}; run `make transcripts`"
    )
