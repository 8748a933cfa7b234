"""What the deck's tests share: slides.md parsed, and the browser's eye.

``read_deck()`` splits slides.md into slides the way Marp does (front
matter, ``---`` rulers outside code fences, HTML comments as directives or
speaker notes). Every test computes what it expects from it, so slides can
be added or moved without touching the tests.

``measure_deck()`` opens a built deck in Chromium with every non-file
request blocked, walks its slides one by one, saves a PNG of each, and
returns what it saw: requests, images, fonts, console errors, and for each
piece of text its colour, the colours behind it, its size and its box.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from scripts.assets.colour import Rgba, over, parse
from scripts.deck import build as deck_build
from scripts.files import write_atomic

ROOT = Path(__file__).resolve().parents[2]
SLIDES = ROOT / "slides.md"
THEME = ROOT / "themes" / "asgi.css"
SEED = ROOT.parent / "shared" / "seed" / "000_ab53862537946b54.txt"
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<url>[^)\s]+)\)")
COMMENT = re.compile(r"<!--(?P<body>.*?)-->", re.DOTALL)
DIRECTIVE = re.compile(
    r"^\s*_?(class|paginate|header|footer|backgroundColor|backgroundImage|"
    r"backgroundPosition|backgroundRepeat|backgroundSize|color|theme|size|"
    r"style|headingDivider|marp|math|title|author|description|lang|url|"
    r"image|transition)\s*:"
)
HEADING = re.compile(r"^(#{1,6})\s+(?P<text>.+?)\s*$")


@dataclass(frozen=True)
class Picture:
    """An image a slide shows: ``![alt](url)``."""

    url: str
    width: int | None
    background: bool
    line: int


@dataclass(frozen=True)
class Slide:
    """One slide of slides.md."""

    number: int  # 1-based, as Marp counts
    line: int  # where its Markdown starts in the file
    markdown: str
    title: str | None  # its first heading
    pictures: tuple[Picture, ...]
    notes: tuple[str, ...]  # HTML comments that are not directives
    directives: dict[str, str]

    def where(self) -> str:
        title = self.title or "(untitled)"
        return f"slides.md:{self.line}: slide {self.number} {title!r}"


@dataclass(frozen=True)
class Deck:
    front_matter: dict[str, str]
    slides: tuple[Slide, ...]

    def titled(self, title: str) -> list[Slide]:
        return [slide for slide in self.slides if slide.title == title]


def split(text: str) -> tuple[dict[str, str], list[tuple[int, str]]]:
    """Front matter, and each slide's Markdown with its first line number."""
    lines = text.splitlines()
    front: dict[str, str] = {}
    start = 0
    if lines and lines[0].strip() == "---":
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
        for line in lines[1:end]:
            key, _, value = line.partition(":")
            if key.strip() and not key.startswith((" ", "\t")):
                front[key.strip()] = value.strip().strip("\"'")
        start = end + 1
    chunks: list[tuple[int, str]] = []
    current: list[str] = []
    first = start + 1
    fence = False
    for index in range(start, len(lines)):
        line = lines[index]
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        if line.strip() == "---" and not fence:
            chunks.append((first, "\n".join(current)))
            current, first = [], index + 2
        else:
            current.append(line)
    chunks.append((first, "\n".join(current)))
    return front, chunks


def read_deck(path: Path = SLIDES) -> Deck:
    """slides.md (or a seed written the same way), slide by slide."""
    front, chunks = split(path.read_text(encoding="utf-8"))
    slides = []
    for number, (first, markdown) in enumerate(chunks, start=1):
        notes, directives = [], {}
        for comment in COMMENT.finditer(markdown):
            body = comment.group("body").strip()
            lines = [line for line in body.splitlines() if line.strip()]
            if lines and all(DIRECTIVE.match(line) for line in lines):
                for line in lines:
                    key, _, value = line.partition(":")
                    directives[key.strip()] = value.strip()
            else:
                notes.append(body)
        visible = COMMENT.sub("", markdown)
        title = None
        fence = False
        for line in visible.splitlines():
            if line.lstrip().startswith("```"):
                fence = not fence
            heading = HEADING.match(line)
            if heading and not fence:
                title = heading.group("text")
                break
        pictures = []
        for match in IMAGE.finditer(markdown):
            if any(
                c.start() <= match.start() < c.end()
                for c in COMMENT.finditer(markdown)
            ):
                continue  # an image inside a comment is not shown
            alt = match.group("alt")
            width = re.search(r"\b(?:w|width):(\d+)", alt)
            line = first + markdown[: match.start()].count("\n")
            pictures.append(
                Picture(
                    url=match.group("url"),
                    width=int(width.group(1)) if width else None,
                    background=bool(re.search(r"(^|\s)bg(\s|$|:)", alt)),
                    line=line,
                )
            )
        slides.append(
            Slide(
                number=number,
                line=first,
                markdown=markdown,
                title=title,
                pictures=tuple(pictures),
                notes=tuple(notes),
                directives=directives,
            )
        )
    return Deck(front, tuple(slides))


