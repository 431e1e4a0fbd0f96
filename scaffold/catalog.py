"""Stacks, frameworks, architectures and their valid combinations.

copier.yml holds the same choices for plain `copier copy`; tests/unit/test_catalog.py
keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scaffold.errors import InvalidAnswerError


@dataclass(frozen=True)
class Stack:
    name: str
    frameworks: tuple[str, ...]
    architectures: tuple[str, ...]


@dataclass(frozen=True)
class Combination:
    stack: str
    framework: str
    architecture: str


ARCHITECTURES = ("monolith", "microservice", "serverless")
DATABASES = ("postgres", "none")
CACHES = ("redis", "none")
CI_PROVIDERS = ("github", "gitlab", "none")
LICENSES = ("MIT", "Apache-2.0", "Proprietary")

STACKS: Mapping[str, Stack] = {
    "go": Stack("go", frameworks=("stdlib", "gin", "echo", "chi"), architectures=ARCHITECTURES),
    "node-ts": Stack("node-ts", frameworks=("fastify", "express"), architectures=ARCHITECTURES),
    "python-fastapi": Stack("python-fastapi", frameworks=("fastapi",), architectures=ARCHITECTURES),
}

# Every question of copier.yml; answers outside this set are refused rather than ignored.
QUESTIONS = (
    "project_name",
    "project_slug",
    "description",
    "owner",
    "license",
    "container_registry",
    "stack",
    "framework",
    "architecture",
    "database",
    "cache",
    "ci",
    "http_port",
    "go_module",
    "npm_package",
    "python_package",
)


def combinations() -> Iterator[Combination]:
    for stack in STACKS.values():
        for framework in stack.frameworks:
            for architecture in stack.architectures:
                yield Combination(stack.name, framework, architecture)


def _one_of(kind: str, value: object, allowed: tuple[str, ...], context: str = "") -> None:
    if value not in allowed:
        raise InvalidAnswerError(
            f"unknown {kind} {value!r}{context}; choose one of: {', '.join(allowed)}"
        )


def normalise(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Check every answer given against the offered matrix, before anything renders.

    A framework given without a stack selects the stack that offers it.
    """
    unknown = sorted(set(answers) - set(QUESTIONS))
    if unknown:
        raise InvalidAnswerError(
            f"unknown answer {unknown[0]!r}; known answers: {', '.join(QUESTIONS)}"
        )
    result = dict(answers)
    if "framework" in result and "stack" not in result:
        owners = [s.name for s in STACKS.values() if result["framework"] in s.frameworks]
        every = tuple(f for s in STACKS.values() for f in s.frameworks)
        _one_of("framework", result["framework"], every)
        result["stack"] = owners[0]
    if "stack" in result:
        _one_of("stack", result["stack"], tuple(STACKS))
        offered = STACKS[result["stack"]]
        context = f" for stack {offered.name}"
        if "framework" in result:
            _one_of("framework", result["framework"], offered.frameworks, context)
        if "architecture" in result:
            _one_of("architecture", result["architecture"], offered.architectures, context)
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
