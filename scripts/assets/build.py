"""Build every generated picture under assets/, or check that none is stale.

Every generator's input is read first: input that does not load is said
once and skips only the generators that read it; two generators that would
write one file are both refused. Then leftover temporary files are swept
(with --check, listed), and the generators run, in one process.
"""

import contextlib
import importlib
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from scripts.assets import generator
from scripts.assets.code_images import MANIFEST
from scripts.assets.manifest import load_manifest
from scripts.exceptions import InputError, WriteError

GENERATORS = (
    "scripts.assets.code_images",
    "scripts.assets.charts",
    "scripts.assets.pictures",
)


def claims(module: ModuleType, root: Path) -> list[generator.Claim]:
    """What ``module`` would write, read from its input (not drawn)."""
    if hasattr(module, "claims"):
        found: list[generator.Claim] = module.claims(root)
        return found
    # The charts name their outputs in code, and read the manifest's font.
    load_manifest(root / MANIFEST, root)
    names = [str(picture.output) for picture in module.PICTURES]
    return generator.claims_in_code(Path(str(module.__file__)), names, root)


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
    parser = generator.parser(__name__)
    parser.prog, parser.epilog = "python -m scripts.assets", generator.EPILOG
    stale = "write nothing; fail if any picture is stale or a temporary file is"
    parser.add_argument("--check", action="store_true", help=f"{stale} left")
    args = parser.parse_args(argv)
    root: Path = args.root
    errors: dict[str, None] = {}  # each said once, in order
    modules = {name: importlib.import_module(name) for name in GENERATORS}
    skipped = refusals(modules, root, errors)
    print(*errors, sep="\n", file=sys.stderr, end="\n" if errors else "")
    worst = 2 if errors else 0
    try:
        left = generator.sweep(root / generator.ASSETS, root, args.check)
    except WriteError as error:
        print(error, file=sys.stderr)
        left, worst = 0, 2
    if left and args.check:
        message = f"{left} leftover temporary file(s): run `make assets`"
        print(message, file=sys.stderr)
        worst = max(worst, 1)
    common = ["--root", str(root)] + (["--check"] if args.check else [])
    for name in (name for name in GENERATORS if name not in skipped):
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
