"""The runner's palettes: every style at 7:1 or more against its
background and never dim, in both; ``--light`` changes the colours, in the
listing and in a run (``--step`` forced on pipes, ``--verbose``)."""

import re
import sys
import time

import pytest
from rich.style import Style

from scripts.live.cli import main
from scripts.live.timeline import PROMPT
from scripts.net.ports import pick_port
from scripts.style import BACKGROUND, PALETTES, contrast, theme
from tests.live.cli import ENV, START_TIMEOUT
from tests.live.terminal import Terminal


def test_every_style_has_seven_to_one_in_both_palettes() -> None:
    assert PALETTES["dark"].keys() == PALETTES["light"].keys()
    for palette, styles in PALETTES.items():
        shown = theme(palette).styles
        for name, spec in styles.items():
            ratio = contrast(colour(spec), BACKGROUND[palette])
            assert ratio >= 7, f"{palette} {name}: {ratio:.2f}:1"
            assert not Style.parse(spec).dim, f"{palette} {name}"
        for name in [*styles, "rule.line", "table.header", "status.spinner"]:
            assert not shown[name].dim, f"{palette} {name}"
    dark = [colour(spec) for spec in PALETTES["dark"].values()]
    assert len(set(dark)) == len(dark)  # a dark colour names its style


def colour(spec: str) -> str:
    """The colour of a Rich style, as #rrggbb: each style has its own."""
    found = Style.parse(spec).color
    assert found is not None, spec
    assert found.triplet is not None, spec
    return found.triplet.hex


def sgr_codes(text: str) -> list[int]:
    """The SGR attributes ``text`` sets, colours (38;2;R;G;B...) skipped."""
    found = []
    for sequence in re.findall(r"\x1b\[([\d;]*)m", text):
        codes = [int(code or 0) for code in sequence.split(";")]
        while codes:
            if (code := codes.pop(0)) in (38, 48, 58):
                codes = codes[4 if codes[:1] == [2] else 2 :]
            else:
                found.append(code)
    return found


def truecolor(palette: str, name: str) -> str:
    """How a truecolor terminal is told the colour of style ``name``."""
    rgb = colour(PALETTES[palette][name])[1:]
    return "38;2;" + ";".join(str(int(rgb[i : i + 2], 16)) for i in (0, 2, 4))


COLOURED = {"FORCE_COLOR": "1", "COLORTERM": "truecolor", "NO_COLOR": ""}


@pytest.mark.parametrize("palette", ["dark", "light"])
def test_light_changes_the_colours(
    palette: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in COLOURED.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NO_COLOR")
    assert main(["--list"] + ["--light"] * (palette == "light")) == 0
    out = capsys.readouterr().out
    other = "dark" if palette == "light" else "light"
    assert truecolor(palette, "client") in out  # the demos' names
    assert truecolor(other, "client") not in out
    assert 2 not in sgr_codes(out)


def test_step_waits_for_enter_light_verbose_never_dim() -> None:
    """``--step`` forced on pipes: the client waits for Enter, and so does
    the summary; ``--light``'s colours, ``--verbose``'s lines, none dim."""
    env = {k: v for k, v in {**ENV, **COLOURED, "COLUMNS": "80"}.items()
           if k != "NO_COLOR"}
    command = ["asgi_app", "--port", str(pick_port()), "--step", "--light",
               "--verbose"]
    run = Terminal([sys.executable, "-m", "scripts.live", *command], env=env,
                   tty=False)
    started = time.monotonic()
    try:
        assert run.wait_for(PROMPT, START_TIMEOUT), run.text
        time.sleep(time.monotonic() - started)  # as long as it took to start
        assert "GET / HTTP/1.1" not in run.text  # the client waits
        run.type(b"\n")
        assert run.wait_for(PROMPT, START_TIMEOUT, 2), run.text
        assert "GET / HTTP/1.1" in run.text
        assert "What this shows" not in run.text  # until Enter
        run.type(b"\n")
        assert run.finish(START_TIMEOUT) == 0, run.text
    finally:
        run.stop()
    assert "What this shows" in run.text
    for verbose in ("Started server process", "Application startup complete"):
        assert verbose in run.text
    assert 2 not in sgr_codes(run.text)  # results are never dim
    for name in ("stamp", "client", "server", "runner", "ok", "info", "title"):
        assert truecolor("light", name) in run.text, name  # styles exist
        assert truecolor("dark", name) not in run.text, name
