"""Serve the deck with Marp CLI on 127.0.0.1 ($HOST opens it), $PORT (8080),
from a folder linking to what it shows; on a save of a picture's source,
redraw and touch slides.md: Marp reloads the deck. Ctrl-C stops both."""

import os
import signal
import subprocess
import sys
import tempfile
import threading
from fnmatch import fnmatch
from pathlib import Path

from watchfiles import Change, watch  # uvicorn[standard]'s, in uv.lock

from scripts.common import ROOT, command
from scripts.deck.build import CONFIG, MARP, SLIDES
from scripts.net.processes import Subprocess

PRELOAD = ROOT / "scripts/deck/localhost.cjs"  # listen() on HOST by default
SHOWN = (SLIDES, "assets", "node_modules")  # linked in the served folder
WATCHED = ("demos", "themes", "assets", "scripts/pictures")
SOURCES = ("demos/*.py", "scripts/pictures/*.py", "themes/*.css",
           "assets/*.json", "assets/transcripts/*.txt")


def serve(port: int, host: str, folder: Path) -> int:
    """Marp's server on ``folder`` and the watcher, until Ctrl-C, SIGTERM
    or Marp exits."""
    for name in SHOWN:
        (folder / name).symlink_to(ROOT / name)
    marp = Subprocess(
        [str(ROOT / MARP), "--config-file", str(ROOT / CONFIG), "--no-stdin",
         "--server", "--input-dir", str(folder)], cwd=ROOT,
        env={**os.environ, "PORT": str(port), "HOST": host,
             "NODE_OPTIONS": f"--require {PRELOAD}"})
    print(f"Serving the deck at http://{host}:{port}/{SLIDES} (Ctrl-C stops)")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    draw = [sys.executable, "-m", "scripts.pictures"]  # what is out of date
    try:  # each 0.5 s without a change, whether Marp is still there
        for changes in watch(*(ROOT / name for name in WATCHED), step=20,
                             stop_event=stop, rust_timeout=500,
                             yield_on_timeout=True, raise_interrupt=False):
            if marp.popen.poll() is not None:
                break
            names = sorted(Path(path).relative_to(ROOT).as_posix()
                           for change, path in changes
                           if change != Change.deleted)
            names = [n for n in names if any(fnmatch(n, s) for s in SOURCES)]
            if not names:
                continue
            print(f"changed: {', '.join(names)}", flush=True)
            if subprocess.run(draw, cwd=ROOT, check=False).returncode == 0:  # noqa: S603
                os.utime(ROOT / SLIDES)  # Marp reloads the open deck
    finally:
        code = marp.popen.poll()
        marp.stop(signal.SIGTERM, 5)  # the preload exits on SIGTERM
    if code is not None:
        print(f"marp exited with code {code}", file=sys.stderr)
    return 0 if code is None else 1


if __name__ == "__main__":
    args = command(
        "scripts.deck.serve", __doc__ or "", "1 Marp exited, 2 bad input",
        port={"type": int, "default": int(os.environ.get("PORT") or 8080)},
        host={"default": os.environ.get("HOST") or "127.0.0.1"},
    ).parse_args()
    with tempfile.TemporaryDirectory(prefix="deck-") as served:
        sys.exit(serve(args.port, args.host, Path(served)))
