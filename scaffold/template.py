"""A template source, the versions it offers, and rendering it: the copier adapter.

`render` (new projects) and `update` (update, check, diff) both sit on `Template`, and
this is the only module that imports copier. A source's tags are read at most once
per command, however many questions about versions the command asks.
"""

from __future__ import annotations

import dataclasses
import functools
import io
import os
import re
import subprocess
import tempfile
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


_PACKAGE = Path(__file__).resolve().parent
# A package install carries the template's history as a git bundle (hatch_build.py).
_PACKAGED_HISTORY = _PACKAGE / "template.bundle"
HISTORY_FILE = "template.bundle"


def bundled_template() -> str:
    """The template this installation ships with, ready to render.

    From a checkout, the checkout itself. From a package, the template history every
    install of scaffold for this user shares: the package's releases are added to it
    first, so projects record a `_src_path` that outlives this install and a
    `_commit` that later versions of scaffold can update from.
    """
    location = bundled_location()
    if location is None:
        raise TemplateError("no template bundled with this installation; pass --template SRC")
    if location == _history_location()[0]:
        _add_to_history(_PACKAGED_HISTORY)
    return location


def bundled_location() -> str | None:
    """Where the bundled template is, without preparing it."""
    if (_PACKAGE.parent / "copier.yml").is_file():
        return str(_PACKAGE.parent)
    if _PACKAGED_HISTORY.is_file():
        return _history_location()[0]
    if (_PACKAGE / "template" / "copier.yml").is_file():
        return str(_PACKAGE / "template")
    return None


def _history_location() -> tuple[str, Path]:
    """The shared template history: as projects record it (`~` kept, so the same
    answers file works for every user and machine) and as a real path."""
    data_home = os.environ.get("XDG_DATA_HOME")
    recorded = (
        f"{data_home}/scaffold/{HISTORY_FILE}"
        if data_home
        else f"~/.local/share/scaffold/{HISTORY_FILE}"
    )
    return recorded, Path(recorded).expanduser()


def _add_to_history(packaged: Path) -> None:
    """Merge a package's tags and build commit into the shared history, never dropping
    what earlier installs added: projects may record any of those commits."""
    path = _history_location()[1]
    wanted = _bundle_heads(packaged)
    build = wanted.pop("HEAD", None)
    if build is not None:
        wanted[f"refs/heads/builds/{build}"] = build
    have = _bundle_heads(path) if path.is_file() else {}
    if all(have.get(ref) == sha for ref, sha in wanted.items()):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".history-", dir=path.parent) as scratch:
        repo = Path(scratch) / "repo"
        _git("init", "--quiet", "--bare", str(repo))
        if have:
            _git("-C", str(repo), "fetch", "--quiet", str(path), "+refs/*:refs/*")
        specs = [f"+{ref}:{ref}" for ref in wanted if ref.startswith("refs/tags/")]
        if build is not None:
            specs.append(f"+HEAD:refs/heads/builds/{build}")
            _git("-C", str(repo), "fetch", "--quiet", str(packaged), *specs)
            # Plain `copier update` without tags renders HEAD: the newest install's build.
            _git("-C", str(repo), "symbolic-ref", "HEAD", f"refs/heads/builds/{build}")
        elif specs:
            _git("-C", str(repo), "fetch", "--quiet", str(packaged), *specs)
        merged = Path(scratch) / HISTORY_FILE
        _git("-C", str(repo), "bundle", "create", "--quiet", str(merged), "--all")
        os.replace(merged, path)


@functools.cache
def _packaged_build() -> str | None:
    """The commit the installed package was built from, when it carries history."""
    if (_PACKAGE.parent / "copier.yml").is_file() or not _PACKAGED_HISTORY.is_file():
        return None
    return _bundle_heads(_PACKAGED_HISTORY).get("HEAD")


def _bundle_heads(bundle: Path) -> dict[str, str]:
    listed = _git("bundle", "list-heads", str(bundle))
    return {ref: sha for sha, _, ref in (line.partition(" ") for line in listed.splitlines())}


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"git exited {done.returncode}"
        raise TemplateError(f"cannot prepare the bundled template history: {reason}")
    return done.stdout


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
        chosen = cls(template if template is not None else bundled_template())
        chosen.check_exists()
        return chosen

    @classmethod
    def recorded(cls, source: str) -> Template:
        """The template a project records; scaffold's own is prepared before use."""
        template = cls(source)
        if template.bundled:
            bundled_template()
        return template

    @property
    def remote(self) -> bool:
        return "://" in self.source or self.source.startswith(("gh:", "gl:", "git@"))

    def check_exists(self) -> None:
        if not self.remote and not self._path.exists():
            raise TemplateError(f"template source {self.source} does not exist")

    @property
    def _path(self) -> Path:
        return Path(self.source).expanduser()

    @functools.cached_property
    def bundled(self) -> bool:
        """Whether this is scaffold's own template, whose tasks and migrations are trusted."""
        location = bundled_location()
        return location is not None and (
            self.source == location or self._path.resolve() == Path(location).expanduser().resolve()
        )

    @property
    def plain_folder(self) -> bool:
        return self._path.is_dir() and not (self._path / ".git").exists()

    @functools.cached_property
    def refs(self) -> versions.Refs:
        found = versions.refs(self.source)
        # An installed package renders the commit it was built from, as a checkout
        # renders its own HEAD: the templates always match the installed code.
        build = _packaged_build() if self.bundled else None
        return dataclasses.replace(found, head=build) if build else found

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
        tasks: bool = True,
    ) -> None:
        """Render into ``dest``; ``tasks=False`` renders files only: copier then neither
        runs the template's tasks nor loads its Jinja extensions, whoever trusts it."""
        with self._copier_errors():
            copier.run_copy(
                self.source,
                dest,
                data=dict(data),
                user_defaults=dict(user_defaults or {}),
                vcs_ref=vcs_ref,
                defaults=defaults,
                quiet=True,
                unsafe=self.bundled and tasks,
                skip_tasks=not tasks,
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
        ask: bool = False,
    ) -> None:
        with self._copier_errors():
            copier.run_update(
                project,
                vcs_ref=vcs_ref,
                data=dict(data),
                defaults=defaults,
                overwrite=True,
                # Recorded answers are asked again only when the owner asks for it.
                skip_answered=not ask,
                conflict=conflict,
                pretend=pretend,
                quiet=True,
                # Any template but scaffold's own runs its migrations only when
                # copier's settings trust it.
                unsafe=self.bundled,
            )

    def questions(self, vcs_ref: str | None) -> dict[str, dict[str, Any]]:
        """The questions of copier.yml at ``vcs_ref``, as copier reads them.

        copier's public API only renders; its template reader is the one that knows
        every source this class accepts, so it is used here, behind this method.
        """
        from copier._template import Template as CopierTemplate

        source = CopierTemplate(url=self.source, ref=vcs_ref)
        try:
            with self._copier_errors():
                return {name: dict(question) for name, question in source.questions_data.items()}
        finally:
            source._cleanup()

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
            message = _one_line(error)
            question = re.match(r"Validation error for question '(\w+)'", message)
            raise InvalidAnswerError(message, field=question and question[1]) from None
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
