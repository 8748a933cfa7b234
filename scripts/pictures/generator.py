"""Build (or --check) every generated picture under assets/; what the
generators share: their command line, writing SVGs, removing orphans."""

import contextlib
import io
import sys
from argparse import ArgumentParser
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import NamedTuple, Protocol

from scripts.common import (
    ROOT,
    InputError,
    WriteError,
    leftovers,
    reason,
    shown,
    write_atomic,
)
from scripts.pictures.manifest import load_manifest

ASSETS = Path("assets")
MANIFEST = Path("scripts/pictures/code_images.toml")  # their font is in it
GENERATORS = (  # run order
    "code_images", "charts", "pictures", "transcripts", "results",
)
EPILOG = "Exit codes: 0 up to date, 1 stale (--check), 2 bad input."

# A generator's build: (root, source, assets, cache, check, unused) -> exit.
Run = Callable[[Path, Path, Path, Path | None, bool], int]


def parser(module: str, fails: str = "", **paths: str) -> ArgumentParser:
    """``python -m module``'s parser: --root, ``paths`` (name=help), and
    --check if it ``fails`` on something."""
    found = sys.modules[module]
    result = ArgumentParser(
        prog=f"python -m {getattr(found.__spec__, 'name', module)}",
        description=(found.__doc__ or "").split("\n\n")[0],
    )
    root = "the repository root, base of other paths (default: %(default)s)"
    result.add_argument("--root", type=Path, default=ROOT, help=root)
    for name, help in paths.items():
        result.add_argument(f"--{name.replace('_', '-')}", type=Path, help=help)
    if fails:
        result.epilog = EPILOG
        help = f"write nothing; fail if {fails}"
        result.add_argument("--check", action="store_true", help=help)
    return result


@dataclass(frozen=True)
class Main:  # a generator's main
    run: Run
    source: Path
    cache: Path

    def __call__(self, argv: Sequence[str] | None = None) -> int:
        help = f"font cache (default: ROOT/{self.cache})"
        fails = "any is stale or orphaned"
        cli = parser(self.run.__module__, fails, cache_dir=help)
        args = cli.parse_args(argv)
        root, source = args.root, args.root / self.source
        cache, assets = args.cache_dir or root / self.cache, root / ASSETS
        try:
            return self.run(root, source, assets, cache, args.check)
        except (InputError, WriteError) as error:
            print(error, file=sys.stderr)
            return 2


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
    outputs: Sequence[Output],
    root: Path,
    assets: Path,
    check: bool,
    *,
    marker: str,
    script: str,
    gone: str,
) -> Changes:
    """Write the changed outputs; remove the SVGs under ``assets`` with
    ``marker`` in their first KB that are none. ``check``: only list."""
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
    orphaned = []
    for path in sorted(assets.rglob("*.svg")):
        if path.resolve() in made or not path.is_file():
            continue
        try:
            head = path.read_bytes()[:1024]
        except OSError as exc:
            name = shown(path, assets.parent)
            raise WriteError(f"cannot read {name}: {exc.strerror}") from None
        if marker.encode() in head:
            orphaned.append(path)
    why = f"generated by {script}, {gone}" if check else gone
    for path in orphaned:
        _drop(path, root, check, "orphaned", why)
    return Changes(stale, len(orphaned))


def verdict(
    changes: Changes,
    built: Sequence[bytes],
    noun: str,
    check: bool,
) -> int:
    """Print the outcome; the exit code."""
    if check and (count := changes.stale + changes.orphaned):
        message = f"{count} {noun}(s) out of date: run `make assets`"
        print(message, file=sys.stderr)
        return 1
    total = sum(len(data) for data in built) / 1024
    written = "" if check else f", {changes.stale} written"
    print(f"{len(built)} {noun}s up to date ({total:.1f} KB in all{written})")
    return 0


class Claim(NamedTuple):  # an output a generator makes, and where it says so
    path: Path  # resolved: two spellings of one file are one claim
    name: str  # as the line spells it
    cite: str  # "file:line"

    @classmethod
    def of(cls, root: Path, name: str, file: str, line: int) -> "Claim":
        return cls((root / name).resolve(), name, f"{file}:{line}")

    @classmethod
    def each(
        cls, root: Path, file: str, entries: Sequence["Entry"]
    ) -> list["Claim"]:
        """The ``output`` of each entry, at the line that names it."""
        return [cls.of(root, e.output, file, e.cite("output")) for e in entries]


class Entry(Protocol):  # a manifest entry that writes one output
    @property
    def output(self) -> str: ...

    def cite(self, key: str = "") -> int: ...


def claims(module: ModuleType, root: Path) -> list[Claim]:
    """What ``module`` would write, from its input (charts: from its code;
    they read the manifest's font)."""
    if hasattr(module, "claims"):
        found: list[Claim] = module.claims(root)
        return found
    load_manifest(root / MANIFEST, root)
    path = Path(str(module.__file__))
    lines = path.read_text(encoding="utf-8").splitlines()
    found = []
    for name in (str(picture.output) for picture in module.PICTURES):
        line = next((n for n, t in enumerate(lines, 1) if f'"{name}"' in t), 1)
        found.append(Claim.of(root, name, shown(path, ROOT), line))
    return found


def refused(
    modules: dict[str, ModuleType], root: Path, said: dict[str, None]
) -> set[str]:
    """The generators whose input does not load or that claim one output
    (why goes in ``said``)."""
    skipped: set[str] = set()
    first: dict[Path, tuple[str, Claim]] = {}
    for name, module in modules.items():
        try:
            found = claims(module, root)
        except InputError as error:
            said[str(error)] = None
            skipped.add(name)
            continue
        for claim in found:
            earlier, before = first.setdefault(claim.path, (name, claim))
            if before is not claim:
                also = f"{claim.name} is also made by {before.cite}"
                said[f"{claim.cite}: {also}"] = None
                skipped |= {earlier, name}
    return skipped


def main(argv: Sequence[str] | None = None) -> int:
    """Run every generator; the worst exit code wins (2 bad input, 1 stale)."""
    stale = "any picture is stale or a temporary file is left"
    cli = parser(__name__, stale)
    cli.prog = "python -m scripts.pictures"
    args = cli.parse_args(argv)
    root: Path = args.root
    said: dict[str, None] = {}  # each error once, in order
    modules = {n: import_module(f"scripts.pictures.{n}") for n in GENERATORS}
    skipped = refused(modules, root, said)
    print(*said, sep="\n", file=sys.stderr, end="\n" if said else "")
    worst = 2 if said else 0
    try:
        left = leftovers(root / ASSETS)
        for path in left:
            why = "a temporary file of an interrupted build"
            _drop(path, root, args.check, "leftover", why)
    except WriteError as error:
        print(error, file=sys.stderr)
        left, worst = [], 2
    if left and args.check:
        message = f"{len(left)} leftover temporary file(s): run `make assets`"
        print(message, file=sys.stderr)
        worst = max(worst, 1)
    common = ["--root", str(root), *["--check"] * args.check]
    for name in [name for name in GENERATORS if name not in skipped]:
        errors = io.StringIO()
        try:
            with contextlib.redirect_stderr(errors):
                worst = max(worst, modules[name].main(common))
        finally:  # one cause (a font cache) is said once
            lines = errors.getvalue().splitlines()
            new = [*dict.fromkeys(e for e in lines if e not in said)]
            said |= dict.fromkeys(new)
            print(*new, sep="\n", file=sys.stderr, end="\n" if new else "")
    return worst
