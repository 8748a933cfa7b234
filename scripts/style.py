"""The deck's look: the slide's geometry, the code windows' colours, the
runner's palettes (a dark screen, a light projector), WCAG contrast."""

import re

from rich.theme import Theme

# The 1280x720 slide's content box under a title, its smallest text, code's.
CONTENT = (1160, 560)
MIN_TEXT_PX = 20
CODE_PX = 22

Rgba = tuple[float, float, float, float]  # 0-255 channels, alpha 0-1


def parse(colour: str) -> Rgba:
    """A CSS colour as ``#rrggbb``, ``rgb(r, g, b)`` or ``rgba(r, g, b, a)``
    (as a browser's computed style says it)."""
    text = colour.strip()
    if re.fullmatch(r"#[0-9a-fA-F]{6}", text):
        red, green, blue = map(float, bytes.fromhex(text[1:]))
        return (red, green, blue, 1.0)
    if match := re.fullmatch(r"rgba?\(([^)]*)\)", text):
        channels = [float(part) for part in match[1].split(",")]
        if len(channels) in (3, 4):
            red, green, blue, alpha = [*channels, 1.0][:4]
            return (red, green, blue, alpha)
    raise ValueError(f"not a colour this module reads: {colour!r}")


def over(top: Rgba, bottom: Rgba) -> Rgba:
    """``top`` painted over an opaque ``bottom`` (source-over)."""
    red, green, blue = (t * top[3] + b * (1 - top[3])
                        for t, b in zip(top[:3], bottom[:3], strict=True))
    return (red, green, blue, 1.0)


def luminance(colour: Rgba) -> float:
    """WCAG 2 relative luminance of an opaque colour."""
    red, green, blue = (
        c / 12.92 if c <= 0.04045 else float(((c + 0.055) / 1.055) ** 2.4)
        for c in (channel / 255 for channel in colour[:3]))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(foreground: str | Rgba, background: str | Rgba) -> float:
    """The WCAG contrast ratio of text over an opaque background, 1 to 21."""
    back = parse(background) if isinstance(background, str) else background
    front = parse(foreground) if isinstance(foreground, str) else foreground
    back = over(back, (0.0, 0.0, 0.0, 1.0)) if back[3] < 1 else back
    darker, lighter = sorted((luminance(over(front, back)), luminance(back)))
    return (lighter + 0.05) / (darker + 0.05)


# A code window: Catppuccin Mocha's colours, lifted to 7:1 on what is behind.
WINDOW = "#16161f"
BAR = "#101018"
FRAME = "#45475a"
BAND = "#2a2a44"
TEXT = "#cdd6f4"
TITLE = "#a6adc8"
NUMBER = "#a2a5b7"
NUMBER_HIGHLIGHTED = "#cdd6f4"
DOTS = ("#ff5f57", "#febc2e", "#28c840")

# The code's token kinds (scripts/pictures/code_images.py): their colours.
TOKENS = {
    "k": "#d0aef8",  # keyword
    "n": "#fab387",  # number; a constant (None, True, False); a decorator
    "s": "#a6e3a1",  # string
    "i": "#f5c2e7",  # string interpolation and escapes
    "f": "#98befb",  # function name
    "t": "#f9e2af",  # class name
    "b": "#89dceb",  # builtin; an operator
    "p": "#f6a6bc",  # self
    "m": "#b8bccc",  # comment
    "u": "#bac2de",  # punctuation
}


# The runner's palettes, "dark" on the code window, "light" on white: none
# dim; in "dark", a colour a style, so a recording maps back to its styles.
BACKGROUND = {"dark": WINDOW, "light": "#ffffff"}
_COLOURS = {  # style: its colour in "dark", in "light", and its weight
    "text": ("#cdd6f4", "#1e1e2e", ""),  # what the demos and uvicorn print
    "stamp": ("#a6adc8", "#4c4f69", ""),  # the time column: +0.12s
    "detail": ("#bac2de", "#3c3f58", ""),  # headers, asides, listings
    "runner": ("#b8bccc", "#505368", ""),  # the runner's own rows (»)
    "client": ("#89dceb", "#0b5d75", "bold "),  # the client's rows (→ ←)
    "server": ("#f5c2e7", "#8a1a6b", "bold "),  # the server's log (│)
    "app": ("#f9e2af", "#6b4e00", "bold "),  # the app's own print()
    "info": ("#94e2d5", "#1d5e3a", ""),  # a log line at INFO
    "warning": ("#fab387", "#8a3b00", "bold "),  # a log line at WARNING
    "bad": ("#f6a6bc", "#a1000f", "bold "),  # ERROR, a check that failed
    "ok": ("#a6e3a1", "#1a5e1a", "bold "),  # a check that passed
    "command": ("#98befb", "#1e3a8a", "bold "),  # the commands to type
    "title": ("#d0aef8", "#5b21b6", "bold "),  # headings: what happened
}
PALETTES = {name: {key: weight + pair[index] for key, (*pair, weight) in
                   _COLOURS.items()} for index, name in enumerate(BACKGROUND)}
# Rich's own styles the runner's output uses, in the palette's colours.
_RICH = {"rule.line": "detail", "table.header": "title", "status.spinner": "ok"}


def theme(palette: str) -> Theme:
    """The Rich theme of ``palette`` ("dark" or "light")."""
    styles = PALETTES[palette]
    return Theme({**styles, **{k: styles[v] for k, v in _RICH.items()}})
