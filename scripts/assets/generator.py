"""What the picture generators share: their command line (``Main``), and
writing (or with --check, verifying) their SVGs under assets/.
"""

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from scripts.exceptions import InputError, WriteError
from scripts.files import leftovers, reason, shown, write_atomic

ROOT = Path(__file__).resolve().parents[2]
ASSETS = Path("assets")
EPILOG = "Exit codes: 0 up to date, 1 stale (--check), 2 bad input."

# A generator's build: (root, source, assets, cache, check, summary) -> exit.
Run = Callable[[Path, Path, Path, Path | None, bool, bool], int]


def parser(module: str, **paths: str) -> argparse.ArgumentParser:
    """``python -m module``'s parser: its docstring's first paragraph,
    --root, and a path option for each of ``paths`` (name=help)."""
    found = sys.modules[module]
    result = argparse.ArgumentParser(
        prog=f"python -m {getattr(found.__spec__, 'name', module)}",
        description=(found.__doc__ or "").split("\n\n")[0],
    )
    root = "the repository root, base of other paths (default: %(default)s)"
    result.add_argument("--root", type=Path, default=ROOT, help=root)
    for name, help in paths.items():
        result.add_argument(f"--{name.replace('_', '-')}", type=Path, help=help)
    return result


@dataclass(frozen=True)
class Main:
    """A generator's ``main``: ``main = Main(run, source, cache)``.
    ``source`` (the input) and ``cache`` (the font cache) are under the root
    unless given; ``option`` names the source's option. Without ``summary``
    there is no --no-cache nor --summary."""

    run: Run
    source: Path
    cache: Path
    option: str | None = None
    summary: bool = True

    def __call__(self, argv: Sequence[str] | None = None) -> int:
        """Parse ``argv`` and run; on bad input, say why and return 2."""
        paths = {
            "assets": f"where orphans are looked for (default: ROOT/{ASSETS})",
            "cache_dir": f"font cache (default: ROOT/{self.cache})",
        }
        if self.option:
            paths[self.option] = f"default: ROOT/{self.source}"
        cli = parser(self.run.__module__, **paths)
        cli.epilog = EPILOG
        cli.set_defaults(no_cache=False, summary=False)
        flags = {"check": "write nothing; fail if any is stale or orphaned"}
        if self.summary:
            flags |= {"no-cache": "use no font cache", "summary": "a table too"}
        for flag, help in flags.items():
            cli.add_argument(f"--{flag}", action="store_true", help=help)
        args = cli.parse_args(argv)
        root: Path = args.root
        source = getattr(args, self.option or "", None) or root / self.source
        cache = None if args.no_cache else args.cache_dir or root / self.cache
        assets = args.assets or root / ASSETS
        try:
            check, summary = args.check, args.summary
            return self.run(root, source, assets, cache, check, summary)
        except (InputError, WriteError) as error:
            print(error, file=sys.stderr)
            return 2


# -- Writing and checking -----------------------------------------------------


class Output(NamedTuple):  # one built SVG, and where it goes
    path: Path
    name: str  # the path as the data names it
    data: bytes
    origin: str  # what it is drawn from, as messages show it
    explain: Callable[[bytes], list[str]] | None = None  # why old is stale


class Changes(NamedTuple):
    stale: int  # or missing
    orphaned: int


def _drop(path: Path, root: Path, check: bool, state: str, why: str) -> None:
    """Remove a file that should not be there; with ``check``, list it."""
    name = shown(path, root)
    if check:
        print(f"{state}: {name} ({why})")
        return
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        raise WriteError(f"cannot remove {name}: {reason(exc, root)}") from None
    print(f"removed {name} ({why})")


