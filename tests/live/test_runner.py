"""The command line of ``python -m scripts.live`` (``make demo``): listing,
refusing and checking what it is given. main() runs in this process: a
subprocess would prove nothing more than the demo runs of test_clients,
which all go through ``make demo``; the subprocesses here check the exit
code and the streams of a refused name, and what make adds."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from demos.catalog import DEMOS, HTTP1, PACED
from scripts.live.cli import main, python_command
from scripts.net import processes
from scripts.net.ports import pick_port
from tests.live.cli import ENV, FRESH, MAKE, ROOT

COMMAND_TIMEOUT = 20.0  # seconds for an unknown name


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() in this process prints as wide as ENV's runs: nothing wraps."""
    monkeypatch.setenv("COLUMNS", ENV["COLUMNS"])


@pytest.mark.usefixtures("wide")
@pytest.mark.parametrize(("args", "code", "said"),
                         [(["--list"], 0, "Run one:"), ([], 2, "Which demo?")])
def test_the_listing_of_the_demos(
    args: list[str], code: int, said: str,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--list`` (``make demos``: stdout, exit 0) and no demo named (stderr,
    exit 2) show the same rows: what to type, then each demo and its slide."""
    for name in MAKE:
        monkeypatch.delenv(name, raising=False)
    assert main(args) == code
    out, err = capsys.readouterr()
    shown, other = (out, err) if code == 0 else (err, out)
    assert other == ""
    rows = shown.splitlines()
    command = f"{python_command()} -m scripts.live NAME"
    assert rows[0] == f"{said} {command}; the demos:"
    assert [row.split()[0] for row in rows[1:]] == [d.name for d in DEMOS]
    for row, demo in zip(rows[1:], DEMOS, strict=True):
        assert row.endswith(demo.slide), row


def test_unknown_demo() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.live", "ws_with_tokn"],
        cwd=ROOT, env=ENV, capture_output=True, encoding="utf-8",
        timeout=COMMAND_TIMEOUT, check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "Unknown demo 'ws_with_tokn': did you mean ws_with_token?",
        ".venv/bin/python -m scripts.live --list lists them all; run one: "
        ".venv/bin/python -m scripts.live NAME",
    ]


def make(*args: str) -> tuple[int, list[str]]:
    """``make ARGS`` typed in a new shell, 80 columns wide: its exit code,
    and the rows it printed (stdout, then stderr, where make's own go)."""
    done = subprocess.run(
        ["make", *args], cwd=ROOT, env={**FRESH, "COLUMNS": "80"},  # noqa: S607
        capture_output=True, text=True, timeout=COMMAND_TIMEOUT, check=False,
    )
    return done.returncode, (done.stdout + done.stderr).splitlines()


@pytest.mark.parametrize("target", ["demo", "replay"])
@pytest.mark.parametrize("typed", ["", "NAM=ws", "name=ws"])
def test_make_without_name_lists_the_demos_and_runs_none(
    target: str, typed: str
) -> None:
    """No default demo: ``make demo NAM=ws`` ran asgi_app once. Now it
    says what was meant, and the demos, one row each, in 24 rows."""
    code, rows = make(target, *typed.split())
    assert code == 2, rows
    ran = [row for row in rows if "Server up" in row or "a replay of" in row]
    assert not ran, rows  # no demo ran, none was replayed
    if typed:
        said = f"{typed}: did you mean make {target} NAME=ws? The demos:"
    else:
        said = f"Which demo? make {target} NAME=<name>; the demos:"
    assert rows[0] == said
    assert [row.split()[0] for row in rows[1:-1]] == [d.name for d in DEMOS]
    assert rows[-1].startswith("make: *** [Makefile:"), rows  # make's own
    assert len(rows) <= 24
    assert max(cell_len(row) for row in rows) <= 80


@pytest.mark.parametrize("target", ["demo", "replay"])
@pytest.mark.parametrize(
    ("typed", "said"),
    [
        (["NAME=ws_with_tokn"],
         "Unknown demo 'ws_with_tokn': did you mean ws_with_token?"),
        (["NAME=raise_oserror", "HTTP=oserr"],
         "Unknown HTTP 'oserr': did you mean oserror?"),
    ],
)
def test_make_with_a_misspelt_name_says_what_was_meant_in_3_rows(
    target: str, typed: list[str], said: str
) -> None:
    code, rows = make(target, *typed)
    assert code == 2, rows
    assert rows[0] == said
    assert rows[-1].startswith("make: *** [Makefile:"), rows
    assert len(rows) <= 3, rows
    assert max(cell_len(row) for row in rows) <= 80


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in (
        "--port", "--list", "--interval SECONDS", "--verbose",
        "--step", "--light", "--replay",
    ):
        assert option in out
    words = " ".join(out.split())
    assert all(name in words for name in PACED)
    assert "--http {oserror}" in words
    assert "oserror, the prototype of uvicorn #3085" in words


@pytest.mark.usefixtures("wide")
def test_interval_of_an_unpaced_demo(
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = str(pick_port())  # should the check fail, the demo would run
    assert main(["asgi_app", "--port", port, "--interval", "0.5"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no server, no timeline
    assert err.startswith("The demo 'asgi_app' sends at no set interval;")
    assert f"--interval applies to {', '.join(PACED)}." in err


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_interval_is_a_positive_number(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:  # --list: no demo runs
        main(["--list", "--interval", value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert f"{value} is not a positive number of seconds" in err


@pytest.mark.parametrize("name", ["ws_with_token", "content_md5"])
def test_http_of_a_demo_not_on_http1(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    port = str(pick_port())  # should the check fail, the demo would run
    assert main([name, "--port", port, "--http", "oserror"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no server, no timeline
    assert " ".join(err.split()) == (  # wrapped at spaces
        f"The demo {name!r} is not served over HTTP/1.1; --http applies "
        f"to {', '.join(HTTP1)}."
    )


@pytest.mark.usefixtures("wide")
def test_a_taken_port_names_its_holder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert main(["asgi_app", "--port", str(port)]) == 1
    words = " ".join(capsys.readouterr().out.split())
    pid = os.getpid()
    assert f"Port {port} is held by PID {pid}: " in words
    assert f"Stop it with `kill {pid}`, or choose --port." in words
    assert "Server up" not in words


def test_an_empty_demo_token_is_refused(tmp_path: Path) -> None:
    """By the demo itself, so plain uvicorn refuses too; by the runner with
    a clear message, exit 2, and no server."""
    env = {**ENV, "DEMO_TOKEN": ""}
    commands = {
        "runner": ["-m", "scripts.live", "ws_with_token"],
        "uvicorn": ["-m", "uvicorn", "demos.ws_with_token:app"],
    }
    started = {
        name: processes.Subprocess(
            [sys.executable, *command, "--port", str(pick_port())],
            cwd=ROOT, env=env, output=tmp_path / name,
        )
        for name, command in commands.items()
    }
    try:
        codes = {
            name: server.popen.wait(COMMAND_TIMEOUT)
            for name, server in started.items()
        }
    finally:
        for server in started.values():
            server.stop(signal.SIGKILL, 0)
    assert codes == {"runner": 2, "uvicorn": 1}
    for name in commands:
        output = (tmp_path / name).read_text("utf-8")
        assert "DEMO_TOKEN is set but empty" in output, output
        assert "Server up" not in output, output
