"""The simplified support matrix, the talk's: three topics across the four
servers, one large word a cell, and the full matrix's footnotes for them."""

from typing import Any

from scripts.pictures.matrix_picture import (
    BACKGROUND,
    BAND,
    BLUE,
    GAP,
    HANGS,
    ICON,
    MARGIN,
    MUTED,
    NOT_APPLICABLE,
    PARTIAL,
    RED,
    TEXT,
    TOPICS,
    WIDTH,
    YELLOW,
    footnoted,
    icon,
    named,
    wrapped,
)
from scripts.pictures.svg import Canvas, Style

BIG = {kind: Style(28, c, BACKGROUND) for kind, c in (
    ("yes", TEXT), ("partial", YELLOW), ("no", RED), ("hangs", RED),
    ("n/a", MUTED), ("head", BLUE), ("label", TEXT))}
SMALL = Style(24, MUTED, BACKGROUND)
SMALL_NOTE = Style(24, MUTED, BACKGROUND, leading=1.3)  # the footnotes
SMALL_MARK = Style(24, YELLOW, BACKGROUND)  # and their numbers


def simple_cells(data: dict[str, Any]) -> dict[str, dict[str, str]]:
    """topic -> server -> one word: yes (all yes), no (all no), hangs (any
    hangs), else partial; n/a if none applies. Stock servers only."""
    results: dict[str, dict[str, set[str]]] = {}
    for server in data["servers"]:
        if "-3085-" in server["id"]:
            continue  # a prototype, not a server you can install
        for topic, features in TOPICS.items():
            seen = results.setdefault(topic, {}).setdefault(
                server["package"], set())
            seen |= {c["result"] for f in features
                     if (c := server["cells"].get(f)) is not None}
    words: dict[str, dict[str, str]] = {}
    for topic, servers in results.items():
        words[topic] = {}
        for name, seen in servers.items():
            seen -= {NOT_APPLICABLE}
            word = (HANGS if HANGS in seen else PARTIAL if len(seen) > 1
                    else next(iter(seen), NOT_APPLICABLE))
            words[topic][name] = word
    return words


def simple_notes(data: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """(topic, server) -> its footnotes: the notes the full matrix gives its
    cells, each with the features it is about, less the row's topic ("HTTP/2"
    for "trailers, HTTP/2"; nothing if all of them). Stock servers only."""
    found: dict[tuple[str, str], dict[str, list[str]]] = {}
    for server in data["servers"]:
        for topic, features in TOPICS.items():
            notes = found.setdefault((topic, server["package"]), {})
            if "-3085-" in server["id"]:
                continue
            for feature in features:
                cell = server["cells"].get(feature)
                if cell is not None and footnoted(cell) and cell.get("note"):
                    about = notes.setdefault(cell["note"], [])
                    about += [feature] if feature not in about else []
    return {(topic, name): [simple_note(name, topic, ids, note, data)
                            for note, ids in notes.items()]
            for (topic, name), notes in found.items()}


def simple_note(
    name: str, topic: str, ids: list[str], note: str, data: dict[str, Any]
) -> str:
    """"hypercorn, HTTP/2: ..." in the trailers row; "daphne: ..." if the
    note is about every feature of the row."""
    if tuple(ids) == TOPICS[topic]:
        return f"{name}: {note}"
    return f"{name}, {named(ids, data).removeprefix(f'{topic}, ')}: {note}"


def draw(data: dict[str, Any], canvas: Canvas) -> tuple[float, str]:
    """The three topics across the servers, one word a cell, large; a cell
    whose full-matrix cells have footnotes has them too, under the table."""
    cells, notes = simple_cells(data), simple_notes(data)
    servers = list(next(iter(cells.values())))
    left = MARGIN + canvas.width_of(max(TOPICS, key=len), BIG["label"]) + 30
    pitch = (WIDTH - MARGIN - left) / len(servers)
    for index, name in enumerate(servers):
        centre = left + pitch * (index + 0.5)
        canvas.text(centre, 34, name, BIG["head"], "middle")
        version = data["versions"].get(name, "?")
        canvas.text(centre, 66, version, SMALL, "middle")
    y, alt, footnotes = 84.0, [], list[str]()
    for row, (topic, words) in enumerate(cells.items()):
        if row % 2 == 0:
            band = {"width": WIDTH - 2 * MARGIN, "height": 64}
            canvas.shape("rect", x=MARGIN, y=y, **band, fill=BAND)
        middle = y + 32
        canvas.text(MARGIN + 12, middle + 10, topic, BIG["label"])
        for index, (name, word) in enumerate(words.items()):
            marks = [str(len(footnotes) + n + 1)
                     for n in range(len(notes[topic, name]))]
            footnotes += notes[topic, name]
            mark = ",".join(marks)
            wide = ICON + GAP + canvas.width_of(word, BIG[word])
            wide += (2 + canvas.width_of(mark, SMALL_MARK)) * bool(mark)
            x = left + pitch * (index + 0.5) - wide / 2
            if word != NOT_APPLICABLE:
                icon(canvas, word, x, middle)
            x = canvas.text(x + ICON + GAP, middle + 10, word, BIG[word])
            if mark:
                canvas.text(x + 2, middle + 2, mark, SMALL_MARK)
        said = ", ".join(f"{s} {w}" for s, w in words.items())
        alt.append(f"{topic}: {said}")
        y += 64
    y += 10
    for number, footnote in enumerate(footnotes, 1):
        canvas.text(MARGIN + 12, y + 30, str(number), SMALL_MARK)
        y = wrapped(canvas, MARGIN + 42, y + 30, footnote, SMALL_NOTE)
    y += 52 if footnotes else 44
    probed = f"probed {data['probed']['date']} on 127.0.0.1 · every detail:"
    canvas.text(MARGIN, y, f"{probed} the full matrix", SMALL)
    notes_said = "; ".join(f"{n} {f}" for n, f in enumerate(footnotes, 1))
    return y + 16, "ASGI support, simplified. " + ". ".join(alt) + (
        f". Notes: {notes_said}" if footnotes else "")
