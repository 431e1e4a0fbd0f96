"""A template source, the versions it offers, and rendering it: the copier adapter.

`render` (new projects) and `update` (update, check, diff) both sit on `Template`, and
this is the only module that imports copier. A source's tags are read at most once
per command, however many questions about versions the command asks.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import copier
import jinja2
import yaml
from copier.errors import CopierError, UnsafeTemplateError, UserMessageError

from scaffold import versions
from scaffold.config import OrgConfig
from scaffold.errors import ConfigError, InvalidAnswerError, TemplateError

ANSWERS_FILE = ".copier-answers.yml"
Conflict = Literal["inline", "rej"]


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


@dataclass(frozen=True)
class Template:
    """Where a template comes from: a git URL, a repository, a bundle or a plain folder."""

    source: str

    @classmethod
    def chosen(cls, template: str | None, config: OrgConfig) -> Template:
        """The org's template when it fixes one, else ``template``, else the bundled one."""
        if config.template is not None:
            if template is not None and template != config.template:
                raise ConfigError(
                    f"the template is fixed to {config.template} by {config.origin}; "
                    f"drop --template {template}"
                )
            template = config.template
        chosen = cls(template if template is not None else str(bundled_template()))
        chosen.check_exists()
        return chosen

    def check_exists(self) -> None:
        looks_remote = "://" in self.source or self.source.startswith(("gh:", "gl:", "git@"))
        if not looks_remote and not Path(self.source).exists():
            raise TemplateError(f"template source {self.source} does not exist")

    @functools.cached_property
    def bundled(self) -> bool:
        """Whether this is scaffold's own template, whose tasks and migrations are trusted."""
        try:
            return Path(self.source).resolve() == bundled_template().resolve()
        except TemplateError:
            return False

    @property
    def plain_folder(self) -> bool:
        path = Path(self.source)
        return path.is_dir() and not (path / ".git").exists()

    @functools.cached_property
    def refs(self) -> versions.Refs:
        return versions.refs(self.source)

    def version_to_render(self, vcs_ref: str | None, config: OrgConfig) -> str | None:
        """The tag or commit to render; None for a plain folder, which has none.

        The checkout scaffold is installed from renders its own HEAD unless asked for
        another version, so its templates always match the code that asks the questions.
        """
        if self.plain_folder:
            if config.pin is not None:
                raise ConfigError(
                    f"{config.origin} pins version {config.pin.text}, "
                    f"but template {self.source} is a plain folder without versions"
                )
            return vcs_ref
        if vcs_ref is not None:
            versions.check_pinned(vcs_ref, config.pin)
            return vcs_ref
        return versions.newest(self.refs, self.source, pin=config.pin, follow_head=self.bundled)

    def same_version(self, recorded: str, wanted: str) -> bool:
        return versions.same_version(recorded, wanted, lambda: self.refs)

    def copy(
        self,
        dest: Path,
        *,
        data: Mapping[str, Any],
        vcs_ref: str | None,
        defaults: bool,
        user_defaults: Mapping[str, Any] | None = None,
    ) -> None:
        with self._copier_errors():
            copier.run_copy(
                self.source,
                dest,
                data=dict(data),
                user_defaults=dict(user_defaults or {}),
                vcs_ref=vcs_ref,
                defaults=defaults,
                quiet=True,
                unsafe=self.bundled,
                cleanup_on_error=False,
            )

    def update(
        self,
        project: Path,
        *,
        vcs_ref: str,
        data: Mapping[str, Any],
        defaults: bool,
        conflict: Conflict,
        pretend: bool,
    ) -> None:
        with self._copier_errors():
            copier.run_update(
                project,
                vcs_ref=vcs_ref,
                data=dict(data),
                defaults=defaults,
                overwrite=True,
                skip_answered=True,
                conflict=conflict,
                pretend=pretend,
                quiet=True,
                # Any template but scaffold's own runs its migrations only when
                # copier's settings trust it.
                unsafe=self.bundled,
            )

    @contextmanager
    def _copier_errors(self) -> Iterator[None]:
        """Turn whatever copier raises into one-line ScaffoldErrors."""
        try:
            # copier warns about dirty local templates and untagged ones on stderr;
            # neither is the user's problem here, and real failures arrive as exceptions.
            with warnings.catch_warnings(), redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                yield
        except KeyboardInterrupt:
            # copier's interrupt carries its whole answer state; the user only needs
            # to know it stopped.
            raise KeyboardInterrupt from None
        except (ValueError, UserMessageError) as error:
            raise InvalidAnswerError(_one_line(error)) from None
        except jinja2.TemplateSyntaxError as error:
            where = f"{error.name or error.filename}:{error.lineno}"
            raise TemplateError(f"template error in {where}: {_one_line(error)}") from None
        except jinja2.TemplateError as error:
            raise TemplateError(
                f"template {self.source} failed to render: {_one_line(error)}"
            ) from None
        except UnsafeTemplateError as error:
            features = str(error).split(":", 1)[-1].split(".", 1)[0].strip()
            raise TemplateError(
                f"template {self.source} uses {features}, which run commands on this machine; "
                "review it, then add it to `trust` in copier's settings file to go on"
            ) from None
        except CopierError as error:
            raise TemplateError(_one_line(error)) from None
        except (OSError, RuntimeError) as error:
            raise TemplateError(
                f"cannot render template {self.source}: {_one_line(error)}"
            ) from None


def read_answers(project: Path) -> dict[str, Any]:
    answers_file = project / ANSWERS_FILE
    if not answers_file.is_file():
        raise TemplateError(
            f"the template did not render {ANSWERS_FILE}; it cannot be updated later"
        )
    loaded = yaml.safe_load(answers_file.read_text())
    return dict(loaded) if isinstance(loaded, dict) else {}


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text or type(error).__name__
