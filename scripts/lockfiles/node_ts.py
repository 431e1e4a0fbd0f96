"""The Node stack's lockfile: package-lock.json, as `npm install --package-lock-only` writes it.

package.json.jinja pins the direct dependencies; npm chooses the rest. Resolution starts
from the package-lock.json the template renders today, so a version moves only where a
pin moved, unless --upgrade asks npm for the newest of everything.

The lockfile is JSON: the root package's entry (its dependencies depend on the answers)
and one entry per installed package, in npm's order. Each entry is a chunk that starts
with the line closing the entry before it (`    },`), so that a guarded entry carries
its own comma; the last entry's closing line follows, unguarded. The root entry's maps
of one-line dependencies are picked whole. The package's name is the npm_package
answer; its license mirrors package.json's.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from lockfiles.core import (
    REPO_ROOT,
    Adapter,
    Combo,
    LockError,
    Locks,
    Solver,
    failure,
    parallel,
    run,
)

# The Node the projects ask for (package.json's engines) may not be the machine's.
sys.path.insert(0, str(REPO_ROOT / "tests"))
from nodes import node_env

LOCKFILE = "package-lock.json"
_CLOSE = "    },"
# The root entry's fields that the template writes itself, with the answers it takes.
_NAME = '"name": "{{ npm_package }}",'
_LICENSE = (
    "{% if license != 'Proprietary' %}\n"
    '      "license": "{{ license }}",\n'
    "{% else %}\n"
    '      "license": "UNLICENSED",\n'
    "{% endif %}"
)


def _npm() -> tuple[str, dict[str, str]]:
    npm = shutil.which("npm")
    if npm is None:
        raise LockError("npm is required (Node.js)")
    try:
        env = node_env(dict(os.environ))
    except AssertionError as error:
        raise LockError(str(error)) from None
    env = {
        **env,
        "npm_config_audit": "false",
        "npm_config_fund": "false",
        "npm_config_update_notifier": "false",
    }
    return npm, env


def resolve(projects: Mapping[Combo, Path], name: str, upgrade: bool) -> Locks:
    npm, env = _npm()

    def one(project: Path) -> dict[str, str]:
        lock = project / LOCKFILE
        if upgrade:
            lock.unlink(missing_ok=True)
        run([npm, "install", "--package-lock-only", "--ignore-scripts"], project, env)
        return {LOCKFILE: lock.read_text()}

    return dict(zip(projects, parallel(one, projects.values()), strict=True))


def _entries(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """The root entry's lines (without its closing line) and every other entry, as
    (key, lines without the closing line), in the file's order."""
    lines = text.splitlines()
    try:
        start = lines.index('    "": {')
        end = lines.index("  }", start)
    except ValueError:
        raise LockError(f"unexpected {LOCKFILE} layout:\n{text[:300]}") from None
    body = lines[start:end]
    entries: list[list[str]] = [[]]
    for line in body:
        if line == _CLOSE:
            entries.append([])
        else:
            entries[-1].append(line)
    if body[-1] != "    }":
        raise LockError(f"unexpected end of the packages in {LOCKFILE}")
    entries[-1].pop()
    root, *rest = entries
    packages = []
    for entry in rest:
        key = json.loads("{" + entry[0].strip() + "}}")
        packages.append((next(iter(key)), "\n".join(entry)))
    return root, packages


def _merged_order(orders: list[list[str]]) -> list[str]:
    """Every key once, each before the keys it comes before in any of ``orders``."""
    after: dict[str, set[str]] = {}
    first_seen: dict[str, int] = {}
    for order in orders:
        for i, key in enumerate(order):
            first_seen.setdefault(key, len(first_seen))
            after.setdefault(key, set())
            if i:
                after[key].add(order[i - 1])
    result: list[str] = []
    done: set[str] = set()
    while len(result) < len(after):
        ready = [k for k in after if k not in done and after[k] <= done]
        if not ready:
            raise LockError(f"the combinations order the packages of {LOCKFILE} differently")
        key = min(ready, key=first_seen.__getitem__)
        result.append(key)
        done.add(key)
    return result


def _block(lines: list[str], opening: str) -> tuple[int, int]:
    """Where the root entry's map that ``opening`` starts begins and ends (exclusive)."""
    begin = lines.index(opening)
    return begin, lines.index("      },", begin) + 1


def _root_template(roots: Mapping[Combo, list[str]], solver: Solver, name: str) -> list[str]:
    """The root entry: its fixed lines, with the name and license from the answers, and
    its maps of dependencies each picked whole."""
    out = list(next(iter(roots.values())))
    for opening in ('      "dependencies": {', '      "devDependencies": {'):
        variants: dict[tuple[str, ...], set[Combo]] = {}
        for combo, lines in roots.items():
            begin, end = _block(lines, opening)
            variants.setdefault(tuple(lines[begin:end]), set()).add(combo)
        begin, end = _block(out, opening)
        out[begin:end] = solver.choose((combos, list(block)) for block, combos in variants.items())
    return [
        f"      {_NAME}"
        if line == f'      "name": "{name}",'
        else _LICENSE
        if line.startswith('      "license": ')
        else line
        for line in out
    ]


def templates(locks: Locks, solver: Solver, name: str) -> dict[str, str]:
    parsed = {combo: _entries(files[LOCKFILE]) for combo, files in locks.items()}
    heads = {tuple(files[LOCKFILE].splitlines()[:6]) for files in locks.values()}
    if len(heads) != 1:
        raise LockError(f"the combinations start {LOCKFILE} differently: {heads}")
    head = [line.replace(f'"name": "{name}",', _NAME) for line in next(iter(heads))[:5]] + [
        '  "packages": {'
    ]
    roots = {combo: root for combo, (root, _) in parsed.items()}
    order = _merged_order([[key for key, _ in packages] for _, packages in parsed.values()])
    chunks: list[tuple[str, set[Combo]]] = []
    for key in order:
        variants: dict[str, set[Combo]] = {}
        for combo, (_, packages) in parsed.items():
            for entry_key, text in packages:
                if entry_key == key:
                    variants.setdefault(text, set()).add(combo)
        chunks += [(f"{_CLOSE}\n{text}", combos) for text, combos in variants.items()]
    lines = [
        *head,
        *_root_template(roots, solver, name),
        *solver.guarded(chunks),
        "    }",
        "  }",
        "}",
    ]
    return {LOCKFILE: "\n".join(lines) + "\n"}


def frozen(project: Path) -> str | None:
    npm, env = _npm()
    return failure([npm, "ci", "--dry-run", "--ignore-scripts"], project, env)


ADAPTER = Adapter(
    stack="node-ts",
    lockfiles=(LOCKFILE,),
    tool="npm install --package-lock-only",
    pins="package.json.jinja",
    resolve=resolve,
    templates=templates,
    frozen=frozen,
)
