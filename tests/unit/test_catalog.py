"""The catalog is the offered matrix, and copier.yml asks exactly for it."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from scaffold import catalog
from scaffold.errors import InvalidAnswerError

COPIER_YML: dict[str, Any] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "copier.yml").read_text()
)
_JINJA = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    **{k: v for k, v in COPIER_YML["_envops"].items() if k != "undefined"},
)


def _render(template: str, **context: object) -> str:
    return _JINJA.from_string(template).render(**context).strip()


def _choices(question: str) -> dict[str, str]:
    """label -> value of a question's choices."""
    choices = COPIER_YML[question]["choices"]
    if isinstance(choices, list):
        return {str(v): str(v) for v in choices}
    return {label: v["value"] if isinstance(v, dict) else v for label, v in choices.items()}


def _refusals(stack: str, framework: str, architecture: str) -> list[str]:
    """What copier.yml's validators say against these answers (empty: accepted)."""
    context = {"stack": stack, "framework": framework, "architecture": architecture}
    found = []
    for question in ("framework", "architecture"):
        answer = context[question]
        choice = next(
            (v for v in COPIER_YML[question]["choices"].values() if _value(v) == answer), None
        )
        if choice is None:
            found.append(f"{answer} is no {question} choice")
        elif isinstance(choice, dict) and (
            message := _render(choice.get("validator", ""), **context)
        ):
            found.append(message)
        if message := _render(COPIER_YML[question].get("validator", ""), **context):
            found.append(message)
    return found


def _value(choice: object) -> str:
    return str(choice["value"] if isinstance(choice, dict) else choice)


def test_questions_match_copier_yml() -> None:
    asked = [key for key in COPIER_YML if not key.startswith("_")]
    assert tuple(asked) == catalog.QUESTIONS


@pytest.mark.parametrize("question", catalog.QUESTIONS)
def test_every_question_has_a_type_help_and_default(question: str) -> None:
    assert {"type", "help", "default"} <= set(COPIER_YML[question])


def test_stacks_and_frameworks_have_the_catalog_labels() -> None:
    assert _choices("stack") == {s.label: s.name for s in catalog.STACKS.values()}
    assert _choices("framework") == {
        f.label: f.name for s in catalog.STACKS.values() for f in s.offered
    }


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("architecture", catalog.ARCHITECTURES),
        ("database", catalog.DATABASES),
        ("cache", catalog.CACHES),
        ("ci", catalog.CI_PROVIDERS),
        ("license", catalog.LICENSES),
    ],
)
def test_choices_match_the_catalog(question: str, expected: tuple[str, ...]) -> None:
    assert tuple(_choices(question).values()) == expected


@pytest.mark.parametrize(
    ("stack", "framework", "architecture"),
    list(
        itertools.product(
            catalog.STACKS,
            [f for s in catalog.STACKS.values() for f in s.frameworks],
            catalog.ARCHITECTURES,
        )
    ),
)
def test_copier_yml_accepts_exactly_the_offered_combinations(
    stack: str, framework: str, architecture: str
) -> None:
    offered = catalog.Combination(stack, framework, architecture) in set(catalog.combinations())
    refusals = _refusals(stack, framework, architecture)
    assert (not refusals) == offered, refusals
    assert all("\n" not in message for message in refusals)


@pytest.mark.parametrize("stack", catalog.STACKS.values(), ids=lambda s: s.name)
def test_framework_default_is_the_stacks_first_framework(stack: catalog.Stack) -> None:
    assert _render(COPIER_YML["framework"]["default"], stack=stack.name) == stack.frameworks[0]


@pytest.mark.parametrize("stack", catalog.STACKS.values(), ids=lambda s: s.name)
def test_each_stack_asks_its_own_naming_question(stack: catalog.Stack) -> None:
    for other in catalog.STACKS.values():
        asked = _render(COPIER_YML[other.naming_question]["when"], stack=stack.name)
        assert (asked == "True") == (other is stack)


def test_framework_alone_selects_its_stack() -> None:
    for stack in catalog.STACKS.values():
        for framework in stack.frameworks:
            assert catalog.normalise({"framework": framework})["stack"] == stack.name


def test_combinations_are_unique_and_follow_each_framework() -> None:
    combos = list(catalog.combinations())
    assert len(combos) == len(set(combos))
    assert {(c.stack, c.framework) for c in combos} == {
        (s.name, f) for s in catalog.STACKS.values() for f in s.frameworks
    }


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"stack": "cobol"}, "unknown stack 'cobol'; choose one of: go, "),
        ({"stack": "go", "framework": "django"}, "unknown framework 'django' for stack go"),
        ({"framework": "django"}, "unknown framework 'django'; choose one of"),
        ({"architecture": "mainframe"}, "unknown architecture 'mainframe'"),
        ({"database": "mysql"}, "unknown database 'mysql'; choose one of: postgres, none"),
        ({"cache": "memcached"}, "unknown cache 'memcached'"),
        ({"ci": "jenkins"}, "unknown ci 'jenkins'"),
        ({"colour": "blue"}, "unknown answer 'colour'"),
        ({"stack": "go", "framework": "fastapi"}, "unknown framework 'fastapi' for stack go"),
    ],
)
def test_invalid_answers_are_refused_with_one_line(answers: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        catalog.normalise(answers)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_framework_may_offer_fewer_architectures(monkeypatch: pytest.MonkeyPatch) -> None:
    narrow = catalog.Stack(
        "lang",
        "Lang",
        (
            catalog.Framework("wide", "Wide"),
            catalog.Framework("narrow", "Narrow", ("monolith", "microservice")),
        ),
        naming_question="lang_package",
    )
    monkeypatch.setattr(catalog, "STACKS", {"lang": narrow})
    offered = {(c.framework, c.architecture) for c in catalog.combinations()}
    assert ("wide", "serverless") in offered
    assert ("narrow", "serverless") not in offered
    assert catalog.normalise({"framework": "wide", "architecture": "serverless"})
    with pytest.raises(InvalidAnswerError) as caught:
        catalog.normalise({"framework": "narrow", "architecture": "serverless"})
    assert str(caught.value) == (
        "unknown architecture 'serverless' for framework narrow; "
        "choose one of: monolith, microservice"
    )


@pytest.mark.parametrize("framework", ["fastify", "express"])
def test_every_node_framework_is_offered_for_every_architecture(framework: str) -> None:
    offered = set(catalog.combinations())
    for architecture in catalog.ARCHITECTURES:
        assert catalog.Combination("node-ts", framework, architecture) in offered
    assert catalog.normalise({"framework": framework})["stack"] == "node-ts"


def test_node_frameworks_are_refused_for_other_stacks() -> None:
    with pytest.raises(InvalidAnswerError, match="unknown framework 'fastify' for stack go"):
        catalog.normalise({"stack": "go", "framework": "fastify"})
