"""What the picture generators share: their command line, and writing (or
with --check, verifying) their SVGs under assets/.

Exit codes: 0 up to date, 1 stale (--check), 2 bad input.
"""

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from scripts.exceptions import InputError, WriteError
from scripts.files import leftovers, reason, shown, write_atomic

ROOT = Path(__file__).resolve().parents[2]
ASSETS = Path("assets")
EPILOG = "Exit codes: 0 up to date, 1 stale (--check), 2 bad input."
ROOT_HELP = "the repository root (default: %(default)s)"
ROOT_IS_BASE = (
    "the repository root; other paths are relative to it (default: %(default)s)"
)

# A generator's build: (root, source, assets, cache, check, summary) -> exit.
Run = Callable[[Path, Path, Path, Path | None, bool, bool], int]


def add_root(parser: argparse.ArgumentParser, help: str = ROOT_HELP) -> None:
    """Add ``--root``, the repository root."""
    parser.add_argument("--root", type=Path, default=ROOT, help=help)


@dataclass(frozen=True)
class Command:
    """A generator's command line; ``noun`` is what it makes ("image").

    ``source`` (the input file) and ``cache`` (the font cache) are defaults
    under the root; ``option`` lets the user name another source. Without
    ``summary`` there is no --no-cache nor --summary.
    """

    prog: str
    doc: str | None
    noun: str
    source: Path
    cache: Path
    option: str | None = None
    cache_help: str | None = None
    root_help: str = ROOT_IS_BASE
    summary: bool = True

    def parser(self) -> argparse.ArgumentParser:
        """The options, with their help."""
        noun = self.noun
        article = "an" if noun[:1] in "aeiou" else "a"
        result = argparse.ArgumentParser(
            prog=self.prog,
            description=(self.doc or "").split("\n\n")[0],
            epilog=EPILOG,
        )
        flag = partial(result.add_argument, action="store_true")
        path = partial(result.add_argument, type=Path)
        flag(
            "--check",
            help=f"write nothing; fail if {article} {noun} is "
            "stale, missing or orphaned",
        )
        add_root(result, self.root_help)
        if self.option is not None:
            metavar = self.option.removeprefix("--").upper()
            path(
                self.option,
                dest="source",
                metavar=metavar,
                help=f"default: ROOT/{self.source}",
            )
        path(
            "--assets",
            help=f"where orphans are looked for (default: ROOT/{ASSETS})",
        )
        path(
            "--cache-dir",
            help=self.cache_help
            or f"font cache (default: "
            f"ROOT/{self.cache}); --check may fill it too",
        )
        result.set_defaults(source=None, no_cache=False, summary=False)
        if self.summary:
            flag("--no-cache", help="use no font cache on disk")
            flag(
                "--summary", help=f"also print a Markdown table of the {noun}s"
            )
        return result

    def main(self, argv: Sequence[str] | None, run: Run) -> int:
        """Parse ``argv`` and ``run``; on bad input, say why and return 2."""
        args = self.parser().parse_args(argv)
        root: Path = args.root
        cache = None if args.no_cache else args.cache_dir or root / self.cache
        try:
            return run(
                root,
                args.source or root / self.source,
                args.assets or root / ASSETS,
                cache,
                args.check,
                args.summary,
            )
        except (InputError, WriteError) as error:
            print(error, file=sys.stderr)
            return 2


# -- Writing and checking -----------------------------------------------------


@dataclass(frozen=True)
class Output:
    """One built SVG, and where it goes."""

    path: Path
    name: str  # the path as the data names it
    data: bytes
    origin: str  # what it is drawn from, as messages show it
    explain: Callable[[bytes], list[str]] | None = None  # why old is stale


@dataclass(frozen=True)
class Changes:
    """What a build found out of date."""

    stale: int  # stale or missing
    orphaned: int


def _read(path: Path, name: str, root: Path) -> bytes | None:
    """The bytes of ``path``, None if it is missing."""
    try:
        return path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise WriteError(f"cannot read {name}: {reason(exc, root)}") from None


def _write(output: Output, root: Path) -> None:
    try:
        output.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(output.path, output.data)
    except OSError as exc:
        why = reason(exc, root)
        raise WriteError(f"cannot write {output.name}: {why}") from None
    print(f"wrote {output.name} ({len(output.data) / 1024:.1f} KB)")


