"""A demo's recording, assets/transcripts/STEM.txt, against a live run (at
200 columns, some at a test pace): the same words and numbers, in any
order, once stamps, wrapping, box lines, pacing notes and paced durations
are set aside; a difference names the file."""

import re
from collections import Counter

from scripts.transcripts import FOLDER, ROOT, Row, parse
from scripts.transcripts.record import FIXES, PORT, STAMP

DURATION = re.compile(r"\d+(\.\d+)?(?= ?s\b)")
PACED = re.compile(r"-m scripts\.live\.launch --pace \S+")  # --interval's
BOX = re.compile("[\u2500-\u257f]")  # rules, panels, the server's mark


def what_it_does(text: str, port: int = PORT) -> Counter[str]:
    """The words of a run, whatever its width, pace, port or stamps."""
    lines = [line for line in text.splitlines() if "Paced for this" not in line]
    text = re.sub(rf"(?<![\d.]){port}(?!\d)", str(PORT), "\n".join(lines))
    for pattern, replacement in FIXES:
        text = pattern.sub(replacement, text)
    text = DURATION.sub("N", STAMP.sub(" ", PACED.sub("-m uvicorn", text)))
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


def recording(stem: str) -> list[Row]:
    path = ROOT / FOLDER / f"{stem}.txt"
    return parse(path.read_bytes(), str(path))
