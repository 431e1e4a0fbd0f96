"""What the API answers, without the web: answers from a request, a render in a
temporary directory, its zip, and the `scaffold new` line that renders the same files.

Every answer goes through the library's checks (`render.check_answers` before a
render, copier's validators during it); this module only turns request text into
typed answers, as the CLI's `--data` does.
"""

from __future__ import annotations

import io
import json
import os
import re
import stat
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scaffold import catalog
from scaffold.config import OrgConfig
from scaffold.errors import InvalidAnswerError
from scaffold.render import name_from, new_project

# The directory a server-side render goes to: it gives the default project name, as
# `scaffold new my-service` would. Nothing a client sends ever names a path.
DEST_NAME = "my-service"

# `scaffold new` options for the answers that have one; the rest go as `-d key=value`.
FLAGS = {
    "stack": "--stack",
    "framework": "--framework",
    "architecture": "--arch",
    "database": "--db",
    "cache": "--cache",
    "ci": "--ci",
    "project_name": "--name",
}


@dataclass(frozen=True)
class File:
    path: str
    mode: int
    data: bytes


@dataclass(frozen=True)
class Project:
    """A rendered project, held in memory: its final answers and its regular files."""

    answers: dict[str, Any]
    files: tuple[File, ...]

    @property
    def slug(self) -> str:
        slug = str(self.answers.get("project_slug", ""))
        # copier's validator already holds the slug to this; a custom org template may not.
        return slug if re.fullmatch(r"[a-z][a-z0-9-]{0,62}", slug) else "project"

    def file(self, path: str) -> File | None:
        return next((f for f in self.files if f.path == path), None)


def render(
    answers: Mapping[str, Any], config: OrgConfig, vcs_ref: str | None, scratch: Path | None
) -> Project:
    """Render into a temporary directory under ``scratch`` (the system's by default),
    read it back and remove it, whatever happens. Template tasks never run here."""
    with tempfile.TemporaryDirectory(prefix="scaffold-serve-", dir=scratch) as tmp:
        rendered = new_project(
            Path(tmp) / DEST_NAME,
            answers,
            vcs_ref=vcs_ref,
            defaults=True,
            config=config,
            tasks=False,
        )
        return Project(answers=rendered.answers, files=tuple(_read_tree(rendered.dest)))


def _read_tree(root: Path) -> Iterable[File]:
    found: list[File] = []
    for parent, dirs, names in os.walk(root):
        dirs.sort()
        for name in sorted(names):
            path = Path(parent, name)
            info = path.lstat()
            # Regular files only: a link could point anywhere on this machine.
            if stat.S_ISREG(info.st_mode):
                relative = path.relative_to(root).as_posix()
                found.append(File(relative, stat.S_IMODE(info.st_mode), path.read_bytes()))
    return sorted(found, key=lambda f: f.path)


def to_zip(project: Project) -> bytes:
    """The project as a zip of ``<slug>/...`` entries, with each file's permissions."""
    buffer = io.BytesIO()
    now = time.localtime()[:6]
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for file in project.files:
            entry = zipfile.ZipInfo(f"{project.slug}/{file.path}", date_time=now)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 3  # Unix, so unzip applies the mode below
            entry.external_attr = (stat.S_IFREG | file.mode) << 16
            archive.writestr(entry, file.data)
    return buffer.getvalue()


