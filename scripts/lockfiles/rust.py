"""The Rust stack's lockfile: Cargo.lock, as cargo writes it.

Cargo.toml.jinja bounds the dependencies; cargo chooses the versions. Resolution starts
from the Cargo.lock the template renders today (`cargo update --workspace` updates the
project's own entry and adds what is new, keeping every other version), so a version
moves only where a bound moved, unless --upgrade asks cargo for the newest of
everything. The project's own block sorts by the project's name, so every combination
is checked under a name that sorts first and one that sorts last too.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from lockfiles import go, packages
from lockfiles.core import Adapter, Combo, LockError, Locks, Solver, failure, parallel, run

# The user's registry cache, shared with the toolchain tests.
ENV = dict(os.environ)


def semver_key(version: str) -> tuple[object, ...]:
    """Sort key with Cargo's semver precedence, which is Go's without the "v"."""
    return go.semver_key(f"v{version}")


def _cargo() -> str:
    cargo = shutil.which("cargo")
    if cargo is None:
        raise LockError("cargo is required: install Rust (rustup)")
    return cargo


def resolve(projects: Mapping[Combo, Path], name: str, upgrade: bool) -> Locks:
    cargo = _cargo()

    def one(project: Path) -> dict[str, str]:
        lock = project / "Cargo.lock"
        if upgrade:
            lock.unlink(missing_ok=True)
            run([cargo, "generate-lockfile", "--quiet"], project, ENV)
        else:
            run([cargo, "update", "--workspace", "--quiet"], project, ENV)
        return {"Cargo.lock": lock.read_text()}

    return dict(zip(projects, parallel(one, projects.values()), strict=True))


def _check_agreement(locks: Mapping[Combo, packages.PackageLock]) -> None:
    """Shared crates resolve alike everywhere, or the template would mix sets; a crate
    that one combination needs in several versions (http 0.2 and 1) may have several."""
    versions: dict[str, set[str]] = {}
    several: set[str] = set()
    for lock in locks.values():
        seen: dict[str, int] = {}
        for block in lock.packages:
            versions.setdefault(block.name, set()).add(block.version)
            seen[block.name] = seen.get(block.name, 0) + 1
        several |= {name for name, count in seen.items() if count > 1}
    split = {name: sorted(found) for name, found in versions.items() if len(found) > 1}
    disagreeing = {name: found for name, found in split.items() if name not in several}
    if disagreeing:
        raise LockError(f"the combinations resolve crates differently: {disagreeing}")


def templates(locks: Locks, solver: Solver, name: str) -> dict[str, str]:
    parsed = {combo: packages.parse(files["Cargo.lock"], name) for combo, files in locks.items()}
    _check_agreement(parsed)
    return {"Cargo.lock": packages.template(parsed, solver, name, "project_slug", semver_key)}


def frozen(project: Path) -> str | None:
    return failure(
        [_cargo(), "metadata", "--locked", "--format-version", "1", "--quiet"], project, ENV
    )


ADAPTER = Adapter(
    stack="rust",
    lockfiles=("Cargo.lock",),
    tool="cargo",
    pins="Cargo.toml.jinja",
    resolve=resolve,
    templates=templates,
    frozen=frozen,
    names=("orders-api", "aaa-first", "zzz-last"),
)
