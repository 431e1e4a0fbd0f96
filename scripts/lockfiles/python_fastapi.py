"""The Python (FastAPI) stack's lockfile: uv.lock, as `uv lock` writes it.

pyproject.toml.jinja pins the direct dependencies; uv chooses the rest. Resolution
starts from the uv.lock the template renders today, so a version moves only where a
pin moved, unless --upgrade asks uv for the newest of everything. The combinations
must agree on every package they share. The project's own block sorts by the
project's name, so every combination is checked under a name that sorts first and one
that sorts last too.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from packaging.version import Version

from lockfiles import packages
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

# The interpreter the toolchain tests give uv: pyenv's shims on PATH fail for a version
# that is not the active one.
sys.path.insert(0, str(REPO_ROOT / "tests"))
from pythons import find_python


def _uv() -> tuple[str, dict[str, str]]:
    """The uv command and its environment: a Python 3.12+ and no interpreter downloads."""
    beside = Path(sys.executable).parent / "uv"
    uv = str(beside) if beside.exists() else shutil.which("uv")
    if uv is None:
        raise LockError("uv is required: pip install -e '.[test]'")
    python = find_python()
    if python is None:
        raise LockError("uv needs a Python 3.12 or newer: set UV_PYTHON to one")
    return uv, {**os.environ, "UV_PYTHON": python, "UV_PYTHON_DOWNLOADS": "never"}


def resolve(projects: Mapping[Combo, Path], name: str, upgrade: bool) -> Locks:
    uv, env = _uv()

    def one(project: Path) -> dict[str, str]:
        lock = project / "uv.lock"
        if lock.exists() and not upgrade:
            lock.write_text(packages.without_project(lock.read_text(), name))
        else:
            lock.unlink(missing_ok=True)
        run([uv, "lock", "--quiet"], project, env)
        return {"uv.lock": lock.read_text()}

    return dict(zip(projects, parallel(one, projects.values()), strict=True))


def _check_agreement(locks: Mapping[Combo, packages.PackageLock]) -> None:
    """Shared packages resolve alike everywhere, or the template would mix sets (a
    package that uv forks by Python version may have several)."""
    versions: dict[str, set[str]] = {}
    forked: set[str] = set()
    for lock in locks.values():
        for block in lock.packages:
            versions.setdefault(block.name, set()).add(block.version)
            if "resolution-markers" in block.text:
                forked.add(block.name)
    split = {name: sorted(found) for name, found in versions.items() if len(found) > 1}
    disagreeing = {name: found for name, found in split.items() if name not in forked}
    if disagreeing:
        raise LockError(f"the combinations resolve packages differently: {disagreeing}")


def templates(locks: Locks, solver: Solver, name: str) -> dict[str, str]:
    parsed = {combo: packages.parse(files["uv.lock"], name) for combo, files in locks.items()}
    _check_agreement(parsed)
    return {"uv.lock": packages.template(parsed, solver, name, "project_slug", Version)}


def frozen(project: Path) -> str | None:
    uv, env = _uv()
    return failure([uv, "lock", "--locked", "--quiet"], project, env)


ADAPTER = Adapter(
    stack="python-fastapi",
    lockfiles=("uv.lock",),
    tool="uv lock",
    pins="pyproject.toml.jinja",
    resolve=resolve,
    templates=templates,
    frozen=frozen,
    names=("orders-api", "aaa-first", "zzz-last"),
)
