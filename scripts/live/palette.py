"""The runner's colours, for a dark screen or a light projector: every style
at least 7:1 against its background (WCAG AAA), none dim; in "dark" each
style has a colour of its own, so a dark recording maps back to its styles."""

from rich.theme import Theme

from scripts.pictures.theme import WINDOW

BACKGROUND = {"dark": WINDOW, "light": "#ffffff"}
_COLOURS = {  # style name: dark, light, and the weight of both
    "text": ("#cdd6f4", "#1e1e2e", ""),
    "stamp": ("#a6adc8", "#4c4f69", ""),
    "detail": ("#bac2de", "#3c3f58", ""),
    "runner": ("#b8bccc", "#505368", ""),
    "client": ("#89dceb", "#0b5d75", "bold "),
    "server": ("#f5c2e7", "#8a1a6b", "bold "),
    "app": ("#f9e2af", "#6b4e00", "bold "),
    "info": ("#94e2d5", "#1d5e3a", ""),
    "warning": ("#fab387", "#8a3b00", "bold "),
    "bad": ("#f6a6bc", "#a1000f", "bold "),
    "ok": ("#a6e3a1", "#1a5e1a", "bold "),
    "command": ("#98befb", "#1e3a8a", "bold "),
    "title": ("#d0aef8", "#5b21b6", "bold "),
}
PALETTES = {
    name: {style: weight + pair[index] for style, (*pair, weight) in
           _COLOURS.items()}
    for index, name in enumerate(BACKGROUND)
}
# Rich's own styles the runner's output uses, in the palette's colours.
_RICH = {"rule.line": "detail", "table.header": "title", "status.spinner": "ok"}


def theme(palette: str) -> Theme:
    """The Rich theme of ``palette`` ("dark" or "light")."""
    styles = PALETTES[palette]
    extra = {name: styles[style] for name, style in _RICH.items()}
    return Theme({**styles, **extra})
