"""Split code into coloured spans, line by line, with Pygments."""

from pygments import token as tk
from pygments.lexers.python import PythonLexer

# The nearest listed ancestor of a token type gives its CSS class
# (colours in scripts/assets/theme.py); anything else is plain text.
CLASSES: dict[tk._TokenType, str] = {
    tk.Keyword: "k", tk.Keyword.Constant: "c", tk.Operator.Word: "k",
    tk.Number: "n", tk.String: "s", tk.String.Doc: "m",
    tk.String.Interpol: "i", tk.String.Escape: "i", tk.Name.Function: "f",
    tk.Name.Class: "t", tk.Name.Builtin: "b", tk.Name.Builtin.Pseudo: "p",
    tk.Name.Decorator: "d", tk.Operator: "o", tk.Comment: "m",
    tk.Punctuation: "u",
}

Span = tuple[str, str | None]


def highlight(lines: tuple[str, ...]) -> list[list[Span]]:
    """Colour ``lines`` of Python: one list of (text, class) spans a line.

    A decorator is coloured up to its arguments (``@app.websocket``), and
    adjacent spans of one class are merged, with the whitespace between.
    """
    lexer = PythonLexer(stripnl=False, ensurenl=True)
    result: list[list[Span]] = [[]]
    decorator = False
    for kind, value in lexer.get_tokens("\n".join(lines)):
        listed = [CLASSES[k] for k in kind.split() if k in CLASSES]
        name = listed[-1] if listed else None
        if kind is tk.Name.Decorator:
            decorator = True
        elif decorator and (kind is tk.Name or value == "."):
            name = CLASSES[tk.Name.Decorator]
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
    """Add a span, merged with the one before if its class is the same."""
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
