"""New projects through copier.

Every render happens in a private temporary directory and is moved into place only
once it has fully succeeded, so a failure never leaves a half-rendered project or
touches the destination.
"""

from __future__ import annotations

import io
import os
import shutil
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
from copier.errors import CopierError, UnsafeTemplateError, UserMessageError

from scaffold import catalog, versions
from scaffold.config import OrgConfig
from scaffold.errors import ConfigError, DestinationError, InvalidAnswerError, TemplateError

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
    config: OrgConfig | None = None,
) -> Rendered:
    """Render a new project into ``dest``; raise a ScaffoldError and write nothing on failure."""
    config = config or OrgConfig()
    dest = Path(dest).absolute()
    _check_destination(dest, force=force)
    source = template_source(template, config)
    ref = version_to_render(source, vcs_ref, config)
    data = catalog.normalise(config.answers_for(answers))
    if "stack" in data:
        config.check_stack(data["stack"])
    user_defaults = {**config.suggested(), "project_name": _name_from(dest)}
    with _scratch_dir(dest) as scratch:
        with copier_errors(source):
            copier.run_copy(
                source,
                scratch,
                data=data,
                user_defaults=user_defaults,
                vcs_ref=ref,
                defaults=defaults,
                quiet=True,
                unsafe=False,
                cleanup_on_error=False,
            )
        final = read_answers(scratch)
        # Interactive answers are only known now; nothing has been written yet.
        config.check_stack(final["stack"])
        files = sorted(str(p.relative_to(scratch)) for p in scratch.rglob("*") if p.is_file())
        if not pretend:
            _move_into_place(scratch, dest)
    return Rendered(dest=dest, answers=final, files=files)


def template_source(template: str | None, config: OrgConfig) -> str:
    """The template to render: the org's when it fixes one, else --template, else bundled."""
    if config.template is not None:
        if template is not None and template != config.template:
            raise ConfigError(
                f"the template is fixed to {config.template} by {config.origin}; "
                f"drop --template {template}"
            )
        template = config.template
    source = template if template is not None else str(bundled_template())
    _check_template(source)
    return source


def version_to_render(source: str, vcs_ref: str | None, config: OrgConfig) -> str | None:
    """The tag or commit of ``source`` to render; None for a plain folder, which has none."""
    if _is_plain_folder(source):
        if config.pin is not None:
            raise ConfigError(
                f"{config.origin} pins version {config.pin.text}, "
                f"but template {source} is a plain folder without versions"
            )
        return vcs_ref
    return versions.target(source, pin=config.pin, ref=vcs_ref, follow_head=is_bundled(source))


def is_bundled(source: str) -> bool:
    try:
        return Path(source).resolve() == bundled_template().resolve()
    except TemplateError:
        return False


def _is_plain_folder(source: str) -> bool:
    path = Path(source)
    return path.is_dir() and not (path / ".git").exists()


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


@contextmanager
def copier_errors(template: str) -> Iterator[None]:
    """Turn whatever copier raises into one-line ScaffoldErrors."""
    try:
        # copier warns about dirty local templates and untagged ones on stderr; neither
        # is the user's problem here, and real failures arrive as exceptions.
        with warnings.catch_warnings(), redirect_stderr(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
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
    except UnsafeTemplateError as error:
        features = str(error).split(":", 1)[-1].split(".", 1)[0].strip()
        raise TemplateError(
            f"template {template} uses {features}, which run commands on this machine; "
            "review it, then add it to `trust` in copier's settings file to go on"
        ) from None
    except CopierError as error:
        raise TemplateError(_one_line(error)) from None
    except (OSError, RuntimeError) as error:
        raise TemplateError(f"cannot render template {template}: {_one_line(error)}") from None


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__


def read_answers(project: Path) -> dict[str, Any]:
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