# -- The browser ---------------------------------------------------------------


def need_node_modules() -> None:
    """Skip (or, under CI, fail) when Marp CLI is not installed."""
    if (ROOT / deck_build.MARP).exists():
        return
    reason = "node_modules is missing: run `make node_modules/.installed`"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (make test does it under CI)")
    pytest.skip(reason)


def need_chromium() -> Path:
    """The system Chromium; missing, it skips locally and fails under CI."""
    found = deck_build.find_browser()
    if found is not None:
        return found
    reason = (
        "no Chromium found ($CHROME_PATH, or chromium on PATH): "
        "the browser tests of the deck need Debian's chromium"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; .ci/run installs it")
    pytest.skip(reason)


MEASURE_SLIDE = r"""
async (index) => {
  const svg = document.querySelectorAll('svg[data-marpit-svg]')[index];
  location.hash = '#' + (index + 1);  // bespoke shows slide N at #N
  const active = () => svg.classList.contains('bespoke-marp-active');
  for (let i = 0; i < 300 && !active(); i++)
    await new Promise(resolve => requestAnimationFrame(resolve));
  await document.fonts.ready;
  const section = svg.querySelector('section');
  const box = svg.getBoundingClientRect();
  const scale = box.width / 1280;
  const place = (r) => [
    (r.left - box.left) / scale, (r.top - box.top) / scale,
    r.width / scale, r.height / scale,
  ];
  const chain = (element) => {
    const layers = [];
    let opacity = 1;
    for (let e = element; e; e = e.parentElement) {
      const style = getComputedStyle(e);
      opacity *= parseFloat(style.opacity);
      layers.push({
        colour: style.backgroundColor,
        image: style.backgroundImage,
        tag: e.tagName.toLowerCase(),
      });
      if (e === section) break;
    }
    return {layers: layers.reverse(), opacity};
  };
  const texts = [];
  const walker = document.createTreeWalker(section, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const parent = node.parentElement;
    const style = getComputedStyle(parent);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rects = Array.from(range.getClientRects()).filter(r => r.width > 0);
    if (!rects.length) continue;
    texts.push({
      text: node.textContent.trim().slice(0, 60),
      colour: style.color,
      size: parseFloat(style.fontSize),
      family: style.fontFamily,
      code: parent.closest('code, pre') !== null,
      boxes: rects.map(place),
      ...chain(parent),
    });
  }
  const after = getComputedStyle(section, '::after');
  if (after.content && after.content !== 'none' && after.display !== 'none') {
    texts.push({
      text: '(pagination)', colour: after.color,
      size: parseFloat(after.fontSize), family: after.fontFamily,
      code: false, boxes: [], ...chain(section),
    });
  }
  const images = Array.from(section.querySelectorAll('img')).map(img => ({
    src: img.getAttribute('src'),
    natural: img.naturalWidth,
    complete: img.complete,
    box: place(img.getBoundingClientRect()),
  }));
  const boxes = Array.from(section.querySelectorAll('*'))
    .map(e => ({tag: e.tagName.toLowerCase(), r: e.getBoundingClientRect()}))
    .filter(e => e.r.width && e.r.height)
    .map(e => ({tag: e.tag, box: place(e.r)}));
  return {
    scale,
    active: active(),
    section: place(section.getBoundingClientRect()),
    scroll: [section.scrollWidth, section.scrollHeight,
             section.clientWidth, section.clientHeight],
    texts, images, boxes,
  };
}
"""

FONTS = """
async () => {
  await document.fonts.ready;
  return Array.from(document.fonts).map(f => ({
    family: f.family.replace(/["']/g, ''), weight: f.weight,
    style: f.style, status: f.status,
  }));
}
"""


@dataclass(frozen=True)
class Text:
    """A piece of text as the browser drew it."""

    slide: int
    text: str
    colour: Rgba
    background: Rgba
    size: float
    code: bool
    boxes: tuple[tuple[float, float, float, float], ...]


@dataclass
class Measured:
    """Everything the browser saw while showing the deck."""

    slides: int = 0
    blocked: list[str] = field(default_factory=list)
    escaped: list[str] = field(default_factory=list)  # files outside the deck
    console: list[str] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    boxes: list[tuple[int, str, tuple[float, ...]]] = field(
        default_factory=list
    )
    unmeasurable: list[str] = field(default_factory=list)
    inactive: list[int] = field(default_factory=list)
    scrolls: list[tuple[int, list[float]]] = field(default_factory=list)
    fonts: list[dict[str, str]] = field(default_factory=list)
    pngs: list[Path] = field(default_factory=list)


def composite(layers: list[dict[str, str]]) -> tuple[Rgba, list[str]]:
    """The opaque colour behind a text, from the slide down to its parent."""
    colour: Rgba = (0.0, 0.0, 0.0, 1.0)  # what shows behind the slide
    problems = []
    for layer in layers:
        if layer["image"] not in ("none", ""):
            problems.append(f"<{layer['tag']}> has a background image")
        colour = over(parse(layer["colour"]), colour)
    return colour, problems


def measure_deck(html: Path, chromium: Path, pngs: Path) -> Measured:
    """Show every slide of ``html`` in Chromium, offline; see everything."""
    from playwright.sync_api import Request, Route, sync_playwright

    folder = html.parent.resolve()
    seen = Measured()
    pngs.mkdir(parents=True, exist_ok=True)

    def block(route: Route) -> None:
        seen.blocked.append(route.request.url)
        route.abort()

    def watch(request: Request) -> None:
        url = request.url
        if url.startswith("file://"):
            path = Path(unquote(urlsplit(url).path))
            if not path.resolve().is_relative_to(folder):
                seen.escaped.append(url)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium), args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(
                viewport={"width": SLIDE_WIDTH, "height": SLIDE_HEIGHT},
                offline=True,
            )
            # Every request but a file's is blocked, and counted.
            context.route(re.compile(r"^(?!file:)"), block)
            page = context.new_page()
            page.on("request", watch)
            page.on(
                "console",
                lambda m: (
                    seen.console.append(f"{m.type}: {m.text}")
                    if m.type in ("error", "warning")
                    else None
                ),
            )
            page.on("pageerror", lambda e: seen.console.append(f"error: {e}"))
            # PNGs through CDP, which can trade compression for speed.
            cdp = context.new_cdp_session(page)
            page.goto(html.resolve().as_uri(), wait_until="load")
            # The on-screen controls show over the slide until the mouse
            # rests: hide them from the pictures; they are not the slide's.
            page.add_style_tag(
                content=".bespoke-marp-osc{display:none!important}"
            )
            seen.slides = page.evaluate(
                "document.querySelectorAll('svg[data-marpit-svg]').length"
            )
            for index in range(seen.slides):
                number = index + 1
                result = page.evaluate(MEASURE_SLIDE, index)
                if not result["active"]:
                    seen.inactive.append(number)
                for text in result["texts"]:
                    background, problems = composite(text["layers"])
                    seen.unmeasurable += [
                        f"slide {number}: {text['text']!r}: {p}"
                        for p in problems
                    ]
                    colour = parse(text["colour"])
                    colour = (*colour[:3], colour[3] * text["opacity"])
                    seen.texts.append(
                        Text(
                            slide=number,
                            text=text["text"],
                            colour=colour,
                            background=background,
                            size=text["size"],
                            code=text["code"],
                            boxes=tuple(tuple(b) for b in text["boxes"]),
                        )
                    )
                for image in result["images"]:
                    seen.images.append({**image, "slide": number})
                for element in result["boxes"]:
                    seen.boxes.append(
                        (number, element["tag"], tuple(element["box"]))
                    )
                seen.scrolls.append((number, result["scroll"]))
                png = pngs / f"{number:02d}.png"
                shot = cdp.send(
                    "Page.captureScreenshot",
                    {"format": "png", "optimizeForSpeed": True},
                )
                write_atomic(png, base64.b64decode(shot["data"]))
                seen.pngs.append(png)
            seen.fonts = page.evaluate(FONTS)
        finally:
            browser.close()
    for stale in sorted(set(pngs.glob("*.png")) - set(seen.pngs)):
        stale.unlink(missing_ok=True)  # a slide that is no more
    return seen


def svg_geometry(path: Path) -> tuple[float, float, float]:
    """An SVG's viewBox width and height, and the size of its main text.

    For a code image that is the code's size (its ``text`` rule; the file
    path in its title bar is smaller, and is not code); for the other
    pictures, their smallest text.
    """
    text = path.read_text(encoding="utf-8")
    view = re.search(r'viewBox="0 0 ([\d.]+) ([\d.]+)"', text)
    assert view, f"{path} has no viewBox"
    code = re.search(r"(?:^|\n)text\{[^}]*font-size:([\d.]+)px", text)
    if code and "generated by scripts/assets/code_images.py" in text[:1024]:
        size = float(code.group(1))
    else:
        sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', text)]
        assert sizes, f"{path} declares no font size"
        size = min(sizes)
    return float(view.group(1)), float(view.group(2)), size


def region_lines(path: Path) -> Iterator[str]:
    """Every line of a file, stripped: what a code line may be."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            yield line.strip()
