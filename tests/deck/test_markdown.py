"""slides.md, checked without a browser: the parser reads it as Marp
does; every picture it shows exists, is generated, and is shown at the
width it is drawn for (a backup sheet as large as its slide allows, at
20 px or more); nothing it loads comes from the network, not even in a
viewer with Marp's defaults; its fonts are installed and its npm packages
pinned; every code slide's demo runs, and the appendix lists every demo.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from demos.catalog import BY_NAME
from scripts.deck import build
from scripts.pictures.catalog import CODE
from scripts.pictures.transcripts import backups, live
from tests.deck.slides import ROOT, THEME, Deck, read_deck, svg_size

ASSETS = ROOT / "assets"
# Generated pictures that no slide shows, on purpose, as glob patterns.
UNUSED: tuple[str, ...] = ()
REMOTE = re.compile(r"\b(?:https?:)?//[^\s\"')]+", re.IGNORECASE)


MARP_RULES = """---
marp: true
footer: "@x"
---

<!-- _class: lead -->

# One <img class="emoji" alt="🚀" src="x.svg">

![bg w:300](assets/a.svg)

<!--
A note.
Live: make demo NAME=ws.
-->

---

## Two

```python
---
# not a heading
```

<!-- ![w:9](assets/hidden.svg) -->

***

