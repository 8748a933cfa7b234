"""Build every generated picture of the deck, or check that none is stale.

Each generator is a module of this package with a ``main(argv) -> int``
that takes ``--check``. They run in one process, in order, so that a no-op
``make check`` stays fast.
"""

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from typing import cast

GENERATORS = (
    "scripts.code_images",
    "scripts.measured_pictures",
    "scripts.deck_pictures",
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run every generator; the worst exit code wins (2 bad input, 1 stale)."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.assets",
        description="Build every generated picture under assets/.",
        epilog="Generators: " + ", ".join(GENERATORS),
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; fail if any picture is stale, missing or orphaned",
    )
    args = parser.parse_args(argv)
    worst = 0
    for name in GENERATORS:
        module = importlib.import_module(name)
        run = cast(Callable[[list[str]], int], module.main)
        worst = max(worst, run(["--check"] if args.check else []))
    return worst


if __name__ == "__main__":
    sys.exit(main())