def answers_from_pairs(
    pairs: Iterable[tuple[str, str]], questions: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Answers from a query string: each key once, text typed as its question says."""
    answers: dict[str, Any] = {}
    for key, value in pairs:
        if key in answers:
            raise InvalidAnswerError(f"answer {key} is given twice", field=key)
        answers[key] = value
    return _typed(answers, questions)


def answers_from_json(body: object, questions: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Answers from a JSON object of answer: value."""
    if not isinstance(body, dict):
        raise InvalidAnswerError("the body must be a JSON object of answer: value")
    for key, value in body.items():
        if not isinstance(value, str | int | float | bool):
            raise InvalidAnswerError(f"answer {key} must be a string or a number", field=key)
    return _typed(body, questions)


def _typed(
    answers: Mapping[str, Any], questions: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    typed = dict(answers)
    for key, value in answers.items():
        if questions.get(key, {}).get("type") == "int" and not isinstance(value, int):
            # copier would cast it too, but without saying which answer failed.
            if not (isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,9}", value.strip())):
                raise InvalidAnswerError(f"answer {key} must be a whole number", field=key)
            typed[key] = int(value)
    return typed


def safe_path(path: str) -> str:
    """A rendered file's relative path, or an InvalidAnswerError for anything that
    could name another place (absolute, `..`, backslashes)."""
    parts = path.split("/")
    if "\\" in path or path.startswith("/") or {"", ".", ".."} & set(parts):
        raise InvalidAnswerError(f"path {path!r} is not a relative file path", field="path")
    return path


def command(given: Mapping[str, Any], project: Project) -> list[str]:
    """`scaffold new` with the given answers: it renders the same files as ``project``."""
    argv = ["scaffold", "new", project.slug]
    given = {**given, "project_name": project.answers["project_name"]}
    for key in catalog.QUESTIONS:
        if key in FLAGS and key in given:
            argv.append(f"{FLAGS[key]}={given[key]}")
    for key in catalog.QUESTIONS:
        if key not in FLAGS and key in given:
            argv += ["-d", f"{key}={_data_value(given[key])}"]
    argv.append("--defaults")
    return argv


def _data_value(value: object) -> str:
    """The text `--data key=value` reads back as ``value`` (the CLI reads YAML scalars)."""
    text = str(value)
    if not isinstance(value, str):
        return text
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if isinstance(parsed, int | float | bool) or (isinstance(parsed, str) and parsed != text):
        # A JSON string is a YAML double-quoted scalar: `description="yes"` stays text.
        return json.dumps(text)
    return text


def metadata(
    questions: Mapping[str, Mapping[str, Any]], config: OrgConfig, version: str | None
) -> dict[str, Any]:
    """Every question, the offered matrix and the template version, for forms and clients."""
    allowed = config.stacks or tuple(catalog.STACKS)
    suggested = {**config.suggested(), "project_name": name_from(Path(DEST_NAME))}
    listed = []
    for name, question in questions.items():
        default = config.locked.get(name, suggested.get(name, question.get("default")))
        listed.append(
            {
                "name": name,
                "type": question.get("type", "str"),
                "help": question.get("help", name),
                "default": default,
                # A Jinja expression over the other answers (e.g. the slug from the name).
                "computed": isinstance(default, str) and ("{{" in default or "{%" in default),
                "choices": _choices(question.get("choices")),
                "when": question.get("when"),
                "locked": name in config.locked,
            }
        )
    return {
        "api": "v1",
        "template": {"version": version},
        "questions": listed,
        "stacks": [
            {
                "name": stack.name,
                "label": stack.label,
                "naming_question": stack.naming_question,
                "frameworks": [
                    {"name": f.name, "label": f.label, "architectures": list(f.architectures)}
                    for f in stack.offered
                ],
            }
            for stack in catalog.STACKS.values()
            if stack.name in allowed
        ],
        "combinations": [c.__dict__ for c in catalog.combinations() if c.stack in allowed],
        "max_answer_length": catalog.MAX_ANSWER_LENGTH,
    }


def _choices(raw: object) -> list[dict[str, Any]] | None:
    """copier's choices (a list, or label: value, or label: {value, validator}) as
    [{value, label}]."""
    if isinstance(raw, list):
        return [{"value": v, "label": str(v)} for v in raw]
    if isinstance(raw, dict):
        return [
            {"value": v.get("value") if isinstance(v, dict) else v, "label": str(label)}
            for label, v in raw.items()
        ]
    return None
