"""A code image's geometry, in ems of the code font (its colours:
scripts/style.py)."""

FONT_SIZE = 20  # px in the SVG's own coordinates; the deck scales the image
TITLE_SIZE = 0.92  # the path in the title bar: 20 px at 22 px code
LINE_HEIGHT = 1.15
INK_MIDDLE = 0.32  # above the baseline: between x-height and cap height
PAD_X = 1.2
PAD_TOP = 0.5
PAD_BOTTOM = 0.7
BAR_HEIGHT = 1.5
GUTTER_GAP = 1.5  # between the line numbers and the code
CORNER = 0.5
DOT_RADIUS = 0.3
DOT_PITCH = 1.0  # between the centres of the three dots
DOT_LEFT = 1.0  # from the window's edge to the first dot's centre
