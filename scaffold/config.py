"""Org starter kits: one config file fixes the template, its version and the answers.

    template: gh:acme/service-template    # a git URL, a repository path or a bundle
    version: "~=1.4"                       # an exact tag or a PEP 440 specifier
    defaults: {owner: acme, ci: gitlab}    # offered as defaults, may be changed
    locked: {license: Proprietary}         # applied to every new and updated project
    stacks: [go]                           # the only stacks new projects may use

The file is `--config PATH`, else $SCAFFOLD_CONFIG, else `scaffold/config.yml` in the
user's config directory; without any, nothing is fixed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scaffold import catalog
from scaffold.errors import ConfigError, InvalidAnswerError
from scaffold.versions import Pin, parse_pin

ENV_VAR = "SCAFFOLD_CONFIG"
KEYS = ("template", "version", "defaults", "locked", "stacks")


@dataclass(frozen=True)
class OrgConfig:
    path: Path | None = None
    template: str | None = None
    pin: Pin | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    locked: Mapping[str, Any] = field(default_factory=dict)
    stacks: tuple[str, ...] | None = None

    @property
    def origin(self) -> str:
        return f"org config {self.path}" if self.path else "org config"

    def answers_for(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """The user's answers with the locked ones applied; refuses to override a lock."""
        for key, value in self.locked.items():
            if key in given and given[key] != value:
                raise ConfigError(
                    f"answer {key} is locked to {value!r} by {self.origin}; "
                    f"remove {key}={given[key]!r}",
                    field=key,
                )
        return {**given, **self.locked}

    def suggested(self) -> dict[str, Any]:
        """Defaults for unanswered questions, including a stack the config allows."""
        suggested = dict(self.defaults)
        if self.stacks and "stack" not in suggested:
            suggested["stack"] = self.stacks[0]
        return suggested

    def check_stack(self, stack: str) -> None:
        if self.stacks is not None and stack not in self.stacks:
            raise ConfigError(
                f"stack {stack} is not allowed by {self.origin}; allowed: {', '.join(self.stacks)}",
                field="stack",
            )


def user_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "scaffold" / "config.yml"


def load(explicit: Path | None = None) -> OrgConfig:
    """The org config in force: explicit path, then $SCAFFOLD_CONFIG, then the user's."""
    if explicit is not None:
        return _read(explicit)
    if from_env := os.environ.get(ENV_VAR):
        return _read(Path(from_env))
    default = user_config_path()
    return _read(default) if default.is_file() else OrgConfig()


def _read(path: Path) -> OrgConfig:
    path = path.expanduser().absolute()
    try:
        raw = yaml.safe_load(path.read_text())
    except OSError as error:
        raise ConfigError(f"cannot read org config {path}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"org config {path} is not valid YAML: {_one_line(error)}") from None
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise ConfigError(f"org config {path} must be a mapping of {', '.join(KEYS)}")
    try:
        return _parse(path, raw)
    except (ValueError, InvalidAnswerError) as error:
        raise ConfigError(f"org config {path}: {error}") from None


def _parse(path: Path, raw: dict[str, Any]) -> OrgConfig:
    unknown = sorted(str(k) for k in set(raw) - set(KEYS))
    if unknown:
        raise ValueError(f"unknown key {unknown[0]!r}; known keys: {', '.join(KEYS)}")
    template = raw.get("template")
    if template is not None:
        template = _template_source(path, str(template))
    pin = parse_pin(str(raw["version"])) if raw.get("version") is not None else None
    defaults = _answers(raw, "defaults")
    locked = _answers(raw, "locked")
    stacks = raw.get("stacks")
    if stacks is not None:
        if not isinstance(stacks, list) or not stacks:
            raise ValueError("stacks must be a non-empty list")
        stacks = tuple(str(s) for s in stacks)
        for stack in stacks:
            if stack not in catalog.STACKS:
                offered = ", ".join(catalog.STACKS)
                raise ValueError(f"unknown stack {stack!r}; choose from {offered}")
    config = OrgConfig(path, template, pin, defaults, locked, stacks)
    for answers in (defaults, locked):
        if "stack" in answers:
            config.check_stack(str(answers["stack"]))
    return config


def _answers(raw: dict[str, Any], key: str) -> dict[str, Any]:
    answers = raw.get(key) or {}
    if not isinstance(answers, dict):
        raise ValueError(f"{key} must be a mapping of answer: value")
    # The same check as answers on the command line: known questions, offered choices.
    catalog.normalise(answers)
    return dict(answers)


def _template_source(config_path: Path, source: str) -> str:
    """A relative path is relative to the config file, so a kit can ship its bundle beside it."""
    looks_remote = "://" in source or source.startswith(("gh:", "gl:", "git@"))
    if looks_remote or Path(source).expanduser().is_absolute():
        return str(Path(source).expanduser()) if not looks_remote else source
    return str((config_path.parent / source).resolve())


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())
