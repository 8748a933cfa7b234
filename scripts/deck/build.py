"""The deck by Marp CLI (settings in .marprc.yml): slides.md to an HTML
folder with every file it uses, a PDF outlined by section or a PPTX (by
Chromium), or its notes as text, each written whole or not at all; or served
(on a save of a picture's source, redrawn: Marp reloads the open deck)."""

import io
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from fnmatch import fnmatch
from pathlib import Path

from scripts.common import ROOT, InputError, command, shown, write_atomic
from scripts.deck.slides import read_deck
from scripts.net.processes import Subprocess

SLIDES, CONFIG, OUT = Path("slides.md"), Path(".marprc.yml"), Path("dist")
MARP, MARP_TIMEOUT = Path("node_modules/.bin/marp"), 300  # seconds
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# References to files of ours in the page: <img src>, <a href>, <link href>,
# CSS url(), each a relative path (no scheme, no leading / or #).
REFERENCE = re.compile(r"""(?P<head>\b(?:src|href)="|url\(\s*['"]?)"""
                       r"""(?P<url>(?![a-zA-Z][\w+.-]*:|[/#])[^'")]+)""")
FONT = re.compile(r"node_modules/@fontsource/(?P<dir>[^/]+)/files/(?P<file>.+)")
EMOJI = re.compile(r"node_modules/@twemoji/svg/(?P<file>[0-9a-f-]+\.svg)")
TWEMOJI = b"""\
The emoji pictures in this folder are Twemoji, copyright Twitter, Inc and
other contributors (github.com/jdecked/twemoji), licensed under CC-BY 4.0.
They come from the npm package @twemoji/svg (MIT licence).
"""
NO_NOTES = "(no notes)"
PRELOAD = ROOT / "scripts/deck/localhost.cjs"  # listen() on HOST by default
SHOWN = (SLIDES, "assets", "node_modules")  # linked in the served folder
WATCHED = ("demos", "themes", "assets", "scripts/pictures")
SOURCES = ("demos/*.py", "scripts/pictures/*.py", "themes/*.css",
           "assets/*.json", "assets/transcripts/*.txt")


def find_browser() -> Path | None:
    """The Chromium the PDF is printed with: $CHROME_PATH, else on PATH."""
    found = os.environ.get("CHROME_PATH") or next(
        filter(None, map(shutil.which, BROWSERS)), None)
    return Path(found) if found and os.access(found, os.X_OK) else None


def marp(root: Path, *args: str, **env: str) -> bytes:
    """Run Marp CLI on the deck with the project's config: what it made."""
    done = subprocess.run(  # noqa: S603  # our own command line
        [str(root / MARP), "--no-stdin", "--config-file", str(root / CONFIG),
         str(root / SLIDES), *args, "--output", "-"],  # to stdout
        cwd=root, env={**os.environ, **env}, capture_output=True,
        timeout=MARP_TIMEOUT, check=False)
    if done.returncode:
        said = done.stderr.decode(errors="replace").strip()
        failed = f"marp failed ({done.returncode}):\n{said}"
        raise subprocess.SubprocessError(failed)
    return done.stdout


def place(root: Path, url: str, files: dict[Path, bytes]) -> str:
    """Where the file at ``url`` goes in the folder, put in ``files`` (with a
    licence); or InputError at the line of slides.md or the theme naming it."""
    path = re.split("[?#]", url)[0]
    source, target = root / path, Path(path)
    if font := FONT.fullmatch(path):
        target = Path("fonts", font["file"])
        files[Path("fonts", f"LICENSE-{font['dir']}.txt")] = (
            root / "node_modules/@fontsource" / font["dir"] / "LICENSE"
        ).read_bytes()
    elif emoji := EMOJI.fullmatch(path):
        target = Path("emoji", emoji["file"])
        files[Path("emoji", "NOTICE.txt")] = TWEMOJI
    why = ("only fonts of @fontsource and emoji of @twemoji/svg may come from"
           " node_modules" if target.parts[0] == "node_modules" else
           "is outside the repository" if os.path.normpath(path)[:2] == ".."
           else "does not exist" if not source.is_file() else None)
    if why is None:
        files[target] = source.read_bytes()
        return target.as_posix() + url[len(path):]
    for file in (root / SLIDES, *sorted((root / "themes").glob("*.css"))):
        lines = file.read_text(encoding="utf-8").splitlines()
        if found := [n for n, line in enumerate(lines, 1) if path in line]:
            raise InputError(shown(file, root), found[0], f"{url}: {why}")
    raise InputError(SLIDES, 1, f"{url}: {why}")


def build_html(root: Path, out: Path) -> Path:
    """slides.md to ``out``/slides.html, with the pictures, fonts and emoji
    it shows in folders beside it (made afresh: nothing else there)."""
    started, files = time.monotonic(), dict[Path, bytes]()
    html = REFERENCE.sub(lambda m: m["head"] + place(root, m["url"], files),
                         marp(root).decode())
    out.mkdir(parents=True, exist_ok=True)
    for folder in ("assets", "fonts", "emoji"):
        shutil.rmtree(out / folder, ignore_errors=True)
    for name, data in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(out / name, data)
    write_atomic(target := out / "slides.html", html.encode())
    kb = sum(map(len, files.values())) // 1024
    print(f"wrote {shown(target, root)} and {len(files)} files it uses "
          f"({kb} KB) in {time.monotonic() - started:.1f} s")
    return target


