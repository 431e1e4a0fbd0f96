"""Rendering through copier: the only module that imports copier.

Every render happens in a private temporary directory and is moved into place only
once it has fully succeeded, so a failure never leaves a half-rendered project or
touches the destination.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import jinja2
import yaml
from copier.errors import CopierError, UserMessageError

from scaffold import catalog
from scaffold.errors import DestinationError, InvalidAnswerError, TemplateError

ANSWERS_FILE = ".copier-answers.yml"


@dataclass(frozen=True)
class Rendered:
    dest: Path
    answers: dict[str, Any]
    files: list[str]


def bundled_template() -> Path:
    """The template this package ships with: its own source tree (a git checkout when
    installed from a clone, which gives rendered projects a `_commit` to update from)."""
    for candidate in (
        Path(__file__).resolve().parent.parent,
        Path(__file__).resolve().parent / "template",
    ):
        if (candidate / "copier.yml").is_file():
            return candidate
    raise TemplateError("no template bundled with this installation; pass --template SRC")


def new_project(
    dest: Path,
    answers: Mapping[str, Any],
    *,
    template: str | None = None,
    vcs_ref: str | None = None,
    defaults: bool = True,
    force: bool = False,
    pretend: bool = False,
) -> Rendered:
    """Render a new project into ``dest``; raise a ScaffoldError and write nothing on failure."""
    dest = Path(dest).absolute()
    _check_destination(dest, force=force)
    if template is None:
        bundled = bundled_template()
        template = str(bundled)
        vcs_ref = vcs_ref or _committed_ref(bundled)
    _check_template(template)
    data = catalog.normalise(answers)
    user_defaults = {"project_name": _name_from(dest)}
    with _scratch_dir(dest) as scratch:
        _run_copy(
            template,
            scratch,
            data,
            user_defaults=user_defaults,
            vcs_ref=vcs_ref,
            defaults=defaults,
        )
        final = _read_answers(scratch)
        files = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file())
        if not pretend:
            _move_into_place(scratch, dest)
    return Rendered(dest=dest, answers=final, files=files)


def _committed_ref(checkout: Path) -> str | None:
    """The commit to render from the bundled checkout when it has no release tag.

    copier renders the newest tag by default, but falls back to HEAD *with uncommitted
    changes* when there is none, and records a commit that exists only in its scratch
    clone, which `copier update` can never find again. Naming HEAD's commit renders
    what is committed and records a commit the checkout has.
    """

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(checkout), *args], capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    if not git("rev-parse", "--is-inside-work-tree") or git("tag", "--list"):
        return None
    return git("rev-parse", "HEAD") or None


def _name_from(dest: Path) -> str:
    return dest.name.replace("-", " ").replace("_", " ").strip().title()


def _check_destination(dest: Path, *, force: bool) -> None:
    if dest.exists() and not dest.is_dir():
        raise DestinationError(f"destination {dest} exists and is not a directory")
    if dest.is_dir() and any(dest.iterdir()) and not force:
        raise DestinationError(f"destination {dest} is not empty; pass --force to render into it")


def _check_template(template: str) -> None:
    looks_remote = "://" in template or template.startswith(("gh:", "gl:", "git@"))
    if not looks_remote and not Path(template).exists():
        raise TemplateError(f"template source {template} does not exist")


@contextmanager
def _scratch_dir(dest: Path) -> Iterator[Path]:
    # Next to the destination when possible, so that moving into place is a rename.
    parent = dest.parent if dest.parent.is_dir() else None
    scratch = Path(tempfile.mkdtemp(prefix=f".{dest.name}.scaffold-", dir=parent))
    # mkdtemp makes it private; the project directory it becomes should follow the umask.
    umask = os.umask(0)
    os.umask(umask)
    scratch.chmod(0o777 & ~umask)
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run_copy(
    template: str,
    dest: Path,
    data: dict[str, Any],
    *,
    user_defaults: dict[str, Any],
    vcs_ref: str | None,
    defaults: bool,
) -> None:
    try:
        # copier warns about dirty local templates and untagged ones on stderr; neither
        # is the user's problem here, and real failures arrive as exceptions.
        with warnings.catch_warnings(), redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            copier.run_copy(
                template,
                dest,
                data=data,
                user_defaults=user_defaults,
                vcs_ref=vcs_ref,
                defaults=defaults,
                quiet=True,
                unsafe=False,
                cleanup_on_error=False,
            )
    except KeyboardInterrupt:
        # copier's interrupt carries its whole answer state; the user only needs to know it stopped.
        raise KeyboardInterrupt from None
    except (ValueError, UserMessageError) as error:
        raise InvalidAnswerError(_one_line(error)) from None
    except jinja2.TemplateSyntaxError as error:
        where = f"{error.name or error.filename}:{error.lineno}"
        raise TemplateError(f"template error in {where}: {_one_line(error)}") from None
    except jinja2.TemplateError as error:
        raise TemplateError(f"template {template} failed to render: {_one_line(error)}") from None
    except CopierError as error:
        raise TemplateError(_one_line(error)) from None
    except (OSError, RuntimeError) as error:
        raise TemplateError(f"cannot render template {template}: {_one_line(error)}") from None


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def _read_answers(project: Path) -> dict[str, Any]:
    answers_file = project / ANSWERS_FILE
    if not answers_file.is_file():
        raise TemplateError(
            f"the template did not render {ANSWERS_FILE}; it cannot be updated later"
        )
    loaded = yaml.safe_load(answers_file.read_text())
    return dict(loaded) if isinstance(loaded, dict) else {}


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