def sync(
    outputs: Sequence[Output],
    root: Path,
    assets: Path,
    check: bool,
    *,
    marker: str,
    script: str,
    gone: str,
) -> Changes:
    """Write each output whose bytes changed, and remove orphans.

    With ``check`` it only lists them. An orphan is an SVG under ``assets``
    that ``script`` generated (its ``marker`` is in the first KB) but no
    longer makes; ``gone`` says why, as in "not in the manifest".
    """
    stale = 0
    for output in outputs:
        old = _read(output.path, output.name, root)
        if old == output.data:
            continue
        stale += 1
        if not check:
            _write(output, root)
            continue
        state = "missing" if old is None else "stale"
        print(f"{state}: {output.name} ({output.origin})")
        if old is not None and output.explain is not None:
            print("\n".join(output.explain(old)))
    made = {output.path.resolve() for output in outputs}
    orphaned = orphans(assets, made, marker)
    for path in orphaned:
        if check:
            why = f"generated by {script}, {gone}"
            print(f"orphaned: {shown(path, root)} ({why})")
        else:
            remove(path, root)
            print(f"removed {shown(path, root)} ({gone})")
    return Changes(stale, len(orphaned))


def remove(path: Path, root: Path) -> None:
    """Delete ``path``; a WriteError if it cannot be."""
    try:
        path.unlink(missing_ok=True)
    except OSError as exc:
        why = reason(exc, root)
        raise WriteError(f"cannot remove {shown(path, root)}: {why}") from None


def orphans(assets: Path, outputs: set[Path], marker: str) -> list[Path]:
    """SVGs under ``assets``, not in ``outputs``, that start with ``marker``."""
    found = []
    for path in sorted(assets.rglob("*.svg")):
        if path.resolve() in outputs or not path.is_file():
            continue
        try:
            with path.open("rb") as file:
                head = file.read(1024)
        except OSError as exc:
            name = shown(path, assets.parent)
            raise WriteError(f"cannot read {name}: {exc.strerror}") from None
        if marker.encode() in head:
            found.append(path)
    return found


def verdict(
    changes: Changes,
    built: Sequence[bytes],
    noun: str,
    check: bool,
    summary: Callable[[], None] | None = None,
) -> int:
    """Print the outcome; the exit code. ``summary`` prints when up to date."""
    if check and (changes.stale or changes.orphaned):
        count = changes.stale + changes.orphaned
        print(
            f"{count} {noun}(s) out of date: run `make assets`", file=sys.stderr
        )
        return 1
    if summary is not None:
        summary()
    total = sum(len(data) for data in built) / 1024
    written = "" if check else f", {changes.stale} written"
    print(f"{len(built)} {noun}s up to date ({total:.1f} KB in all{written})")
    return 0


# -- What every generator makes, before any makes it -------------------------


@dataclass(frozen=True)
class Claim:
    """An output a generator makes, and the line that says so."""

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
    found = []
    for name in names:
        quoted = f'"{name}"'
        line = next((n for n, t in enumerate(lines, 1) if quoted in t), 1)
        found.append(Claim.of(root, name, shown(module, ROOT), line))
    return found


def shared(claims: Iterable[tuple[str, Claim]]) -> list[tuple[str, str, str]]:
    """Outputs claimed twice: (first owner, second owner, message).

    ``claims`` are (owner, claim) pairs in run order; the message cites the
    second claim's line, and names the first's.
    """
    first: dict[Path, tuple[str, Claim]] = {}
    found = []
    for owner, claim in claims:
        earlier, before = first.setdefault(claim.path, (owner, claim))
        if before is not claim:
            message = (
                f"{claim.cite}: {claim.name} is also made by {before.cite}"
            )
            found.append((earlier, owner, message))
    return found


def sweep(assets: Path, root: Path, check: bool) -> int:
    """Remove (with ``check``, list) leftover temporary files; how many."""
    found = leftovers(assets)
    why = "a temporary file of an interrupted build"
    for path in found:
        if check:
            print(f"leftover: {shown(path, root)} ({why})")
        else:
            remove(path, root)
            print(f"removed {shown(path, root)} ({why})")
    return len(found)
