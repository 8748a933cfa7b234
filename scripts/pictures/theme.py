"""A code image's look, in ems of the code font: Catppuccin Mocha's palette
on a dark window, each text colour lifted to 7:1 against what is behind it."""

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

WINDOW = "#16161f"
BAR = "#101018"
FRAME = "#45475a"
BAND = "#2a2a44"
TEXT = "#cdd6f4"
TITLE = "#a6adc8"
NUMBER = "#a2a5b7"
NUMBER_HIGHLIGHTED = "#cdd6f4"
DOTS = ("#ff5f57", "#febc2e", "#28c840")

# CSS class -> colour, for the token kinds in scripts/pictures/code_svg.py.
TOKENS = {
    "k": "#d0aef8",  # keyword
    "c": "#fab387",  # constant: None, True, False
    "n": "#fab387",  # number
    "s": "#a6e3a1",  # string
    "i": "#f5c2e7",  # string interpolation and escapes
    "f": "#98befb",  # function name
    "t": "#f9e2af",  # class name
    "b": "#89dceb",  # builtin
    "p": "#f6a6bc",  # self
    "d": "#fab387",  # decorator
    "o": "#89dceb",  # operator
    "m": "#b8bccc",  # comment
    "u": "#bac2de",  # punctuation
}