Three
---
"""


def test_the_parser_splits_and_reads_slides_as_marp_does(
    tmp_path: Path,
) -> None:
    """A ruler outside code starts a slide (``***`` too); ``---`` in a code
    fence, or under a line of text (a heading), does not; a comment is
    directives or a note; a picture in a comment is not shown."""
    (path := tmp_path / "slides.md").write_text(MARP_RULES)
    deck = read_deck(path)
    assert deck.front_matter == {"marp": "true", "footer": "@x"}
    one, two, three = deck.slides
    assert [s.title for s in deck.slides] == ["One 🚀", "Two", "Three"]
    assert [s.line for s in deck.slides] == [5, 18, 29]
    assert one.directives == {"_class": "lead"}
    assert one.pictures == [("assets/a.svg", 300)]
    assert one.line_of("assets/a.svg") == 10
    assert one.notes == ["A note.\nLive: make demo NAME=ws."]
    assert one.line_of("Live:") == 14
    assert (two.pictures, two.notes) == ([], ["![w:9](assets/hidden.svg)"])
    assert "# not a heading" in two.markdown
    assert three.markdown.strip() == "Three\n---"


def shown_pictures() -> dict[str, list[tuple[int | None, str]]]:
    """Each picture slides.md shows: its widths, and where."""
    found: dict[str, list[tuple[int | None, str]]] = {}
    for slide in read_deck().slides:
        for picture in slide.pictures:
            found.setdefault(picture.url, []).append(
                (picture.width, f"slides.md:{slide.line_of(picture.url)}")
            )
    return found


def test_every_picture_exists() -> None:
    for url, uses in shown_pictures().items():
        assert not REMOTE.match(url), f"{uses[0][1]}: {url} is remote"
        assert (ROOT / url).is_file(), f"{uses[0][1]}: {url} does not exist"
        assert (ROOT / url).resolve().is_relative_to(ASSETS), (
            f"{uses[0][1]}: {url} is not a generated picture under assets/"
        )


def test_every_generated_picture_is_shown() -> None:
    shown = set(shown_pictures())
    for path in sorted(ASSETS.rglob("*.svg")):
        name = path.relative_to(ROOT).as_posix()
        unused = any(fnmatch.fnmatch(name, pattern) for pattern in UNUSED)
        assert name in shown or unused, (
            f"{name} is generated but no slide shows it: show it, or list "
            "it in UNUSED in tests/deck/test_markdown.py"
        )


def test_pictures_are_shown_at_the_width_they_are_drawn_for() -> None:
    """A picture's SVG says its width on the slide (code at one size on
    every slide): ``![w:N]`` shows it so. Backup sheets fill their box."""
    for url, uses in shown_pictures().items():
        if url.startswith("assets/transcripts/"):
            continue  # the next test's
        drawn = round(svg_size(ROOT / url).width)
        for width, where in uses:
            assert width == drawn, f"{where}: show {url} at ![w:{drawn}]"


def test_nothing_is_loaded_from_the_network(deck: Deck) -> None:
    for key in ("backgroundImage", "theme", "style"):
        value = deck.front_matter.get(key, "")
        assert not REMOTE.search(value), f"front matter {key}: {value}"
    for slide in deck.slides:
        for key, value in slide.directives.items():
            assert not REMOTE.search(value), f"{slide.where()}: {key}: {value}"
        for style in re.findall(
            r"<style[^>]*>(.*?)</style>", slide.markdown, re.S
        ):
            assert "@import" not in style, f"{slide.where()}: @import"
            assert not REMOTE.search(style), f"{slide.where()}: remote CSS"
        for tag in re.findall(
            r"<(?:img|link|script|iframe)\b[^>]*>", slide.markdown
        ):
            assert not REMOTE.search(tag), f"{slide.where()}: {tag}"
    theme = THEME.read_text(encoding="utf-8")
    assert "@import" not in theme, "the theme must not @import anything"
    for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", theme):
        assert not REMOTE.match(url), f"themes/asgi.css loads {url}"
        assert build.FONT.fullmatch(url), (
            f"themes/asgi.css loads {url}: only @fontsource fonts are bundled"
        )
    config = (ROOT / ".marprc.yml").read_text(encoding="utf-8")
    assert not REMOTE.search(config), ".marprc.yml names a remote URL"
    assert "math: false" in config, "KaTeX would load its fonts from a CDN"
    assert "base: node_modules/@twemoji/" in config, (
        "emoji would be Twemoji pictures from a CDN"
    )


# Marp's own renderer with the defaults the VS Code extension uses: HTML
# on, emoji as Twemoji pictures from a CDN (it has no setting for that).
DEFAULT_RENDER = (
    "const {Marp} = require('@marp-team/marp-core');"
    "const text = require('node:fs').readFileSync('slides.md', 'utf8');"
    "process.stdout.write(new Marp({html: true}).render(text).html);"
)


def test_no_viewer_draws_an_emoji_from_a_cdn(marp: Path) -> None:
    """slides.md has no character Marp turns into a Twemoji picture: its
    one emoji is the picture itself, a local file, set inline."""
    node = shutil.which("node")
    assert node, "node is not on PATH, though Marp CLI is installed"
    html = subprocess.run(
        [node, "-e", DEFAULT_RENDER], cwd=ROOT, capture_output=True,
        text=True, check=True, timeout=60,
    ).stdout
    assert "data-marp-twemoji" not in html, (
        "slides.md has an emoji character: Marp draws it from a CDN"
    )
    sources = re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', html)
    emoji = [src for src in sources if build.EMOJI.fullmatch(src)]
    assert emoji, "the Logfire slide's rocket is gone"
    for src in sources:
        assert not REMOTE.match(src), f"slides.md shows {src}"
        assert (ROOT / src).is_file(), f"slides.md shows {src}: missing"


def test_theme_fonts_are_installed() -> None:
    if not (ROOT / "node_modules").is_dir():
        pytest.skip(
            "node_modules is missing: run `make node_modules/.installed`"
        )
    theme = THEME.read_text(encoding="utf-8")
    for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", theme):
        assert (ROOT / url).is_file(), f"themes/asgi.css: {url} is missing"


# Modules shown on a slide that are not demos themselves, and the demo
# that runs them: `make demo NAME=raise_oserror HTTP=oserror`.
SERVED_BY = {
    "trailers_response": "fastapi_trailers",
    "oserror_protocols": "raise_oserror",
}


def test_every_code_slide_has_a_runnable_demo() -> None:
    """Each code image shows a demo that `make demo NAME=...` runs."""
    for code in CODE:
        name = Path(code.source).stem
        name = SERVED_BY.get(name, name)
        assert name in BY_NAME, f"{code.output}: no demo {name!r}"


def test_the_appendix_lists_every_demo(deck: Deck) -> None:
    """The appendix's "Run the demos live" names every demo (the commands
    the slides show: tests/deck/test_commands.py)."""
    (live,) = deck.titled("Run the demos live")
    listed = set(re.findall(r"`([a-z_0-9]+)`", live.markdown))
    assert set(BY_NAME) <= listed, (
        f"{live.where()} misses {sorted(set(BY_NAME) - listed)}"
    )


def test_npm_packages_are_pinned_to_the_registry() -> None:
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    dependencies = {
        **package.get("dependencies", {}),
        **package.get("devDependencies", {}),
    }
    assert dependencies["@marp-team/marp-cli"], "Marp CLI is not a dependency"
    for name, version in dependencies.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), (
            f"package.json: {name} {version!r} is not an exact version"
        )
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    for where, entry in lock["packages"].items():
        resolved = entry.get("resolved")
        if resolved is not None:
            assert resolved.startswith("https://registry.npmjs.org/"), (
                f"package-lock.json: {where} comes from {resolved}"
            )
        if where.startswith("node_modules/"):
            assert entry.get("integrity"), f"{where} has no integrity hash"


# themes/asgi.css, section.backup: the content box under the small title.
BACKUP_BOX = (1240, 660)  # px
MIN_TEXT_PX = 20
SIZE = re.compile(r"!\[w:(\d+) h:(\d+)\]\((assets/transcripts/[^)]+)\)")


def test_each_sheet_fills_its_backup_slide_at_20_px(deck: Deck) -> None:
    """A backup slide (small title, no footer) shows its sheet as large as
    the box allows, at the picture's own ratio, its text at 20 px or more."""
    appendix = deck.slides[len(deck.main_talk()):]
    shown = [(s, m) for s in appendix for m in SIZE.finditer(s.markdown)]
    sheets = [o for r in live(ROOT) for o, _ in backups(ROOT, r)]
    assert [m[3] for _, m in shown] == sheets, [s.where() for s, _ in shown]
    for slide, match in shown:
        assert slide.directives.get("_class") == "backup", slide.where()
        size = svg_size(ROOT / match[3])
        scale = min(BACKUP_BOX[0] / size.view[0], BACKUP_BOX[1] / size.view[1])
        best = (round(size.view[0] * scale), round(size.view[1] * scale))
        assert (int(match[1]), int(match[2])) == best, (
            f"{slide.where()}: show it at ![w:{best[0]} h:{best[1]}]"
        )
        assert size.font * scale >= MIN_TEXT_PX, slide.where()


def test_vs_code_previews_with_the_theme_and_html() -> None:
    """The Marp extension, recommended, with the deck's theme and its HTML
    (it has no setting for local emoji: its preview takes them from a CDN)."""
    folder = ROOT / ".vscode"
    settings = json.loads((folder / "settings.json").read_text())
    extensions = json.loads((folder / "extensions.json").read_text())
    assert "marp-team.marp-vscode" in extensions["recommendations"]
    assert settings["markdown.marp.html"] == "all"
    themes = settings["markdown.marp.themes"]
    assert themes, "no theme for the Marp extension"
    for theme in themes:
        assert (ROOT / theme).is_file(), theme
    names = {
        re.search(r"@theme\s+(\S+)", (ROOT / theme).read_text())[1]  # type: ignore[index]
        for theme in themes
    }
    assert read_deck().front_matter["theme"] in names
