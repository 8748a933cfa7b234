"""``python -m scripts.transcripts [STEM ...]`` (``make transcripts``): run
each demo as the speaker does, at the slide's pace, and write its transcript
(assets/transcripts/STEM.txt) and the picture drawn from it (STEM.svg); STEM
is a demo's NAME, or NAME.HTTP for its run on ``--http HTTP``."""

import argparse
import sys
from pathlib import Path

from demos.catalog import BY_NAME
from scripts.common import ROOT, InputError, shown, write_atomic
from scripts.pictures.code_images import CACHE
from scripts.pictures.transcripts import render
from scripts.transcripts import BY_STEM, dump, parse, path, screen_rows
from scripts.transcripts.record import RecordError, rows, run


def record(root: Path, stem: str) -> str:
    """Record ``stem`` and write its transcript and picture; what it did."""
    recording, target = BY_STEM[stem], path(root, stem)
    demo = BY_NAME[recording.name]
    try:
        old = parse(target.read_bytes(), shown(target, root))
    except (OSError, InputError):
        old = []  # recorded afresh
    made = rows(demo, run(demo, recording.http), old)
    svg = render(stem, made, root, root / CACHE)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(target, dump(stem, made).encode())
    write_atomic(target.with_suffix(".svg"), svg)
    size = f"{screen_rows(made)} rows, {len(svg) / 1024:.1f} KB"
    return f"wrote {shown(target.with_suffix('.*'), root)} ({size})"


def main(argv: list[str] | None = None) -> int:
    cli = argparse.ArgumentParser(
        prog="python -m scripts.transcripts",
        description=(__doc__ or "").split("\n\n")[0].split(": ", 1)[-1],
        epilog="Exit codes: 0 all written, 1 a demo failed, 2 bad input.",
    )
    stems = ", ".join(BY_STEM)
    cli.add_argument("names", nargs="*", metavar="STEM",
                     help=f"the runs to record (default: all): {stems}")
    args = cli.parse_args(argv)
    if unknown := [n for n in args.names if n not in BY_STEM]:
        cli.error(f"unknown recording(s): {', '.join(unknown)}")
    failed = []
    for name in args.names or list(BY_STEM):
        try:
            print(record(ROOT, name), flush=True)
        except (RecordError, InputError, OSError) as error:
            print(f"{name}: not recorded: {error}", file=sys.stderr)
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
