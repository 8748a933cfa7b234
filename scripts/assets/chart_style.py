"""The measured charts' look: 1160 px wide to fill the slide under its
title, every text 20 px, in the code images' palette on black."""

from scripts.assets import svg, theme
from scripts.assets.svg import Canvas, Style

WIDTH, MAX_HEIGHT = 1160, 560  # px: the slide's content box, under a title
MARGIN, FONT = 20, 20  # every text is 20 px, the smallest allowed
LIMITS = svg.Limits(  # no text closer than 8 px to the picture's edge
    min_font_px=FONT, min_contrast=7, max_width_px=WIDTH,
    max_height_px=MAX_HEIGHT, max_kilobytes=60, edge=8,
)
BACKGROUND, RULE, BAND = "#000000", theme.FRAME, theme.WINDOW
TEXT, MUTED, BLUE = theme.TEXT, theme.TITLE, theme.TOKENS["f"]
GREEN, YELLOW, RED = theme.TOKENS["s"], theme.TOKENS["t"], theme.TOKENS["p"]
TEXT_COLOURS = (TEXT, MUTED, BLUE, GREEN, YELLOW, RED, theme.TOKENS["n"])
BODY, NOTE, HEADING, GOOD, FAIR, BAD, SLOW = (
    Style(FONT, colour, BACKGROUND) for colour in TEXT_COLOURS
)
FOOTNOTE = Style(FONT, MUTED, BACKGROUND, leading=1.3)


def centred(middle: float) -> float:
    """The baseline of a line of text centred on ``middle``."""
    return middle + theme.INK_MIDDLE * FONT


def wrapped(
    canvas: Canvas, x: float, y: float, text: str, style: Style
) -> float:
    """``text`` wrapped to the margin from baseline ``y``; the last one."""
    columns = canvas.columns(WIDTH - MARGIN - x, style)
    for line in svg.wrap(text, columns, style):
        canvas.text(x, y, line, style)
        y += style.pitch
    return y - style.pitch
