"""Build the deck with Marp CLI: slides.md to an HTML folder holding every
file it uses (it presents with no network, no node_modules), to a PDF with
an outline of the talk's sections or a PPTX drawn by the system Chromium;
or its speaker notes, slide by slide under their number and title, to a
text file. Each file is written whole or not at all."""

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from scripts.common import InputError, shown, write_atomic
from scripts.deck.sections import divide
from scripts.deck.slides import Deck, read_deck
from scripts.pictures import generator

SLIDES, CONFIG, OUT = Path("slides.md"), Path(".marprc.yml"), Path("dist")
MARP = Path("node_modules/.bin/marp")
BROWSERS = ("chromium", "chromium-browser", "google-chrome",
            "google-chrome-stable")
MARP_TIMEOUT = 300  # seconds
# Local references in the page: <img src>, <a href>, <link href>, CSS url().
REFERENCE = re.compile(
    r"""(?P<attr>\b(?:src|href)=")(?P<url>[^"]+)"|"""
    r"""(?P<css>url\(\s*['"]?)(?P<cssurl>[^'")]+)""",
)
FONT = re.compile(
    r"node_modules/@fontsource/(?P<package>[^/]+)/files/(?P<file>[^/]+)"
)
EMOJI = re.compile(r"node_modules/@twemoji/svg/(?P<file>[0-9a-f-]+\.svg)")
TWEMOJI_NOTICE = """\
The emoji pictures in this folder are Twemoji, copyright Twitter, Inc and
other contributors (github.com/jdecked/twemoji), licensed under CC-BY 4.0.
They come from the npm package @twemoji/svg (MIT licence).
"""


NO_NOTES = "(no notes)"


class BuildError(Exception):
    """A tool the build runs failed, or is missing."""


def find_browser() -> Path | None:
    """The Chromium the PDF is printed with: $CHROME_PATH, else on PATH."""
    if configured := os.environ.get("CHROME_PATH"):
        path = Path(configured)
        return path if path.is_file() and os.access(path, os.X_OK) else None
    found = next(filter(None, map(shutil.which, BROWSERS)), None)
    return Path(found) if found else None


def marp(root: Path, name: str, *args: str, **env: str) -> bytes:
    """Run Marp CLI on the deck with the project's config; the file made."""
    binary = root / MARP
    if not binary.exists():
        why = "is missing: run `make node_modules/.installed` (npm ci)"
        raise BuildError(f"{shown(binary, root)} {why}")
    config = ["--no-stdin", "--config-file", str(root / CONFIG)]
    with tempfile.TemporaryDirectory(prefix="deck-") as temporary:
        made = Path(temporary) / name
        result = subprocess.run(  # noqa: S603  # our own command line
            [str(binary), *config, str(root / SLIDES), *args, "-o", str(made)],
            cwd=root,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=MARP_TIMEOUT,
            check=False,
        )
        if code := result.returncode:
            output = (result.stderr + result.stdout).strip()
            raise BuildError(f"marp failed ({code}):\n{output}")
        return made.read_bytes()


def local(url: str) -> bool:
    """Whether ``url`` is a relative path to a file of ours."""
    return not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^#|^//|^/", url)


def cite(root: Path, text: str) -> tuple[Path, int]:
    """Where ``text`` first appears: a line of slides.md, or of the theme."""
    for path in (root / SLIDES, *sorted((root / "themes").glob("*.css"))):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for number, line in enumerate(lines, start=1):
            if text in line:
                return Path(shown(path, root)), number
    return SLIDES, 1


def place(
    root: Path, url: str, out: Path, files: dict[Path, bytes | Path]
) -> str:
    """Where ``url`` goes in ``out``: its file (and notices) in ``files``."""
    path = url.split("#")[0].split("?")[0]
    if not local(path):
        return url
    source = (root / path).resolve()
    if not source.is_relative_to(root):
        raise InputError(*cite(root, path), f"{url} is outside the repository")
    if not source.is_file():
        raise InputError(*cite(root, path), f"{url} does not exist")
    target = Path(path)
    if font := FONT.fullmatch(path):
        target = Path("fonts") / font.group("file")
        package = font.group("package")
        licence = root / "node_modules/@fontsource" / package / "LICENSE"
        files[out / "fonts" / f"LICENSE-{package}.txt"] = licence
    elif emoji := EMOJI.fullmatch(path):
        target = Path("emoji") / emoji.group("file")
        files[out / "emoji" / "NOTICE.txt"] = TWEMOJI_NOTICE.encode()
    elif path.startswith("node_modules/"):
        why = "only fonts of @fontsource and emoji of @twemoji/svg may come"
        raise InputError(*cite(root, path), f"{url}: {why} from node_modules")
    files[out / target] = source
    return target.as_posix() + url[len(path) :]


