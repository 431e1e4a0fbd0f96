"""The catalog and copier.yml describe the same questionnaire."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scaffold import catalog
from scaffold.errors import InvalidAnswerError

COPIER_YML = yaml.safe_load((Path(__file__).resolve().parents[2] / "copier.yml").read_text())


def _choice_values(question: str) -> set[str]:
    choices = COPIER_YML[question]["choices"]
    values = choices if isinstance(choices, list) else list(choices.values())
    return {v["value"] if isinstance(v, dict) else v for v in values}


def test_questions_match_copier_yml() -> None:
    asked = [key for key in COPIER_YML if not key.startswith("_")]
    assert tuple(asked) == catalog.QUESTIONS


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("stack", set(catalog.STACKS)),
        ("framework", {f for s in catalog.STACKS.values() for f in s.frameworks}),
        ("architecture", set(catalog.ARCHITECTURES)),
        ("database", set(catalog.DATABASES)),
        ("cache", set(catalog.CACHES)),
        ("ci", set(catalog.CI_PROVIDERS)),
        ("license", set(catalog.LICENSES)),
    ],
)
def test_choices_match_copier_yml(question: str, expected: set[str]) -> None:
    assert _choice_values(question) == expected


def test_every_framework_is_offered_for_every_architecture_it_lists() -> None:
    combos = list(catalog.combinations())
    assert catalog.Combination("go", "stdlib", "monolith") in combos
    assert len(combos) == len(set(combos))


def test_framework_alone_selects_its_stack() -> None:
    assert catalog.normalise({"framework": "stdlib"})["stack"] == "go"


@pytest.mark.parametrize("framework", ["stdlib", "gin", "echo", "chi"])
def test_every_go_router_is_offered_for_every_architecture(framework: str) -> None:
    offered = set(catalog.combinations())
    for architecture in catalog.ARCHITECTURES:
        assert catalog.Combination("go", framework, architecture) in offered
    assert catalog.normalise({"framework": framework})["stack"] == "go"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"stack": "cobol"}, "unknown stack 'cobol'; choose one of: go"),
        ({"stack": "go", "framework": "django"}, "unknown framework 'django' for stack go"),
        ({"framework": "django"}, "unknown framework 'django'; choose one of"),
        ({"architecture": "mainframe"}, "unknown architecture 'mainframe'"),
        ({"database": "mysql"}, "unknown database 'mysql'; choose one of: postgres, none"),
        ({"cache": "memcached"}, "unknown cache 'memcached'"),
        ({"ci": "jenkins"}, "unknown ci 'jenkins'"),
        ({"colour": "blue"}, "unknown answer 'colour'"),
    ],
)
def test_invalid_answers_are_refused_with_one_line(answers: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        catalog.normalise(answers)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_fastapi_alone_selects_the_python_stack() -> None:
    assert catalog.normalise({"framework": "fastapi"})["stack"] == "python-fastapi"
    with pytest.raises(InvalidAnswerError, match="unknown framework 'fastapi' for stack go"):
        catalog.normalise({"stack": "go", "framework": "fastapi"})


@pytest.mark.parametrize("framework", ["fastify", "express"])
def test_every_node_framework_is_offered_for_every_architecture(framework: str) -> None:
    offered = set(catalog.combinations())
    for architecture in catalog.ARCHITECTURES:
        assert catalog.Combination("node-ts", framework, architecture) in offered
    assert catalog.normalise({"framework": framework})["stack"] == "node-ts"


def test_node_frameworks_are_refused_for_other_stacks() -> None:
    with pytest.raises(InvalidAnswerError, match="unknown framework 'fastify' for stack go"):
        catalog.normalise({"stack": "go", "framework": "fastify"})
