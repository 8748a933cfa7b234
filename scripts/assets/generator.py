"""What the picture generators share: their command line, and writing (or
with --check, verifying) their SVGs under assets/.

Exit codes: 0 up to date, 1 stale (--check), 2 bad input.
"""

import argparse
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from scripts.exceptions import InputError, WriteError
from scripts.files import leftovers, reason, shown, write_atomic

ROOT = Path(__file__).resolve().parents[2]
ASSETS = Path("assets")
EPILOG = "Exit codes: 0 up to date, 1 stale (--check), 2 bad input."
ROOT_HELP = "the repository root (default: %(default)s)"
ROOT_IS_BASE = (
    "the repository root; other paths are relative to it "
    "(default: %(default)s)"
)


# -- The command line ---------------------------------------------------------


def add_root(parser: argparse.ArgumentParser, help: str = ROOT_HELP) -> None:
    """Add ``--root``, the repository root."""
    parser.add_argument("--root", type=Path, default=ROOT, help=help)


class Run(Protocol):
    """A generator's build: (root, source, assets, cache, check, summary)."""

    def __call__(
        self,
        root: Path,
        source: Path,
        assets: Path,
        cache: Path | None,
        check: bool,
        summary: bool,
        /,
    ) -> int: ...


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
        result = argparse.ArgumentParser(
            prog=self.prog,
            description=(self.doc or "").split("\n\n")[0],
            epilog=EPILOG,
        )
        result.add_argument(
            "--check",
            action="store_true",
            help=f"write nothing; fail if {_article(noun)} {noun} is stale, "
            "missing or orphaned",
        )
        add_root(result, self.root_help)
        if self.option is not None:
            result.add_argument(
                self.option,
                dest="source",
                metavar=self.option.removeprefix("--").upper(),
                type=Path,
                help=f"default: ROOT/{self.source}",
            )
        result.add_argument(
            "--assets",
            type=Path,
            help=f"where orphans are looked for (default: ROOT/{ASSETS})",
        )
        result.add_argument(
            "--cache-dir",
            type=Path,
            help=self.cache_help
            or f"font cache (default: ROOT/{self.cache}); "
            "--check may fill it too",
        )
        result.set_defaults(source=None, no_cache=False, summary=False)
        if self.summary:
            result.add_argument(
                "--no-cache",
                action="store_true",
                help="use no font cache on disk",
            )
            result.add_argument(
                "--summary",
                action="store_true",
                help=f"also print a Markdown table of the {noun}s",
            )
        return result

    def main(self, argv: Sequence[str] | None, run: Run) -> int:
        """Parse ``argv`` and ``run``; on bad input, say why and return 2."""
        args = self.parser().parse_args(argv)
        root: Path = args.root
        try:
            return run(
                root,
                args.source or root / self.source,
                args.assets or root / ASSETS,
                None if args.no_cache else args.cache_dir or root / self.cache,
                args.check,
                args.summary,
            )
        except (InputError, WriteError) as error:
            print(error, file=sys.stderr)
            return 2


def _article(noun: str) -> str:
    return "an" if noun[:1] in "aeiou" else "a"


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
        try:
            old: bytes | None = output.path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            old = None
        except OSError as exc:
            raise WriteError(
                f"cannot read {output.name}: {reason(exc, root)}"
            ) from None
        if old == output.data:
            continue
        stale += 1
        if check:
            state = "missing" if old is None else "stale"
            print(f"{state}: {output.name} ({output.origin})")
            if old is not None and output.explain is not None:
                print("\n".join(output.explain(old)))
        else:
            try:
                output.path.parent.mkdir(parents=True, exist_ok=True)
                write_atomic(output.path, output.data)
            except OSError as exc:
                raise WriteError(
                    f"cannot write {output.name}: {reason(exc, root)}"
                ) from None
            print(f"wrote {output.name} ({len(output.data) / 1024:.1f} KB)")
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
        raise WriteError(
            f"cannot remove {shown(path, root)}: {reason(exc, root)}"
        ) from None


def orphans(assets: Path, outputs: set[Path], marker: str) -> list[Path]:
    """SVGs under ``assets``, not in ``outputs``, that start with ``marker``."""
    found = []
    mark = marker.encode()
    for path in sorted(assets.rglob("*.svg")):
        if path.resolve() in outputs or not path.is_file():
            continue
        try:
            with path.open("rb") as file:
                head = file.read(1024)
        except OSError as exc:
            raise WriteError(
                f"cannot read {shown(path, assets.parent)}: {exc.strerror}"
            ) from None
        if mark in head:
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
        print(
            f"{changes.stale + changes.orphaned} {noun}(s) out of date: "
            "run `make assets`",
            file=sys.stderr,
        )
        return 1
    if summary is not None:
        summary()
    total = sum(len(data) for data in built)
    written = "" if check else f", {changes.stale} written"
    print(
        f"{len(built)} {noun}s up to date "
        f"({total / 1024:.1f} KB in all{written})"
    )
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
    cited = shown(module, ROOT)
    found = []
    for name in names:
        line = next(
            (n for n, text in enumerate(lines, 1) if f'"{name}"' in text), 1
        )
        found.append(Claim.of(root, name, cited, line))
    return found


def shared(claims: Iterable[tuple[str, Claim]]) -> list[tuple[str, str, str]]:
    """Outputs claimed twice: (first owner, second owner, message).

    ``claims`` are (owner, claim) pairs in run order; the message cites the
    second claim's line, and names the first's.
    """
    first: dict[Path, tuple[str, Claim]] = {}
    found = []
    for owner, claim in claims:
        if claim.path not in first:
            first[claim.path] = (owner, claim)
            continue
        earlier, before = first[claim.path]
        found.append(
            (
                earlier,
                owner,
                f"{claim.cite}: {claim.name} is also made by {before.cite}",
            )
        )
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