def sync(
    outputs: Sequence[Output], root: Path, assets: Path, check: bool,
    *, marker: str, script: str, gone: str,
) -> Changes:
    """Write each output whose bytes changed, and remove the orphans: SVGs
    under ``assets`` with ``marker`` (``script``'s) in their first KB that
    are no output; ``gone`` says why. With ``check``, only list them."""
    stale = 0
    for output in outputs:
        try:
            old: bytes | None = output.path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            old = None
        except OSError as exc:
            why = reason(exc, root)
            raise WriteError(f"cannot read {output.name}: {why}") from None
        if old == output.data:
            continue
        stale += 1
        if not check:
            try:
                output.path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(output.path, output.data)
            except OSError as exc:
                why = reason(exc, root)
                raise WriteError(f"cannot write {output.name}: {why}") from None
            print(f"wrote {output.name} ({len(output.data) / 1024:.1f} KB)")
            continue
        state = "missing" if old is None else "stale"
        print(f"{state}: {output.name} ({output.origin})")
        if old is not None and output.explain is not None:
            print("\n".join(output.explain(old)))
    made = {output.path.resolve() for output in outputs}
    orphaned = orphans(assets, made, marker)
    why = f"generated by {script}, {gone}" if check else gone
    for path in orphaned:
        _drop(path, root, check, "orphaned", why)
    return Changes(stale, len(orphaned))


def orphans(assets: Path, outputs: set[Path], marker: str) -> list[Path]:
    """SVGs under ``assets``, not in ``outputs``, that start with ``marker``."""
    found = []
    for path in sorted(assets.rglob("*.svg")):
        if path.resolve() in outputs or not path.is_file():
            continue
        try:
            head = path.read_bytes()[:1024]
        except OSError as exc:
            name = shown(path, assets.parent)
            raise WriteError(f"cannot read {name}: {exc.strerror}") from None
        if marker.encode() in head:
            found.append(path)
    return found


def verdict(
    changes: Changes, built: Sequence[bytes], noun: str, check: bool,
    summary: Callable[[], None] | None = None,
) -> int:
    """Print the outcome; the exit code. ``summary`` prints when up to date."""
    if check and (changes.stale or changes.orphaned):
        count = changes.stale + changes.orphaned
        out_of_date = f"{count} {noun}(s) out of date: run `make assets`"
        print(out_of_date, file=sys.stderr)
        return 1
    if summary is not None:
        summary()
    total = sum(len(data) for data in built) / 1024
    written = "" if check else f", {changes.stale} written"
    print(f"{len(built)} {noun}s up to date ({total:.1f} KB in all{written})")
    return 0


# -- What every generator makes, before any makes it -------------------------


class Claim(NamedTuple):  # an output a generator makes, and where it says so
    path: Path  # resolved: two spellings of one file are one claim
    name: str  # as the line spells it
    cite: str  # "file:line"

    @classmethod
    def of(cls, root: Path, name: str, file: str, line: int) -> "Claim":
        return cls((root / name).resolve(), name, f"{file}:{line}")


def claims_in_code(
    module: Path, names: Iterable[str], root: Path
) -> list[Claim]:
    """Claims of outputs a module names in its code, as string literals."""
    lines = module.read_text(encoding="utf-8").splitlines()

    def line(name: str) -> int:
        return next((n for n, t in enumerate(lines, 1) if f'"{name}"' in t), 1)

    return [Claim.of(root, n, shown(module, ROOT), line(n)) for n in names]


def shared(claims: Iterable[tuple[str, Claim]]) -> list[tuple[str, str, str]]:
    """Outputs claimed twice, from (owner, claim) pairs in run order:
    (first owner, second owner, a message citing both lines)."""
    first: dict[Path, tuple[str, Claim]] = {}
    found = []
    for owner, claim in claims:
        earlier, before = first.setdefault(claim.path, (owner, claim))
        if before is not claim:
            also = f"{claim.name} is also made by {before.cite}"
            found.append((earlier, owner, f"{claim.cite}: {also}"))
    return found


def sweep(assets: Path, root: Path, check: bool) -> int:
    """Remove (with ``check``, list) leftover temporary files; how many."""
    found = leftovers(assets)
    for path in found:
        why = "a temporary file of an interrupted build"
        _drop(path, root, check, "leftover", why)
    return len(found)

