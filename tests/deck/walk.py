"""The browser's eye on a built deck: ``measure_deck()`` opens it in
Chromium with every non-file request blocked, walks its slides one by one,
saves a PNG of each, and returns what it saw: requests, images, fonts,
console errors, and for each piece of text its colour, the colours behind
it, its size and its box.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route

from scripts.common import write_atomic
from scripts.style import Rgba, over, parse

SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 720

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
      card: parent.closest('.card, .wordmark') !== null,
      boxes: rects.map(place),
      ...chain(parent),
    });
  }
  const after = getComputedStyle(section, '::after');
  if (after.content && after.content !== 'none' && after.display !== 'none') {
    texts.push({
      text: '(pagination)', colour: after.color,
      size: parseFloat(after.fontSize), family: after.fontFamily,
      code: false, card: false, boxes: [], ...chain(section),
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
    card: bool  # in a card or a wordmark: slide text, not a picture
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

    def record(self, number: int, result: dict[str, Any]) -> None:
        """What MEASURE_SLIDE returned for slide ``number``."""
        if not result["active"]:
            self.inactive.append(number)
        for text in result["texts"]:
            background, problems = composite(text["layers"])
            self.unmeasurable += [
                f"slide {number}: {text['text']!r}: {p}" for p in problems
            ]
            colour = parse(text["colour"])
            self.texts.append(Text(
                slide=number, text=text["text"],
                colour=(*colour[:3], colour[3] * text["opacity"]),
                background=background, size=text["size"], code=text["code"],
                card=text["card"], boxes=tuple(tuple(b) for b in text["boxes"]),
            ))
        self.images += [{**image, "slide": number}
                        for image in result["images"]]
        self.boxes += [(number, element["tag"], tuple(element["box"]))
                       for element in result["boxes"]]
        self.scrolls.append((number, result["scroll"]))


def composite(layers: list[dict[str, str]]) -> tuple[Rgba, list[str]]:
    """The opaque colour behind a text, from the slide down to its parent."""
    colour: Rgba = (0.0, 0.0, 0.0, 1.0)  # what shows behind the slide
    problems = []
    for layer in layers:
        if layer["image"] not in ("none", ""):
            problems.append(f"<{layer['tag']}> has a background image")
        colour = over(parse(layer["colour"]), colour)
    return colour, problems


def measure_deck(browser: Browser, html: Path, pngs: Path) -> Measured:
    """Show every slide of ``html`` in Chromium, offline; see everything,
    and save each slide as pngs/NN.png."""
    seen = Measured()
    page = open_offline(browser, html, seen)
    try:
        # PNGs through CDP, which can trade compression for speed.
        cdp = page.context.new_cdp_session(page)
        seen.slides = page.evaluate(
            "document.querySelectorAll('svg[data-marpit-svg]').length")
        for index in range(seen.slides):
            seen.record(index + 1, page.evaluate(MEASURE_SLIDE, index))
            png = pngs / f"{index + 1:02d}.png"
            shot = cdp.send("Page.captureScreenshot",
                            {"format": "png", "optimizeForSpeed": True})
            write_atomic(png, base64.b64decode(shot["data"]))
            seen.pngs.append(png)
        seen.fonts = page.evaluate(FONTS)
    finally:
        page.context.close()
    return seen


def open_offline(
    browser: Browser, html: Path, seen: Measured, query: str = ""
) -> Page:
    """A page showing ``html`` (with ``query``: "?view=presenter") where
    every request but a file's is blocked (and counted), as are files
    outside its folder; console errors noted."""
    folder = html.parent.resolve()

    def block(route: Route) -> None:
        seen.blocked.append(route.request.url)
        route.abort()

    def watch(request: Request) -> None:
        if request.url.startswith("file://"):
            path = Path(unquote(urlsplit(request.url).path))
            if not path.resolve().is_relative_to(folder):
                seen.escaped.append(request.url)

    def console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            seen.console.append(f"{message.type}: {message.text}")

    context = browser.new_context(
        viewport={"width": SLIDE_WIDTH, "height": SLIDE_HEIGHT}, offline=True
    )
    context.route(re.compile(r"^(?!file:)"), block)
    page = context.new_page()
    page.on("request", watch)
    page.on("console", console)
    page.on("pageerror", lambda error: seen.console.append(f"error: {error}"))
    page.goto(html.resolve().as_uri() + query, wait_until="load")
    # The on-screen controls show over the slide until the mouse rests:
    # hide them from the pictures; they are not the slide's.
    page.add_style_tag(content=".bespoke-marp-osc{display:none!important}")
    return page
