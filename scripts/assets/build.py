"""Build every generated picture of the deck, or check that none is stale.

Each generator is a module of this package with a ``main(argv) -> int``
that takes ``--check`` and ``--root``. They run in one process, in order,
so that a no-op ``make check`` stays fast.

First every generator's input is read, to know what each one makes: input
that does not load is reported once, and only the generators that read it
are skipped; two generators that would write one file are both refused.
Then leftover temporary files of an interrupted build are swept (with
``--check``, listed), and the generators run.
"""

import argparse
import contextlib
import importlib
import io
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import cast

from scripts.assets import generator
from scripts.assets.manifest import load_manifest
from scripts.exceptions import InputError, WriteError

ASSETS = Path("assets")
GENERATORS = (
    "scripts.assets.code_images",
    "scripts.assets.charts",
    "scripts.assets.pictures",
)


def claims(module: ModuleType, root: Path) -> list[generator.Claim]:
    """What ``module`` would write, read from its input (not drawn)."""
    own = getattr(module, "claims", None)
    if own is not None:
        return cast(Callable[[Path], list[generator.Claim]], own)(root)
    # A generator whose outputs are in its code (charts.py) reads its
    # COMMAND.source (the code images' manifest, for the font) first.
    if command := getattr(module, "COMMAND", None):
        load_manifest(root / command.source, root)
    names = [str(picture.output) for picture in module.PICTURES]
    return generator.claims_in_code(Path(str(module.__file__)), names, root)


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog="python -m scripts.assets",
        description="Build every generated picture under assets/.",
        epilog=f"Generators: {', '.join(GENERATORS)}. {generator.EPILOG}",
    )
    result.add_argument(
        "--check",
        action="store_true",
        help="write nothing; fail if any picture is stale, missing or "
        "orphaned, or a temporary file is left over",
    )
    generator.add_root(result)
    return result


def refusals(
    modules: dict[str, ModuleType], root: Path, errors: dict[str, None]
) -> set[str]:
    """Add to ``errors`` the inputs that do not load, and the outputs two
    generators share; return the generators that must not run."""
    skipped: set[str] = set()
    claimed: list[tuple[str, generator.Claim]] = []
    for name, module in modules.items():
        try:
            claimed += [(name, claim) for claim in claims(module, root)]
        except InputError as error:
            errors[str(error)] = None
            skipped.add(name)
    for first, second, message in generator.shared(claimed):
        errors[message] = None
        skipped |= {first, second}
    return skipped


def main(argv: Sequence[str] | None = None) -> int:
    """Run every generator; the worst exit code wins (2 bad input, 1 stale)."""
    args = parser().parse_args(argv)
    root: Path = args.root
    errors: dict[str, None] = {}  # each said once, in order
    modules = {name: importlib.import_module(name) for name in GENERATORS}
    skipped = refusals(modules, root, errors)
    print(*errors, sep="\n", file=sys.stderr, end="\n" if errors else "")
    worst = 2 if errors else 0
    try:
        left = generator.sweep(root / ASSETS, root, args.check)
    except WriteError as error:
        print(error, file=sys.stderr)
        left, worst = 0, 2
    if left and args.check:
        message = f"{left} leftover temporary file(s): run `make assets`"
        print(message, file=sys.stderr)
        worst = max(worst, 1)
    common = ["--root", str(root)] + (["--check"] if args.check else [])
    for name in GENERATORS:
        if name in skipped:
            continue
        said = io.StringIO()
        try:
            with contextlib.redirect_stderr(said):
                worst = max(worst, modules[name].main(common))
        finally:
            for line in said.getvalue().splitlines():
                if line not in errors:  # one cause (a font cache) said once
                    errors[line] = None
                    print(line, file=sys.stderr)
    return worst


if __name__ == "__main__":
    sys.exit(main())
