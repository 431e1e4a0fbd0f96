"""Lockfiles made of TOML ``[[package]]`` blocks sorted by name: uv.lock (and Cargo.lock).

Every block but the project's own is the same wherever it appears, so each is guarded
by the combinations that have it. The project's own block lists the project's
dependencies, which depend on the answers, and it sorts by the project's name, which
is the user's: it becomes a macro whose list items are guarded, called in every gap
between two package names under the condition that the project's name sorts there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from lockfiles.core import Combo, LockError, Solver

SEPARATOR = "\n\n[[package]]\n"
_NAME = re.compile(r'^name = "([^"]+)"$', re.M)
_VERSION = re.compile(r'^version = "([^"]+)"$', re.M)


@dataclass(frozen=True)
class Block:
    """One [[package]] block, with the blank line in front of it."""

    name: str
    version: str
    text: str


@dataclass(frozen=True)
class PackageLock:
    header: str
    packages: tuple[Block, ...]
    project: str  # the project's own block


def parse(text: str, project: str) -> PackageLock:
    """Split a lockfile into its header, the packages and the block named ``project``."""
    # Blocks are separated by blank lines; the file's final newline ends no block.
    header, *bodies = text.removesuffix("\n").split(SEPARATOR)
    packages, own = [], ""
    for body in bodies:
        name, version = _NAME.search(body), _VERSION.search(body)
        if not (name and version):
            raise LockError(f"unexpected package block:\n{body[:300]}")
        block = SEPARATOR[1:] + body
        if name.group(1) == project:
            own = block
        else:
            packages.append(Block(name.group(1), version.group(1), block))
    if not own:
        raise LockError(f"no block for the project {project}")
    return PackageLock(header, tuple(packages), own)


def without_project(text: str, project: str) -> str:
    """The lockfile without the project's own block.

    A lock tool leaves a lockfile that is up to date as it is, in whatever order it is
    written; without the project's block it writes the file anew, keeping the version
    of every other package.
    """
    header, *bodies = text.removesuffix("\n").split(SEPARATOR)
    kept = [body for body in bodies if f'\nname = "{project}"\n' not in f"\n{body}\n"]
    return SEPARATOR.join([header, *kept]) + "\n"


def template(
    locks: dict[Combo, PackageLock],
    solver: Solver,
    project: str,
    name_expr: str,
    version_key: Callable[[str], object],
) -> str:
    """The lockfile template: the project's macro, the header, then every package in
    order, with the project's block in each gap between two names."""
    has: dict[str, set[Combo]] = {}
    blocks: dict[str, Block] = {}
    for combo, lock in locks.items():
        for block in lock.packages:
            blocks[block.text] = block
            has.setdefault(block.text, set()).add(combo)
    ordered = sorted(blocks.values(), key=lambda b: (b.name, version_key(b.version), b.text))

    headers: dict[str, set[Combo]] = {}
    for combo, lock in locks.items():
        headers.setdefault(lock.header, set()).add(combo)
    by_size = sorted(headers.items(), key=lambda item: -len(item[1]))

    out = [
        *_macro(locks, solver, project, name_expr),
        *solver.choose((combos, [header]) for header, combos in by_size),
    ]
    previous = ""
    for block in ordered:
        if block.name != previous:
            out += _slot(name_expr, previous, block.name)
            previous = block.name
        out += solver.guarded([(block.text, has[block.text])])
    out += _slot(name_expr, previous, "")
    return "\n".join(out) + "\n"


def _macro(
    locks: dict[Combo, PackageLock], solver: Solver, project: str, name_expr: str
) -> list[str]:
    """The project's block as a macro, each list item guarded by the combinations that
    have it. Every combination's block has the same unindented lines; the items below
    each are merged in the order the tool writes them (by name)."""
    structures = {combo: _structure(lock.project) for combo, lock in locks.items()}
    skeletons = {tuple(line for line, _ in parts) for parts in structures.values()}
    if len(skeletons) != 1:
        raise LockError("the project's blocks differ beyond their list items")
    every = set(locks)
    chunks: list[tuple[str, set[Combo]]] = []
    for index, line in enumerate(next(iter(skeletons))):
        chunks.append((line, every))
        items: dict[str, set[Combo]] = {}
        for combo, parts in structures.items():
            for item in parts[index][1]:
                items.setdefault(item, set()).add(combo)
        chunks += sorted(items.items())
    named = [
        (text.replace(f'"{project}"', f'"{{{{ {name_expr} }}}}"'), combos)
        for text, combos in chunks
    ]
    return ["{% macro project() %}", *solver.guarded(named), "{% endmacro %}"]


def _structure(block: str) -> list[tuple[str, list[str]]]:
    """The block's lines: each unindented line with the indented list items after it."""
    parts: list[tuple[str, list[str]]] = []
    for line in block.split("\n"):
        if line[:1].isspace() and parts:
            parts[-1][1].append(line)
        else:
            parts.append((line, []))
    return parts


def _slot(name_expr: str, after: str, before: str) -> list[str]:
    """The project's block, where its name sorts between two package names."""
    bounds = [f"{name_expr} > '{after}'"] if after else []
    bounds += [f"{name_expr} < '{before}'"] if before else []
    return [f"{{% if {' and '.join(bounds)} %}}", "{{ project() -}}", "{% endif %}"]
