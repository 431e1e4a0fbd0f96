"""Fast layer: every offered combination renders, parses, and is formatted as shipped."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from rendering import REPO_ROOT, render_project

from scaffold import catalog
from scaffold.errors import InvalidAnswerError


def _rendered(combination: catalog.Combination, database: str, cache: str, ci: str) -> bool:
    """Every combination, except that the ci answer shapes no source file: a stack's
    frameworks after the first take one ci per architecture, database and cache, rotated
    so that each meets every provider."""
    stack = catalog.STACKS[combination.stack]
    if combination.framework == stack.frameworks[0]:
        return True
    turn = (
        stack.frameworks.index(combination.framework)
        + stack.architectures.index(combination.architecture)
        + catalog.DATABASES.index(database)
        + catalog.CACHES.index(cache)
    )
    return ci == catalog.CI_PROVIDERS[turn % len(catalog.CI_PROVIDERS)]


COMBINATIONS = [
    {
        "stack": c.stack,
        "framework": c.framework,
        "architecture": c.architecture,
        "database": db,
        "cache": cache,
        "ci": ci,
    }
    for c, db, cache, ci in itertools.product(
        catalog.combinations(), catalog.DATABASES, catalog.CACHES, catalog.CI_PROVIDERS
    )
    if _rendered(c, db, cache, ci)
]
# Questions that only one stack asks.
STACK_QUESTIONS = {s.naming_question: s.name for s in catalog.STACKS.values()}
# Expressions of GitHub Actions (${{ ... }}) are the only double braces a project may contain.
STRAY_JINJA = re.compile(r"(?<!\$)\{\{|\{%|%\}|\{#|#\}")


class _AnyTagLoader(yaml.SafeLoader):
    """Reads CloudFormation short forms (!Ref, !Sub, ...) as plain values."""


_AnyTagLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


def _id(answers: dict[str, str]) -> str:
    return "-".join(answers[k] for k in ("framework", "architecture", "database", "cache", "ci"))


@pytest.fixture(scope="module", params=COMBINATIONS, ids=_id)
def project(request: pytest.FixtureRequest, copie_session) -> tuple[dict[str, str], Path]:
    result = copie_session.copy(extra_answers={"project_name": "Orders API", **request.param})
    assert result.exit_code == 0, result.exception
    return request.param, result.project_dir


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_no_template_syntax_or_suffix_left(project: tuple[dict[str, str], Path]) -> None:
    _, root = project
    for path in _files(root):
        assert path.suffix != ".jinja", path
        text = path.read_text()
        match = STRAY_JINJA.search(text)
        assert match is None, f"{path.relative_to(root)}: stray {match.group(0) if match else ''!r}"


def test_no_empty_directories(project: tuple[dict[str, str], Path]) -> None:
    _, root = project
    empty = [p for p in root.rglob("*") if p.is_dir() and not any(p.iterdir())]
    assert empty == []


def test_structured_files_parse(project: tuple[dict[str, str], Path]) -> None:
    _, root = project
    for path in _files(root):
        text = path.read_text()
        if path.suffix in {".yml", ".yaml"}:
            list(yaml.load_all(text, Loader=_AnyTagLoader))
        elif path.suffix == ".json":
            if path.name.startswith("tsconfig"):
                # TypeScript reads JSON with comments; these have whole-line ones only.
                text = re.sub(r"^\s*//.*$", "", text, flags=re.M)
            json.loads(text)
        elif path.suffix == ".toml":
            tomllib.loads(text)


def test_answers_file_is_complete(project: tuple[dict[str, str], Path]) -> None:
    answers, root = project
    recorded = yaml.safe_load((root / ".copier-answers.yml").read_text())
    assert recorded["_commit"]
    assert recorded["_src_path"]
    for key, value in answers.items():
        assert recorded[key] == value
    asked = {
        q for q in catalog.QUESTIONS if STACK_QUESTIONS.get(q, answers["stack"]) == answers["stack"]
    }
    assert asked <= set(recorded)


# Where each stack keeps the orders module and the migrations, and files it always has.
STACK_LAYOUT = {
    "go": (
        "internal/orders",
        "migrations",
        ("go.mod", "go.sum", "cmd/orders-api/main.go", ".golangci.yml"),
    ),
    "node-ts": (
        "src/orders",
        "migrations",
        ("package.json", "tsconfig.json", "eslint.config.js", ".nvmrc", "src/main.ts"),
    ),
    "python-fastapi": (
        "src/orders_api/orders",
        "src/orders_api/migrations",
        ("pyproject.toml", "uv.lock", ".python-version", "src/orders_api/cli.py"),
    ),
    "rust": (
        "src/orders",
        "migrations",
        ("Cargo.toml", "Cargo.lock", "src/main.rs", "deny.toml", "clippy.toml"),
    ),
}


def test_openapi_document_lists_the_routes_of_the_architecture(
    project: tuple[dict[str, str], Path],
) -> None:
    answers, root = project
    document = (
        "src/orders_api/openapi.json"
        if answers["stack"] == "python-fastapi"
        else "api/openapi.json"
    )
    spec = json.loads((root / document).read_text())
    routes = {"/healthz", "/readyz", "/v1/items", "/v1/items/{id}"}
    if answers["architecture"] == "monolith":
        routes |= {"/v1/orders", "/v1/orders/{id}"}
    if answers["architecture"] == "microservice":
        routes |= {"/metrics"}
    assert set(spec["paths"]) == routes
    for ref in re.findall(r'"\$ref": "#/([^"]+)"', (root / document).read_text()):
        node = spec
        for part in ref.split("/"):
            assert part in node, f"{document}: $ref #/{ref} points nowhere"
            node = node[part]


def test_optional_files_follow_the_answers(project: tuple[dict[str, str], Path]) -> None:
    answers, root = project
    orders, migrations, stack_files = STACK_LAYOUT[answers["stack"]]
    expected = {
        "deploy/k8s": answers["architecture"] == "microservice",
        "template.yaml": answers["architecture"] == "serverless",
        ".github/workflows/ci.yml": answers["ci"] == "github",
        ".gitlab-ci.yml": answers["ci"] == "gitlab",
        orders: answers["architecture"] == "monolith",
        migrations: answers["database"] == "postgres",
    }
    for path, present in expected.items():
        assert (root / path).exists() == present, f"{path} present={not present}"
    for always in (
        "Dockerfile",
        ".dockerignore",
        "compose.yaml",
        "Makefile",
        "README.md",
        ".env.example",
        ".editorconfig",
        ".gitignore",
        ".pre-commit-config.yaml",
        *stack_files,
    ):
        assert (root / always).is_file(), always


# Each stack's formatters and linters that need no dependencies installed: quiet when clean.
# The project's own settings apply (e.g. ruff reads pyproject.toml); no cache is written.
SOURCE_CHECKS = {
    "go": [["gofmt", "-l", "."]],
    "python-fastapi": [
        [sys.executable, "-m", "ruff", "format", "--check", "--quiet", "--no-cache", "."],
        [sys.executable, "-m", "ruff", "check", "--quiet", "--no-cache", "."],
    ],
    # rustfmt on the crate's files, with the edition and settings of Cargo.toml.
    "rust": [["cargo", "fmt", "--check"]],
}


def _prettier_version() -> str:
    package = (REPO_ROOT / "templates/node-ts/package.json.jinja").read_text()
    match = re.search(r'"prettier": "([^"]+)"', package)
    assert match, "templates/node-ts/package.json.jinja pins no prettier"
    return match.group(1)


@pytest.fixture(scope="session")
def prettier(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Prettier at the version the Node projects pin, installed once per session."""
    if shutil.which("npm") is None:
        pytest.fail("the Node render checks need npm (Node.js) on PATH", pytrace=False)
    prefix = tmp_path_factory.mktemp("prettier")
    subprocess.run(
        [
            "npm",
            "install",
            "--prefix",
            str(prefix),
            "--no-audit",
            "--no-fund",
            "--prefer-offline",
            f"prettier@{_prettier_version()}",
        ],
        check=True,
        capture_output=True,
    )
    return str(prefix / "node_modules" / ".bin" / "prettier")


