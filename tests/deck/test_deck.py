"""The deck's Markdown, checked without a browser.

Every picture it shows exists, is generated, and is shown at the width its
generator drew it for; nothing it loads comes from the network; the seed's
slides, titles and notes are all there, its TODOs resolved; the commands
and the facts it states are the ones the repository runs and measures.
"""

import fnmatch
import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from fastapi import FastAPI
from starlette.applications import Starlette

from demos.__main__ import main as demos_main
from demos.catalog import BY_NAME
from scripts.deck import build as deck_build
from scripts.pictures import pictures
from scripts.pictures.manifest import load_manifest
from tests.deck.slides import ROOT, SEED, SLIDES, THEME, Deck, read_deck

ASSETS = ROOT / "assets"
MANIFEST = ROOT / "scripts" / "pictures" / "code_images.toml"
# Generated pictures that no slide shows, on purpose, as glob patterns.
UNUSED: tuple[str, ...] = ()
REMOTE = re.compile(r"\b(?:https?:)?//[^\s\"')]+", re.IGNORECASE)


def shown_pictures() -> dict[str, list[tuple[int | None, str]]]:
    """Each picture slides.md shows: its widths, and where."""
    found: dict[str, list[tuple[int | None, str]]] = {}
    for slide in read_deck().slides:
        for picture in slide.pictures:
            found.setdefault(picture.url, []).append(
                (picture.width, f"slides.md:{picture.line}")
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
            "it in UNUSED in tests/deck/test_deck.py"
        )


def test_code_images_are_shown_at_their_manifest_width() -> None:
    shown = shown_pictures()
    manifest = load_manifest(MANIFEST, ROOT)
    for spec in manifest.images:
        uses = shown.get(spec.output, [])
        for width, where in uses:
            assert width == spec.width, (
                f"{where}: ![w:{width}]({spec.output}), but "
                f"scripts/pictures/code_images.toml draws it for width "
                f"{spec.width}"
            )


