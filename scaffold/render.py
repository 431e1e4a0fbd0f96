"""New projects.

Every render happens in a private temporary directory and is moved into place only
once it has fully succeeded, so a failure never leaves a half-rendered project or
touches the destination.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scaffold import catalog
from scaffold.config import OrgConfig
from scaffold.errors import DestinationError
from scaffold.template import Template, read_answers


@dataclass(frozen=True)
class Rendered:
    dest: Path
    answers: dict[str, Any]
    files: list[str]


def new_project(
    dest: Path,
    answers: Mapping[str, Any],
    *,
    template: str | None = None,
    vcs_ref: str | None = None,
    defaults: bool = True,
    force: bool = False,
    pretend: bool = False,
    config: OrgConfig | None = None,
    tasks: bool = True,
) -> Rendered:
    """Render a new project into ``dest``; raise a ScaffoldError and write nothing on failure.

    ``tasks=False`` never runs template code on this machine (see Template.copy).
    """
    config = config or OrgConfig()
    dest = Path(dest).absolute()
    _check_destination(dest, force=force)
    source = Template.chosen(template, config)
    ref = source.version_to_render(vcs_ref, config)
    data = check_answers(answers, config)
    user_defaults = {**config.suggested(), "project_name": name_from(dest)}
    with _scratch_dir(dest) as scratch:
        source.copy(
            scratch,
            data=data,
            user_defaults=user_defaults,
            vcs_ref=ref,
            defaults=defaults,
            tasks=tasks,
        )
        final = read_answers(scratch)
        # Interactive answers are only known now; nothing has been written yet.
        config.check_stack(final["stack"])
        files = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file())
        if not pretend:
            try:
                _move_into_place(scratch, dest)
            except OSError as error:
                raise DestinationError(
                    f"cannot write destination {dest}: {error.strerror}"
                ) from None
    return Rendered(dest=dest, answers=final, files=files)


def check_answers(answers: Mapping[str, Any], config: OrgConfig) -> dict[str, Any]:
    """The answers a render gets: checked against the catalog and the org config's
    locks and stacks; copier's validators check the rest while it renders."""
    data = catalog.normalise(config.answers_for(answers))
    if "stack" in data:
        config.check_stack(data["stack"])
    return data


def name_from(dest: Path) -> str:
    """The default project name for a destination directory."""
    return dest.name.replace("-", " ").replace("_", " ").strip().title()


def _check_destination(dest: Path, *, force: bool) -> None:
    if not str(dest).isprintable():
        raise DestinationError(f"destination {str(dest)!r} must not contain control characters")
    try:
        if dest.exists() and not dest.is_dir():
            raise DestinationError(f"destination {dest} exists and is not a directory")
        if dest.is_dir() and any(dest.iterdir()) and not force:
            raise DestinationError(
                f"destination {dest} is not empty; pass --force to render into it"
            )
    except OSError as error:
        raise DestinationError(f"cannot use destination {dest}: {error.strerror}") from None


@contextmanager
def _scratch_dir(dest: Path) -> Iterator[Path]:
    # Next to the destination when possible, so that moving into place is a rename.
    parent = dest.parent if dest.parent.is_dir() else None
    scratch = Path(tempfile.mkdtemp(prefix=".scaffold-new-", dir=parent))
    # mkdtemp makes it private; the project directory it becomes should follow the umask.
    umask = os.umask(0)
    os.umask(umask)
    scratch.chmod(0o777 & ~umask)
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _move_into_place(scratch: Path, dest: Path) -> None:
    if not dest.exists():
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(scratch), str(dest))
        scratch.mkdir()  # the context manager removes it again
        return
    for item in sorted(scratch.iterdir()):
        target = dest / item.name
        if target.is_dir() and item.is_dir():
            shutil.copytree(item, target, dirs_exist_ok=True)
        else:
            if target.is_dir():
                shutil.rmtree(target)
            shutil.move(str(item), str(target))
