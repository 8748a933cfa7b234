"""`python -m scripts.pictures`: every generator at once, as `make assets` and
`make check` run them. Input that does not load is said once and stops only
the generators that read it; two generators sharing an output are refused;
leftover temporary files fail the check, and a build sweeps them.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts.pictures import generator as assets
from scripts.pictures.code_images import MANIFEST
from tests.pictures.conftest import ROOT, copy_tree, edit, snapshot

DECK_DATA = Path("scripts/pictures/pictures.toml")
CONTENT_MD5 = "assets/asgi_innovations/content_md5.svg"
DIAGRAM = "assets/diagrams/asgi_stack.svg"  # a deck picture


@pytest.fixture
def whole_tree(tmp_path: Path) -> Path:
    """What every generator reads and writes, with the font caches."""
    copy_tree(tmp_path, "demos", MANIFEST, DECK_DATA, "assets")
    if (ROOT / ".cache/assets").is_dir():
        copy_tree(tmp_path, ".cache/assets")
    return tmp_path


def build_all(
    tree: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run `python -m scripts.pictures` in-process on ``tree``."""
    code = assets.main(["--root", str(tree), *args])
    out, err = capsys.readouterr()
    return code, out, err


def deck_pictures() -> int:
    """How many pictures the deck pictures' data lists."""
    lines = (ROOT / DECK_DATA).read_text(encoding="utf-8").splitlines()
    return sum(line.startswith("output = ") for line in lines)


def line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    (number,) = [n for n, line in enumerate(lines, 1) if text in line]
    return number


CHARTS = Path("scripts/pictures/charts.py")
RUN_ORDER = [MANIFEST, CHARTS, DECK_DATA]  # the generators' inputs
# How to make two generators claim one output: in this input, this output
# becomes that one, which that input names (as spelled here) too.
SHARES = {
    "deck_makes_a_code_image": (
        DECK_DATA, DIAGRAM, "assets/./asgi.svg", MANIFEST, "assets/asgi.svg"
    ),
    "code_image_is_a_measured_picture": (
        MANIFEST, CONTENT_MD5, "assets/bench_wasted.svg", CHARTS,
        "assets/bench_wasted.svg",
    ),
}


def share(tree: Path, how: str) -> str:
    """Spoil ``tree`` as SHARES[how] says; the error expected."""
    spoilt, old, new, other, name = SHARES[how]
    edit(tree / spoilt, f'output = "{old}"', f'output = "{new}"')
    claims = [
        (spoilt, new, line_of(tree / spoilt, f'"{new}"')),
        (other, name, line_of(ROOT / other, f'"{name}"')),
    ]
    first, later = sorted(claims, key=lambda c: RUN_ORDER.index(c[0]))
    return (
        f"{later[0]}:{later[2]}: {later[1]} is also made by "
        f"{first[0]}:{first[2]}"
    )


@pytest.mark.parametrize("how", SHARES)
@pytest.mark.parametrize("check", [False, True], ids=["build", "check"])
def test_two_generators_sharing_an_output_are_refused(
    how: str, check: bool, whole_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expected = share(whole_tree, how)
    before = snapshot(whole_tree / "assets")
    code, out, err = build_all(whole_tree, capsys, *["--check"] * check)
    assert code == 2
    assert err == expected + "\n"
    assert snapshot(whole_tree / "assets") == before
    # Both sharers are refused; the generator that shares nothing runs.
    assert "code image" not in out
    uninvolved = "deck" if "charts.py" in expected else "measured"
    assert f"{uninvolved} pictures up to date" in out
    assert "backup sheets up to date" in out
    assert "result strips up to date" in out  # it writes no code image
    assert out.count("up to date") == 3


def test_python_m_scripts_assets_refuses_a_shared_output(
    whole_tree: Path,
) -> None:
    """The one subprocess: `python -m` reaches main() and its exit code."""
    expected = share(whole_tree, "deck_makes_a_code_image")
    command = ["-m", "scripts.pictures", "--check", "--root", str(whole_tree)]
    result = subprocess.run(
        [sys.executable, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (2, expected + "\n")


def test_a_malformed_manifest_is_said_once_and_the_rest_still_run(
    whole_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every generator draws in the code images' font: all wait for it."""
    edit(whole_tree / MANIFEST, "max_lines = 19", "max_lines = = 19")
    line = line_of(whole_tree / MANIFEST, "max_lines = = 19")
    before = snapshot(whole_tree / "assets")
    for args in ([], ["--check"]):
        code, out, err = build_all(whole_tree, capsys, *args)
        assert code == 2
        assert re.fullmatch(
            rf"{MANIFEST}:{line}: invalid TOML: [^\n]*\n", err
        ), err
        assert "up to date" not in out
    assert snapshot(whole_tree / "assets") == before


def test_a_malformed_picture_manifest_leaves_the_code_images_running(
    whole_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The code images and the charts do not read pictures.toml."""
    text = (whole_tree / DECK_DATA).read_text(encoding="utf-8")
    (whole_tree / DECK_DATA).write_text("[[ =\n" + text, encoding="utf-8")
    for args in ([], ["--check"]):
        code, out, err = build_all(whole_tree, capsys, *args)
        assert code == 2
        assert re.fullmatch(rf"{DECK_DATA}:1: invalid TOML: [^\n]*\n", err)
        assert "16 code images up to date" in out
        assert "measured pictures up to date" in out


def dead_pid() -> int:
    """A process id no process can have: above the kernel's maximum."""
    if sys.platform != "linux":
        return 100_000  # macOS's process ids stop at 99,999
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


def test_leftover_temporary_files_fail_the_check_and_a_build_sweeps_them(
    whole_tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = whole_tree / "assets"
    # A build killed between writing its temporary file and the rename.
    killed = folder / f"asgi_innovations/.ws.svg.{dead_pid()}.tmp"
    killed.write_bytes(b"<svg xmlns=")
    # A temporary file of a live process, but an hour old: its id was reused.
    stale = folder / f".asgi.svg.{os.getpid()}.tmp"
    stale.write_bytes(b"<svg")
    hour_ago = time.time() - 3600
    os.utime(stale, (hour_ago, hour_ago))
    # A build writing right now, in another process: not ours to judge.
    writing = folder / f"diagrams/.asgi_stack.svg.{os.getpid()}.tmp"
    writing.write_bytes(b"<svg")
    names = [str(p.relative_to(whole_tree)) for p in (killed, stale)]

    code, out, err = build_all(whole_tree, capsys, "--check")
    assert code == 1
    for name in names:
        assert f"leftover: {name} (" in out
    assert "asgi_stack" not in out
    assert "2 leftover temporary file(s): run `make assets`" in err
    assert killed.exists()
    assert stale.exists()

    code, out, _ = build_all(whole_tree, capsys)
    assert code == 0
    for name in names:
        assert f"removed {name} (" in out
    assert not killed.exists()
    assert not stale.exists()
    assert writing.exists()
    assert build_all(whole_tree, capsys, "--check")[0] == 0
