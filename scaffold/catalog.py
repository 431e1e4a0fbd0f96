"""Stacks, frameworks, architectures and their valid combinations: the offered matrix.

This is the one source of the matrix for scaffold: the CLI's help, `scaffold list`,
answer validation, the lockfile tooling and the tests derive from it. copier.yml asks
the same questions for plain `copier copy`; tests/unit/test_catalog.py keeps its
choices, labels and validators in step with this module.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scaffold.errors import InvalidAnswerError

ARCHITECTURES = ("monolith", "microservice", "serverless")
DATABASES = ("postgres", "none")
CACHES = ("redis", "none")
CI_PROVIDERS = ("github", "gitlab", "none")
LICENSES = ("MIT", "Apache-2.0", "Proprietary")


@dataclass(frozen=True)
class Framework:
    name: str
    label: str
    architectures: tuple[str, ...] = ARCHITECTURES


@dataclass(frozen=True)
class Stack:
    name: str
    label: str
    offered: tuple[Framework, ...]
    # The question naming the stack's own package or module (go_module, ...).
    naming_question: str

    @property
    def frameworks(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.offered)

    @property
    def architectures(self) -> tuple[str, ...]:
        """Every architecture some framework of the stack offers, in catalog order."""
        return tuple(a for a in ARCHITECTURES if any(a in f.architectures for f in self.offered))

    def framework(self, name: str) -> Framework:
        return next(f for f in self.offered if f.name == name)


@dataclass(frozen=True)
class Combination:
    stack: str
    framework: str
    architecture: str


STACKS: Mapping[str, Stack] = {
    stack.name: stack
    for stack in (
        Stack(
            "go",
            "Go",
            (
                Framework("stdlib", "Go standard library (net/http)"),
                Framework("gin", "Gin"),
                Framework("echo", "Echo"),
                Framework("chi", "chi"),
            ),
            naming_question="go_module",
        ),
        Stack(
            "node-ts",
            "Node.js (TypeScript)",
            (
                Framework("fastify", "Fastify"),
                Framework("nestjs", "NestJS"),
                Framework("express", "Express"),
            ),
            naming_question="npm_package",
        ),
        Stack(
            "python-fastapi",
            "Python (FastAPI)",
            (Framework("fastapi", "FastAPI"),),
            naming_question="python_package",
        ),
        Stack(
            "rust",
            "Rust",
            (
                Framework("axum", "Axum"),
                # Actix Web has no maintained AWS Lambda adapter.
                Framework("actix", "Actix Web", ("monolith", "microservice")),
            ),
            naming_question="rust_crate",
        ),
    )
}

# Every question of copier.yml in its order: what users come for first, then names.
# Answers outside this set are refused rather than ignored.
QUESTIONS = (
    "stack",
    "framework",
    "architecture",
    "database",
    "cache",
    "ci",
    "project_name",
    "project_slug",
    "description",
    "owner",
    "license",
    "container_registry",
    "http_port",
    *(stack.naming_question for stack in STACKS.values()),
)


# Answers a project keeps for life: its language, its framework's files and the names of
# its packages and directories follow from them, so a different one is a new project.
FIXED = ("stack", "framework", "project_slug", *(s.naming_question for s in STACKS.values()))


def combinations() -> Iterator[Combination]:
    for stack in STACKS.values():
        for framework in stack.offered:
            for architecture in framework.architectures:
                yield Combination(stack.name, framework.name, architecture)


# Every answer ends up in file names, source code and YAML; none needs more than this.
MAX_ANSWER_LENGTH = 1000


def _check_text(key: str, value: object) -> None:
    if not isinstance(value, str):
        return
    if len(value) > MAX_ANSWER_LENGTH:
        raise InvalidAnswerError(
            f"answer {key} is longer than {MAX_ANSWER_LENGTH} characters", field=key
        )
    # Control characters, lone surrogates and line or paragraph separators.
    if any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") for c in value):
        raise InvalidAnswerError(f"answer {key} must not contain control characters", field=key)
    # `new --name` names the directory when none is given; a name is never a path.
    if key == "project_name" and ("/" in value or "\\" in value):
        raise InvalidAnswerError("answer project_name must not contain / or \\", field=key)


def _one_of(kind: str, value: object, allowed: tuple[str, ...], context: str = "") -> None:
    if value not in allowed:
        raise InvalidAnswerError(
            f"unknown {kind} {value!r}{context}; choose one of: {', '.join(allowed)}", field=kind
        )


def normalise(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Check every answer given against the offered matrix, before anything renders.

    A framework given without a stack selects the stack that offers it.
    """
    unknown = sorted((str(key) for key in set(answers) - set(QUESTIONS)), key=str)
    if unknown:
        raise InvalidAnswerError(
            f"unknown answer {unknown[0]!r}; known answers: {', '.join(QUESTIONS)}",
            field=unknown[0],
        )
    for key, value in answers.items():
        _check_text(key, value)
    result = dict(answers)
    if "framework" in result and "stack" not in result:
        every = tuple(f for s in STACKS.values() for f in s.frameworks)
        _one_of("framework", result["framework"], every)
        result["stack"] = next(
            s.name for s in STACKS.values() if result["framework"] in s.frameworks
        )
    if "stack" in result:
        _one_of("stack", result["stack"], tuple(STACKS))
        stack = STACKS[result["stack"]]
        if "framework" in result:
            _one_of("framework", result["framework"], stack.frameworks, f" for stack {stack.name}")
            if "architecture" in result:
                framework = stack.framework(result["framework"])
                _one_of(
                    "architecture",
                    result["architecture"],
                    framework.architectures,
                    f" for framework {framework.name}",
                )
        elif "architecture" in result:
            _one_of(
                "architecture",
                result["architecture"],
                stack.architectures,
                f" for stack {stack.name}",
            )
    for key, allowed in (
        ("architecture", ARCHITECTURES),
        ("database", DATABASES),
        ("cache", CACHES),
        ("ci", CI_PROVIDERS),
        ("license", LICENSES),
    ):
        if key in result:
            _one_of(key, result[key], allowed)
    return result