def test_pictures_are_shown_at_the_width_they_are_drawn_for() -> None:
    shown = shown_pictures()
    data = pictures.load(ROOT / pictures.DATA, ROOT)
    for entry in data.diagram:
        uses = shown.get(entry.output)
        assert uses, f"no slide shows {entry.output}"
        for width, where in uses:
            assert width == entry.width, (
                f"{where}: ![w:{width}]({entry.output}), but "
                f"scripts/pictures/pictures.toml draws it {entry.width} px wide"
            )


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
        assert deck_build.FONT.fullmatch(url), (
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
    emoji = [src for src in sources if deck_build.EMOJI.fullmatch(src)]
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


def seed_deck() -> None:
    if not SEED.is_file():
        pytest.skip(f"the seed deck is not at {SEED}")


def seed_title(title: str) -> str:
    """A seed slide's title as ours says it: the seed's mangled 🚀 mended,
    and its 2024 promo code gone (event text lives in the front matter)."""
    return title.replace("ðŸš€", "🚀").replace(" (PYCONPT2024)", "")


def test_every_seed_slide_is_here_in_order(deck: Deck) -> None:
    seed_deck()
    ours = [slide.title for slide in deck.slides]
    position = 0
    for slide in read_deck(SEED).slides:
        title = seed_title(slide.title or "")
        if not title:
            continue  # the seed's untitled slide now has its section's title
        assert title in ours[position:], (
            f"seed slide {slide.number} {title!r} is missing, or out of order"
        )
        position = ours.index(title, position) + 1


def test_notes_have_no_placeholders(deck: Deck) -> None:
    text = SLIDES.read_text(encoding="utf-8")
    for marker in ("TODO", "TBD", "Talk about", "???", "fuck", "ð", "Ÿ"):
        assert marker not in text, f"slides.md still says {marker!r}"
    for slide in deck.slides:
        if slide.title in ("Conclusion", "Why FastAPI follows ASGI?"):
            assert slide.notes, f"{slide.where()} has no speaker notes"
    (logfire,) = [s for s in deck.slides if s.title and "Logfire" in s.title]
    assert logfire.title, logfire.where()
    assert logfire.title.endswith("🚀"), logfire.where()


# An event's name, or a promo code such as PYCONPT2024.
EVENT = re.compile(r"\b(?:PyCon|EuroPython|DjangoCon|PyData|[A-Z]{4,}20\d\d)")


def test_event_text_lives_in_the_front_matter_only(deck: Deck) -> None:
    """Giving the talk elsewhere means changing one line: the front
    matter's footer (the README says so), never a slide."""
    for slide in deck.slides:
        found = EVENT.search(slide.markdown)
        assert found is None, (
            f"{slide.where()} says {found and found[0]!r}: event text belongs "
            "in the footer: line of slides.md's front matter"
        )
    assert "footer" in deck.front_matter


def test_the_http_exception_release_is_right(deck: Deck) -> None:
    (slide,) = [
        s
        for s in deck.slides
        if any(
            p.url == "assets/asgi_innovations/ws_http_exception.svg"
            for p in s.pictures
        )
    ]
    notes = "\n".join(slide.notes)
    assert "Starlette 0.41.0" in notes, slide.where()
    assert "0.42" not in notes, slide.where()


# Modules shown on a slide that are not demos themselves, and the demo
# that runs them: `python -m demos raise_oserror --http oserror`.
SERVED_BY = {
    "trailers_response": "fastapi_trailers",
    "oserror_protocols": "raise_oserror",
}


def test_every_code_slide_has_a_runnable_demo() -> None:
    """Each code image shows a demo that `python -m demos NAME` runs."""
    manifest = load_manifest(MANIFEST, ROOT)
    for spec in manifest.images:
        name = Path(spec.source).stem
        name = SERVED_BY.get(name, name)
        assert name in BY_NAME, f"{spec.output}: no demo {name!r}"


def test_the_live_slide_runs_every_demo(
    deck: Deck,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every `make demo NAME=...` a slide or a note shows names a demo
    (tests/deck/test_commands.py runs them), and the appendix's "Run the
    demos live" lists every demo."""
    names = re.findall(r"\bmake (?:demo|replay) NAME=(\w+)",
                       SLIDES.read_text("utf-8"))
    assert names, "no slide or note says make demo NAME=..."
    assert set(names) <= set(BY_NAME), sorted(set(names) - set(BY_NAME))
    (live,) = deck.titled("Run the demos live")
    listed = set(re.findall(r"`([a-z_0-9]+)`", live.markdown))
    assert set(BY_NAME) <= listed, (
        f"{live.where()} misses {sorted(set(BY_NAME) - listed)}"
    )
    assert demos_main(["--list"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in BY_NAME)


def test_fastapi_is_a_starlette() -> None:
    """Slides 'OSS Maintainer' and 'Why FastAPI follows ASGI?' say so."""
    assert issubclass(FastAPI, Starlette)
    assert "FastAPI is a subclass of Starlette" in SLIDES.read_text("utf-8")


def test_the_conclusion_names_what_the_tests_measure(deck: Deck) -> None:
    (slide,) = deck.titled("Conclusion")
    for words in (
        "every WebSocket backend",
        "hypercorn",
        "HTTP/2 only",
        "--http zttp --http2",
        "TE: trailers",
        "uvicorn on WebSockets",
        "reverted",
    ):
        assert words in slide.markdown, f"{slide.where()} lost {words!r}"


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


def test_the_front_matter_keeps_the_seeds_feel(deck: Deck) -> None:
    assert deck.front_matter["theme"] == "asgi"
    assert deck.front_matter["paginate"] == "true"
    assert deck.front_matter["footer"] == "@marcelotryle"
    assert "backgroundImage" not in deck.front_matter
    data = tomllib.loads(
        (ROOT / "scripts/pictures/pictures.toml").read_text("utf-8")
    )
    assert data["limits"]["min_contrast"] >= 7
    assert data["limits"]["min_font_px"] >= 20
