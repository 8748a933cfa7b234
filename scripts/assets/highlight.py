"""Split code into coloured spans, line by line, with Pygments."""

from pygments.lexers.python import PythonLexer
from pygments.token import (
    Comment,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    _TokenType,
)

# The nearest listed ancestor of a token type gives its CSS class
# (colours in scripts/assets/theme.py); anything else is plain text.
CLASSES: dict[_TokenType, str] = {
    Keyword: "k",
    Keyword.Constant: "c",
    Operator.Word: "k",
    Number: "n",
    String: "s",
    String.Doc: "m",
    String.Interpol: "i",
    String.Escape: "i",
    Name.Function: "f",
    Name.Class: "t",
    Name.Builtin: "b",
    Name.Builtin.Pseudo: "p",
    Name.Decorator: "d",
    Operator: "o",
    Comment: "m",
    Punctuation: "u",
}

Span = tuple[str, str | None]


def css_class(kind: _TokenType) -> str | None:
    """The CSS class of a token type, or None for plain text."""
    while kind not in CLASSES:
        if kind.parent is None:
            return None
        kind = kind.parent
    return CLASSES[kind]


def highlight(lines: tuple[str, ...]) -> list[list[Span]]:
    """Colour ``lines`` of Python: one list of (text, class) spans a line.

    A decorator is coloured up to its arguments (``@app.websocket``), and
    adjacent spans of one class are merged, with the whitespace between.
    """
    lexer = PythonLexer(stripnl=False, ensurenl=True)
    result: list[list[Span]] = [[]]
    decorator = False
    for kind, value in lexer.get_tokens("\n".join(lines)):
        name = css_class(kind)
        if kind is Name.Decorator:
            decorator = True
        elif decorator and (kind is Name or value == "."):
            name = CLASSES[Name.Decorator]
        else:
            decorator = False
        for index, part in enumerate(value.split("\n")):
            if index:
                result.append([])
            if part:
                _append(result[-1], part, name)
    # The lexer ends the text with a newline, which opens one more line.
    del result[len(lines) :]
    return result


def _append(spans: list[Span], text: str, name: str | None) -> None:
    if text.isspace():
        name = None
    if len(spans) >= 2 and spans[-1][1] is None and spans[-1][0].isspace():
        before, space = spans[-2], spans[-1]
        if name is not None and before[1] == name:
            spans[-2:] = [(before[0] + space[0] + text, name)]
            return
    if spans and spans[-1][1] == name:
        spans[-1] = (spans[-1][0] + text, name)
    else:
        spans.append((text, name))