def test_sources_are_formatted_as_rendered(
    project: tuple[dict[str, str], Path], request: pytest.FixtureRequest
) -> None:
    answers, root = project
    checks = SOURCE_CHECKS.get(answers["stack"])
    if checks is None:
        # Prettier reads the project's own .prettierrc.json and .prettierignore.
        checks = [[request.getfixturevalue("prettier"), "--check", "--log-level", "warn", "."]]
    for argv in checks:
        result = subprocess.run(argv, cwd=root, capture_output=True, text=True, check=False)
        output = result.stdout + result.stderr
        assert (result.returncode, output) == (0, ""), f"{' '.join(argv[-5:])}:\n{output}"


@pytest.mark.parametrize(
    ("package", "message"),
    [
        ("Orders", "must be a lower-case Python identifier"),
        ("orders__api", 'must not end with or repeat "_"'),
        ("class", "is a reserved word"),
        ("fastapi", "is a reserved word"),
    ],
)
def test_python_package_must_be_importable_and_free(
    tmp_path: Path, package: str, message: str
) -> None:
    with pytest.raises(InvalidAnswerError, match=message):
        render_project(tmp_path, stack="python-fastapi", python_package=package)
    assert not (tmp_path / "orders-api").exists()


@pytest.mark.parametrize(
    ("package", "message"),
    [
        ("Orders", "must be a lower-case npm package name"),
        ("@acme", "must be a lower-case npm package name"),
        ("orders api", "must be a lower-case npm package name"),
        ("a" * 215, "is longer than 214 characters"),
    ],
)
def test_npm_package_must_be_a_valid_name(tmp_path: Path, package: str, message: str) -> None:
    with pytest.raises(InvalidAnswerError, match=message):
        render_project(tmp_path, stack="node-ts", npm_package=package)
    assert not (tmp_path / "orders-api").exists()


def test_npm_package_names_the_project(tmp_path: Path) -> None:
    root = render_project(tmp_path, stack="node-ts", npm_package="@acme/orders-api")
    assert json.loads((root / "package.json").read_text())["name"] == "@acme/orders-api"


SOURCE_SUFFIXES = (".go", ".py", ".ts", ".rs", ".js")


def test_source_templates_do_not_branch_on_the_framework() -> None:
    """A framework's variant of a source file is its own file, chosen by its name."""
    templates = Path(__file__).resolve().parents[2] / "templates"
    branching = [
        str(path.relative_to(templates))
        for path in templates.rglob("*")
        if path.is_file()
        and path.name.removesuffix(".jinja").endswith(SOURCE_SUFFIXES)
        and re.search(r"\bframework\b\s*(==|!=|in\b)", path.read_text())
    ]
    assert branching == []


@pytest.mark.parametrize(
    ("crate", "message"),
    [
        ("Orders", "must be a lower-case Rust identifier"),
        ("orders__api", 'must not end with or repeat "_"'),
        ("core", "is a reserved word"),
        ("tokio", "is a reserved word"),
    ],
)
def test_rust_crate_must_compile_and_be_free(tmp_path: Path, crate: str, message: str) -> None:
    with pytest.raises(InvalidAnswerError, match=message):
        render_project(tmp_path, stack="rust", rust_crate=crate)
    assert not (tmp_path / "orders-api").exists()