def build_pdf(root: Path, out: Path, what: str = "pdf") -> Path:
    """slides.md to ``out``/slides.pdf, outlined by section, or .pptx."""
    started = time.monotonic()  # bad sections: said before Chromium prints
    parts = read_deck(root / SLIDES).parts() if what == "pdf" else ()
    if (browser := find_browser()) is None:
        where = os.environ.get("CHROME_PATH") or f"PATH ({', '.join(BROWSERS)})"
        raise FileNotFoundError(f"no Chromium in {where}: install Debian's "
                                "chromium, or set CHROME_PATH")
    made = marp(root, f"--{what}", "--browser", "chrome", "--browser-path",
                str(browser), CHROME_DISABLE_GPU="1")
    if parts:  # an outline: each section, its slides beneath it
        from pypdf import PdfWriter  # only here: the other builds need none

        writer = PdfWriter(clone_from=io.BytesIO(made))
        for part in parts:
            parent = writer.add_outline_item(
                title=part.section, page_number=part.slides[0].number - 1)
            for slide in part.slides:
                writer.add_outline_item(
                    title=f"{slide.number}. {slide.title or '(untitled)'}",
                    page_number=slide.number - 1, parent=parent)
        writer.page_mode = "/UseOutlines"  # a viewer opens the outline
        writer.write(buffer := io.BytesIO())
        made = buffer.getvalue()
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(target := out / f"slides.{what}", made)
    print(f"wrote {shown(target, root)} ({target.stat().st_size // 1024} KB,"
          f" with {browser}) in {time.monotonic() - started:.1f} s")
    return target


def build_notes(root: Path, out: Path) -> Path:
    """The notes to ``out``/slides.txt, each slide's under "Slide N: Title"."""
    pages = (f"Slide {slide.number}: {slide.title or '(untitled)'}\n\n"
             + ("\n\n".join(note for note in slide.notes if note) or NO_NOTES)
             for slide in read_deck(root / SLIDES).slides)
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(target := out / "slides.txt", "\n\n---\n\n".join(
        pages).encode() + b"\n")
    print(f"wrote {shown(target, root)} ({target.stat().st_size} bytes)")
    return target


def serve(port: int, host: str, folder: Path) -> int:
    """Marp's server on ``folder``, and the watcher, until a signal or Marp
    exits: 1 if Marp did."""
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
    from watchfiles import Change, watch  # uvicorn[standard]'s, in uv.lock

    def saved(change: Change, path: str) -> bool:  # a picture's source
        name = Path(path).relative_to(ROOT).as_posix()
        return change != Change.deleted and any(fnmatch(name, s)
                                                for s in SOURCES)

    try:  # each 0.5 s without a change, whether Marp is still there
        for changes in watch(*(ROOT / name for name in WATCHED), step=20,
                             watch_filter=saved, stop_event=stop,
                             rust_timeout=500, yield_on_timeout=True,
                             raise_interrupt=False):
            if marp.popen.poll() is not None:
                break
            if not changes:
                continue
            names = sorted(Path(path).relative_to(ROOT).as_posix()
                           for _, path in changes)
            print(f"changed: {', '.join(names)}", flush=True)
            if subprocess.run(draw, cwd=ROOT, check=False).returncode == 0:  # noqa: S603
                os.utime(ROOT / SLIDES)  # Marp reloads the open deck
    finally:
        code = marp.popen.poll()
        marp.stop(signal.SIGTERM, 5)  # the preload exits on SIGTERM
    if code is not None:
        print(f"marp exited with code {code}", file=sys.stderr)
    return 0 if code is None else 1


BUILDS: dict[str, Callable[[Path, Path], Path]] = {
    "html": build_html, "pdf": build_pdf, "notes": build_notes,
    "pptx": lambda root, out: build_pdf(root, out, "pptx")}

if __name__ == "__main__":
    parser = command(
        "scripts.deck.build", __doc__ or "", "1 a tool failed, 2 bad input",
        port={"type": int, "default": int(os.environ.get("PORT") or 8080),
              "help": "serve's (default: %(default)s)"},
        host={"default": os.environ.get("HOST") or "127.0.0.1",
              "help": "serve's (default: %(default)s)"})
    parser.add_argument("what", choices=[*BUILDS, "serve"])
    args = parser.parse_args()
    try:  # into dist/, or served from a folder of links
        if args.what == "serve":
            with tempfile.TemporaryDirectory(prefix="deck-") as served:
                sys.exit(serve(args.port, args.host, Path(served)))
        BUILDS[args.what](ROOT, ROOT / OUT)
    except (InputError, OSError, subprocess.SubprocessError) as e:
        print(e, file=sys.stderr)  # OSError: no node_modules/.bin/marp?
        sys.exit(2 if isinstance(e, InputError) else 1)
