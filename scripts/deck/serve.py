"""Serve the deck with Marp CLI on 127.0.0.1 (--host opens it), and rebuild
its pictures when a demo, a manifest, the theme or the measured data changes.

Marp's server reloads the open deck when slides.md or the theme changes, not
when a picture does: after a rebuild this touches slides.md, the page reloads
and revalidates each picture (Marp serves them with max-age=0 and an ETag),
so a changed one is fetched again. Ctrl-C or SIGTERM stops both."""

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from fnmatch import fnmatch
from pathlib import Path

from watchfiles import Change, watch  # uvicorn[standard]'s, in uv.lock

from scripts.deck.build import CONFIG, MARP, SLIDES
from scripts.net import processes
from scripts.pictures import generator

PRELOAD = Path("scripts/deck/localhost.cjs")  # listen() on HOST by default
WATCHED = ("demos", "scripts/pictures", "themes", "assets")
SOURCES = ("demos/*.py", "scripts/pictures/*.toml", "scripts/pictures/theme.py",
           "themes/*.css", "assets/*.json",
           "assets/transcripts/*.txt")  # what the pictures are made of


def rebuild(root: Path, changed: set[Path]) -> None:
    """Run the generators (they skip what is up to date), then touch
    slides.md so that Marp reloads the open deck."""
    names = ", ".join(sorted(p.relative_to(root).as_posix() for p in changed))
    print(f"changed: {names}", flush=True)
    command = [sys.executable, "-m", "scripts.pictures", "--root", str(root)]
    if subprocess.run(command, cwd=root, check=False).returncode == 0:  # noqa: S603
        os.utime(root / SLIDES)


def serve(root: Path, port: int, host: str) -> int:
    """Marp's server and the watcher, until Ctrl-C, SIGTERM or Marp exits."""
    env = {**os.environ, "PORT": str(port), "HOST": host}
    env["NODE_OPTIONS"] = f"--require {root / PRELOAD}"
    command = [str(root / MARP), "--config-file", str(root / CONFIG)]
    command += ["--no-stdin", "--server", "--input-dir", str(root)]
    print(f"Serving the deck at http://{host}:{port}/{SLIDES} (Ctrl-C stops)")
    marp = processes.Server(command, cwd=root, env=env)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def stop_with_marp() -> None:
        marp.popen.wait()
        stop.set()

    threading.Thread(target=stop_with_marp, daemon=True).start()
    try:
        folders = [root / name for name in WATCHED]
        for changes in watch(
            *folders, stop_event=stop, step=20, raise_interrupt=False,
            watch_filter=lambda change, path: change != Change.deleted
            and any(fnmatch(Path(path).relative_to(root).as_posix(), source)
                    for source in SOURCES),
        ):
            rebuild(root, {Path(path) for _, path in changes})
    finally:
        code = marp.popen.poll()
        marp.stop(signal.SIGTERM, 5)  # the preload exits on SIGTERM
    if code is not None:
        print(f"marp exited with code {code}", file=sys.stderr)
    return 0 if code is None else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = generator.parser(__name__)
    port, host = os.environ.get("PORT") or "8080", os.environ.get("HOST")
    help = "default: $PORT, else 8080"
    parser.add_argument("--port", type=int, default=int(port), help=help)
    help = "where to listen (default: $HOST, else 127.0.0.1)"
    parser.add_argument("--host", default=host or "127.0.0.1", help=help)
    args = parser.parse_args(argv)
    return serve(args.root.resolve(), args.port, args.host)


if __name__ == "__main__":
    sys.exit(main())
