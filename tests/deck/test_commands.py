"""Every command a slide or a note shows works typed as shown, in a fresh
shell in the repository root after the README's set-up (no activated venv).

The commands are the code spans and code-block lines of slides.md that
start like a command (``make``, ``uv``, ``python``, ``curl``...). Each must
have a form this module knows how to run, or the test fails naming it:

- ``make demo NAME=...`` (``HTTP=oserror``) runs for real in
  tests/live/test_clients.py, which takes its runs from this same list
  (the demos' live runs are made there once, as typed, in a new shell);
- ``make replay NAME=...`` and ``make demos`` run for real here, in a new
  shell's environment (only PATH and HOME);
- the long targets (``make bench``, ``make matrix``, ``make peer``, ``make
  serve``) run as ``make -n``: each must run a module of scripts that
  exists (tests/bench, tests/matrix, tests/test_peer.py and
  tests/deck/test_serve.py run them).
"""

import importlib.util
import re
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest

from demos.catalog import BY_NAME, HTTP1, HTTP_CLASSES, RECORDED_ON
from tests.deck.slides import ROOT, SLIDES, shown_commands
from tests.live.cli import FRESH

DEMO = re.compile(r"make (demo|replay) NAME=(\w+)(?: HTTP=(\w+))?")
LONG = ("bench", "matrix", "peer", "serve")  # targets too long for the suite
RUN_TIMEOUT = 60.0  # seconds for one command (each: about 1 s)
LANES = 3  # commands at once, on 2 cores


def known(command: str) -> str | None:
    """Why the command is not a form this module runs, or None."""
    if match := DEMO.fullmatch(command):
        kind, name, http = match.groups()
        if name not in BY_NAME:
            return f"no demo {name!r}"
        runs = HTTP1 if kind == "demo" else RECORDED_ON.get(http or "", [])
        if http is not None and (http not in HTTP_CLASSES or name not in runs):
            return f"HTTP={http} is not a choice of `make {kind} NAME={name}`"
        return None
    if command == "make demos" or command.removeprefix("make ") in LONG:
        return None
    return "a command of a form tests/deck/test_commands.py does not know"


def run(command: str) -> str | None:
    """Run one shown command as typed; what went wrong, or None."""
    target = command.removeprefix("make ")
    if target in LONG:
        return dry_run(target)
    env = FRESH
    try:
        done = subprocess.run(
            command.split(), cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"`{command}` did not finish in {RUN_TIMEOUT:g} s"
    said = done.stdout + done.stderr
    if done.returncode != 0 or "Traceback" in said:
        return f"`{command}` exit {done.returncode}:\n{said[-1500:]}"
    return None


def dry_run(target: str) -> str | None:
    """`make -n TARGET` works, and each module of scripts it runs exists."""
    done = subprocess.run(
        ["make", "-n", target], cwd=ROOT, env=FRESH,  # noqa: S607
        capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False,
    )
    if done.returncode != 0:
        return f"`make -n {target}` exit {done.returncode}: {done.stderr}"
    modules = re.findall(r"-m (scripts\.[\w.]+)", done.stdout)
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if not modules or missing:
        return f"make {target} runs {modules}: {missing or 'none'} missing"
    return None


@pytest.fixture(scope="module")
def commands() -> list[str]:
    return shown_commands(SLIDES.read_text(encoding="utf-8"))


def test_every_shown_command_has_a_known_form(commands: list[str]) -> None:
    assert any(c.startswith("make demo NAME=") for c in commands), commands
    unknown = [f"`{c}`: {why}" for c in commands if (why := known(c))]
    assert unknown == [], f"slides.md shows: {unknown}"


def test_the_extraction_finds_spans_blocks_and_refuses_strangers() -> None:
    text = (
        "Say `make demo NAME=ws` or `--http zttp`.\n"
        "```console\nmake demos\n.venv/bin/python -m demos ws\n```\n"
    )
    found = shown_commands(text)
    assert found == ["make demos", ".venv/bin/python -m demos ws",
                     "make demo NAME=ws"]
    assert known(".venv/bin/python -m demos ws") is not None
    assert known("make demo NAME=nope") is not None
    assert known("make replay NAME=ws HTTP=oserror") is not None


def test_every_shown_command_runs_as_typed(commands: list[str]) -> None:
    """All of them at once, a few at a time, in a fresh environment."""
    runnable = [c for c in commands if known(c) is None
                and not c.startswith("make demo NAME=")]
    with ThreadPoolExecutor(LANES, thread_name_prefix="command") as pool:
        failed = [why for why in pool.map(run, runnable) if why]
    assert failed == [], "\n\n".join(failed)