def build_html(root: Path, out: Path) -> Path:
    """slides.md to ``out``/slides.html, with its pictures and fonts."""
    started = time.monotonic()
    out.mkdir(parents=True, exist_ok=True)
    files: dict[Path, bytes | Path] = {}  # the bytes, or the file to copy

    def replace(match: re.Match[str]) -> str:
        if match["attr"]:
            return f'{match["attr"]}{place(root, match["url"], out, files)}"'
        return match["css"] + place(root, match["cssurl"], out, files)

    page = marp(root, "slides.html", "--html").decode()
    html, target = REFERENCE.sub(replace, page), out / "slides.html"
    for destination, content in sorted(files.items()):
        data = content if isinstance(content, bytes) else content.read_bytes()
        destination.parent.mkdir(parents=True, exist_ok=True)
        if not destination.is_file() or destination.read_bytes() != data:
            write_atomic(destination, data)
            print(f"copied {shown(destination, root)}")
    write_atomic(target, html.encode())
    keep = {d.resolve() for d in files}
    for base in (out / f for f in ("assets", "fonts", "emoji")):
        for path in sorted(base.rglob("*")):  # files no slide uses now
            if path.is_file() and path.resolve() not in keep:
                path.unlink()
                print(f"removed {shown(path, root)} (no slide uses it)")
        for directory in sorted(base.rglob("*"), reverse=True):
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
    seconds = time.monotonic() - started
    size = target.stat().st_size / 1024
    total = size + sum(d.stat().st_size for d in files) / 1024
    said = f"{size:.0f} KB; {len(files)} files beside it, {total:.0f} KB"
    print(f"wrote {shown(target, root)} ({said} in all) in {seconds:.1f} s")
    return target


def outline(pdf: bytes, deck: Deck) -> bytes:
    """``pdf`` with an outline (bookmarks): an entry per section of the
    talk, and beneath each its slides, as "N. Title"."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    if len(writer.pages) != len(deck.slides):
        pages = f"{len(writer.pages)} pages for {len(deck.slides)} slides"
        raise BuildError(f"the PDF Marp printed has {pages}")
    for part in divide(deck):
        parent = writer.add_outline_item(
            title=part.section.name, page_number=part.first.number - 1
        )
        for slide in part.slides:
            writer.add_outline_item(
                title=f"{slide.number}. {slide.title or '(untitled)'}",
                page_number=slide.number - 1, parent=parent,
            )
    writer.page_mode = "/UseOutlines"  # a viewer opens the outline
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def build_pdf(root: Path, out: Path, what: str = "pdf") -> Path:
    """slides.md to ``out``/slides.pdf, with an outline (bookmarks) of its
    sections and slides, or (``what``="pptx") to slides.pptx: by the
    system Chromium."""
    started = time.monotonic()
    deck = read_deck(root / SLIDES)
    if what == "pdf":
        divide(deck)  # bad sections: said before Chromium prints
    browser = find_browser()
    if browser is None:
        where = os.environ.get("CHROME_PATH") or f"PATH ({', '.join(BROWSERS)})"
        fix = "install Debian's chromium, or set CHROME_PATH to a Chrome or "
        fix += "Chromium executable"
        raise BuildError(f"no Chromium found in {where}: {fix}")
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"slides.{what}"
    env = {"CHROME_PATH": str(browser), "CHROME_DISABLE_GPU": "1"}
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env["CHROME_NO_SANDBOX"] = "1"  # Chromium refuses root otherwise
    chrome = ["--browser", "chrome", "--browser-path", str(browser)]
    args = (f"--{what}", "--allow-local-files", *chrome)
    made = marp(root, target.name, *args, **env)
    write_atomic(target, outline(made, deck) if what == "pdf" else made)
    seconds = time.monotonic() - started
    size = f"{target.stat().st_size / 1024:.0f} KB, with {browser}"
    print(f"wrote {shown(target, root)} ({size}) in {seconds:.1f} s")
    return target


def handout(deck: Deck) -> str:
    """The speaker notes, each slide's under its number and title."""
    pages = []
    for slide in deck.slides:
        notes = "\n\n".join(note for note in slide.notes if note)
        heading = f"Slide {slide.number}: {slide.title or '(untitled)'}"
        pages.append(f"{heading}\n\n{notes or NO_NOTES}\n")
    return "\n---\n\n".join(pages)


def build_notes(root: Path, out: Path) -> Path:
    """The speaker notes of slides.md to ``out``/slides.txt."""
    out.mkdir(parents=True, exist_ok=True)
    target = out / "slides.txt"
    write_atomic(target, handout(read_deck(root / SLIDES)).encode())
    print(f"wrote {shown(target, root)} ({target.stat().st_size} bytes)")
    return target


BUILDS: dict[str, Callable[[Path, Path], Path]] = {
    "html": build_html, "pdf": build_pdf, "notes": build_notes,
    "pptx": partial(build_pdf, what="pptx"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = generator.parser(__name__, out=f"default: ROOT/{OUT}")
    parser.epilog = "Exit codes: 0 built, 1 the build failed, 2 bad input."
    parser.add_argument("what", choices=BUILDS, help="what to build")
    args = parser.parse_args(argv)
    build = BUILDS[args.what]
    try:
        build(args.root.resolve(), (args.out or args.root / OUT).resolve())
    except (InputError, BuildError, subprocess.TimeoutExpired) as error:
        print(error, file=sys.stderr)
        return 2 if isinstance(error, InputError) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
