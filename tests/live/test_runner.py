"""The command line of ``python -m demos``: listing, refusing and checking
what it is given. main() runs in this process: the subprocess would prove
nothing more than the demo runs of test_clients, which all go through
``python -m demos``; the one subprocess here checks the exit code and the
streams for a refused name."""

import subprocess
import sys

import pytest

from demos.__main__ import main
from demos.catalog import DEMOS, HTTP1
from demos.catalog import PACED as PACED_DEMOS
from scripts.net.ports import pick_port
from tests.live.cli import ENV, PACED, ROOT

COMMAND_TIMEOUT = 20.0  # seconds for an unknown name


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """main() in this process prints as wide as ENV's runs: nothing wraps."""
    monkeypatch.setenv("COLUMNS", ENV["COLUMNS"])


@pytest.mark.usefixtures("wide")
def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--list"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    for demo in DEMOS:
        for text in (demo.name, demo.slide, demo.summary):
            assert text in out
    assert "[--interval S] [--http oserror]" in out


def test_unknown_demo() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "demos", "no_such_demo"],
        cwd=ROOT, env=ENV, capture_output=True, encoding="utf-8",
        timeout=COMMAND_TIMEOUT, check=False,
    )
    assert result.returncode == 2
    assert "Unknown demo: 'no_such_demo'" in result.stderr
    assert all(demo.name in result.stderr for demo in DEMOS)
    assert "Started server process" not in result.stdout + result.stderr


@pytest.mark.usefixtures("wide")
def test_no_demo_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage: python -m demos")
    assert all(demo.name in err for demo in DEMOS)


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in ("--port", "--serve", "--list", "--interval SECONDS"):
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
    paced = [demo.name for demo in DEMOS if demo.pace]
    assert paced == PACED_DEMOS
    assert f"--interval applies to {', '.join(paced)}." in err


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
    assert err == (  # one line, however narrow the terminal
        f"The demo {name!r} is not served over HTTP/1.1; --http applies "
        f"to {', '.join(HTTP1)}.\n"
    )
    http1 = [demo.name for demo in DEMOS if demo.transport == "http"]
    assert http1 == HTTP1
