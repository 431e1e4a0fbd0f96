"""The real validators on every rendered file that has one.

hadolint (Dockerfile), actionlint and the GitHub workflow schema, the GitLab CI schema,
`docker-compose config` (Compose specification), cfn-lint (AWS SAM), kubernetes-validate
(manifests), the Dependabot and Renovate schemas, shellcheck (shell scripts, including the
ones inlined in CI) and yamllint (every YAML file).

Every validator is required: a missing one fails the test with the way to install it,
it never skips. Each combination of answers renders once per session.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from rendering import REPO_ROOT, render_project

from scaffold import catalog

pytestmark = [pytest.mark.static]

ARCHITECTURES = catalog.ARCHITECTURES
CI_PROVIDERS = catalog.CI_PROVIDERS
BACKENDS = tuple(itertools.product(catalog.DATABASES, catalog.CACHES))

Answers = dict[str, str]

# No checked file depends on more than two of architecture, ci and the backends (database and
# cache): the Kubernetes manifests and template.yaml on architecture x backends, the pipelines
# on ci x backends, Dependabot/Renovate on architecture x ci. So every pair of those is every
# combination that shapes a file: 12 renders instead of 36, with ci rotated so that each
# architecture and each backend pair meets each provider (test_combinations_cover_every_pair).
COMBINATIONS: list[Answers] = [
    {
        "architecture": arch,
        "ci": CI_PROVIDERS[(a + b) % len(CI_PROVIDERS)],
        "database": db,
        "cache": cache,
    }
    for (a, arch), (b, (db, cache)) in itertools.product(
        enumerate(ARCHITECTURES), enumerate(BACKENDS)
    )
]
# The same combinations of the Python stack, whose files differ from Go's where a
# toolchain shows (Dockerfile, pipelines, Makefile, dependency updates, SAM build).
PYTHON = {"stack": "python-fastapi"}
PYTHON_COMBINATIONS: list[Answers] = [{**a, **PYTHON} for a in COMBINATIONS]
# And of the Node stack: its frameworks share every file these validators read.
NODE = {"stack": "node-ts"}
NODE_COMBINATIONS: list[Answers] = [{**a, **NODE} for a in COMBINATIONS]
# And of the Rust stack; its frameworks share every file checked here.
RUST_COMBINATIONS: list[Answers] = [{**a, "stack": "rust"} for a in COMBINATIONS]
# The CI image jobs also depend on the registry's host: GHCR, GitLab's registry, Docker Hub
# (with and without a host) and any other registry.
REGISTRIES: list[Answers] = [
    {"architecture": "microservice", "ci": ci, "container_registry": registry}
    for ci, registry in [
        ("github", "acme"),
        ("github", "docker.io/acme"),
        ("github", "registry.example.com:5000/team"),
        ("gitlab", "registry.gitlab.com/acme/platform"),
        ("gitlab", "acme"),
        ("gitlab", "registry.example.com:5000/team"),
    ]
]

YAMLLINT_CONFIG = """\
extends: default
rules:
  document-start: disable
  line-length: disable
  truthy:
    check-keys: false
  comments:
    min-spaces-from-content: 1
"""

_PIP = "pip install -e '.[test]'"
_ACTIONLINT = "go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12 (or set ACTIONLINT)"


def _id(answers: Answers) -> str:
    return "-".join(answers.values()).replace("/", "_")


def _stack_mark(answers: Answers) -> pytest.MarkDecorator:
    marks = {
        "python-fastapi": pytest.mark.python,
        "node-ts": pytest.mark.node,
        "rust": pytest.mark.rust,
    }
    return marks.get(answers.get("stack", "go"), pytest.mark.go)


def _where(predicate: Callable[[Answers], bool]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize(
        "answers",
        [
            pytest.param(a, marks=_stack_mark(a), id=_id(a))
            for a in COMBINATIONS + PYTHON_COMBINATIONS + NODE_COMBINATIONS + RUST_COMBINATIONS
            if predicate(a)
        ],
    )


# --- tools ---------------------------------------------------------------------------


def _find_tool(name: str, install: str, *extra: Path, env: str | None = None) -> str:
    """The validator's path; the virtualenv running pytest comes before PATH."""
    candidates: list[Path] = []
    if env and os.environ.get(env):
        candidates.append(Path(os.environ[env]))
    candidates.append(Path(sys.executable).parent / name)
    candidates.extend(extra)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is required by the static tests; install it: {install}", pytrace=False)
    return found


@pytest.fixture(scope="session")
def tools() -> dict[str, str]:
    gopath_bin = Path(os.environ.get("GOPATH", Path.home() / "go")) / "bin"
    return {
        "hadolint": _find_tool("hadolint", _PIP),
        "actionlint": _find_tool(
            "actionlint",
            _ACTIONLINT,
            gopath_bin / "actionlint",
            env="ACTIONLINT",
        ),
        "shellcheck": _find_tool("shellcheck", _PIP),
        "check-jsonschema": _find_tool("check-jsonschema", _PIP),
        "docker-compose": _find_tool("docker-compose", _PIP),
        "cfn-lint": _find_tool("cfn-lint", _PIP),
        "kubernetes-validate": _find_tool("kubernetes-validate", _PIP),
        "yamllint": _find_tool("yamllint", _PIP),
    }


def _run(argv: list[str], cwd: Path) -> str:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(argv)} (in {cwd}) failed:\n{output}"
    return output


# --- rendering -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Answers], Path]:
    """Renders a combination the first time it is asked for, then reuses it."""
    cache: dict[tuple[tuple[str, str], ...], Path] = {}

    def render(answers: Answers) -> Path:
        key = tuple(sorted(answers.items()))
        if key not in cache:
            parent = tmp_path_factory.mktemp(_id(answers))
            cache[key] = render_project(parent, **answers)
        return cache[key]

    return render


def _yaml_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in {".yml", ".yaml"})


def _shell_scripts(root: Path) -> list[Path]:
    scripts = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or ".git" in path.parts:
            continue
        if path.suffix in {".sh", ".bash"}:
            scripts.append(path)
            continue
        with path.open("rb") as f:
            first = f.readline(80)
        if first.startswith(b"#!") and (b"sh" in first.split(b"/")[-1]):
            scripts.append(path)
    return scripts


def _gitlab_scripts(pipeline: Path) -> str:
    """The shell that GitLab runs: every before_script/script line, as one sh script."""
    config = yaml.safe_load(pipeline.read_text())
    lines = ["#!/bin/sh", "set -eu"]
    for name, job in config.items():
        if not isinstance(job, dict):
            continue
        for key in ("before_script", "script", "after_script"):
            commands = job.get(key, [])
            lines.append(f"# {name}.{key}")
            lines.extend(commands if isinstance(commands, list) else [commands])
    return "\n".join(lines) + "\n"


# --- the validators ------------------------------------------------------------------


@_where(lambda a: True)
def test_dockerfile_passes_hadolint(
    answers: Answers, rendered: Callable[[Answers], Path], tools: dict[str, str]
) -> None:
    root = rendered(answers)
    _run([tools["hadolint"], "--failure-threshold", "info", "Dockerfile"], root)


@_where(lambda a: True)
def test_compose_file_is_valid(
    answers: Answers, rendered: Callable[[Answers], Path], tools: dict[str, str]
) -> None:
    root = rendered(answers)
    _run([tools["docker-compose"], "-f", "compose.yaml", "config", "--quiet"], root)


@_where(lambda a: a["ci"] == "github")
def test_github_workflow_passes_actionlint_and_schema(
    answers: Answers, rendered: Callable[[Answers], Path], tools: dict[str, str]
) -> None:
    root = rendered(answers)
    workflows = sorted(
        str(p.relative_to(root)) for p in (root / ".github/workflows").glob("*.y*ml")
    )
    assert workflows, "no workflow rendered"
    _run([tools["actionlint"], "-shellcheck", tools["shellcheck"], *workflows], root)
    schema = "vendor.github-workflows"
    _run([tools["check-jsonschema"], "--builtin-schema", schema, *workflows], root)
    dependabot = ".github/dependabot.yml"
    _run([tools["check-jsonschema"], "--builtin-schema", "vendor.dependabot", dependabot], root)


@_where(lambda a: a["ci"] == "gitlab")
def test_gitlab_pipeline_matches_schema_and_its_shell_is_clean(
    answers: Answers, rendered: Callable[[Answers], Path], tools: dict[str, str]
) -> None:
    root = rendered(answers)
    _run(
        [tools["check-jsonschema"], "--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"], root
    )
    _shellcheck_inline(root, _gitlab_scripts(root / ".gitlab-ci.yml"), tools)


@pytest.mark.go
@pytest.mark.parametrize("answers", REGISTRIES, ids=_id)
def test_image_jobs_for_every_kind_of_registry(
    answers: Answers, rendered: Callable[[Answers], Path], tools: dict[str, str]
) -> None:
    root = rendered(answers)
    if answers["ci"] == "github":
        workflow = ".github/workflows/ci.yml"
        _run([tools["actionlint"], "-shellcheck", tools["shellcheck"], workflow], root)
        _run(
            [tools["check-jsonschema"], "--builtin-schema", "vendor.github-workflows", workflow],
            root,
        )
    else:
        _run(
            [tools["check-jsonschema"], "--builtin-schema", "vendor.gitlab-ci", ".gitlab-ci.yml"],
            root,
        )
        _shellcheck_inline(root, _gitlab_scripts(root / ".gitlab-ci.yml"), tools)


def _shellcheck_inline(root: Path, script: str, tools: dict[str, str]) -> None:
    path = root.parent / "gitlab-ci-scripts.sh"
    path.write_text(script)
    _run([tools["shellcheck"], "--shell=sh", str(path)], root)


@_where(lambda a: a["ci"] != "github")
def test_renovate_config_matches_schema(
    answers: Answers, rendered: Callable[[Answers], Path], tools: dict[str, str]
) -> None:
    root = rendered(answers)
    _run([tools["check-jsonschema"], "--builtin-schema", "vendor.renovate", "renovate.json"], root)


@_where(lambda a: a["architecture"] == "microservice")
def test_kubernetes_manifests_are_valid(
    answers: Answers, rendered: Callable[[Answers], Path], tools: dict[str, str]
) -> None:
    root = rendered(answers)
    manifests = sorted(
        str(p.relative_to(root))
        for p in (root / "deploy/k8s").glob("*.yaml")
        # kustomize's own file is no Kubernetes object; test_project_files checks it.
        if p.name != "kustomization.yaml"
    )
    assert manifests, "no manifest rendered"
    for manifest in manifests:
        output = _run([tools["kubernetes-validate"], "--strict", manifest], root)
        # An unknown kind or apiVersion is only a warning there: it must not pass unseen.
        assert "passed" in output and "WARN" not in output, f"{manifest}: {output}"


@_where(lambda a: a["architecture"] == "serverless")
def test_sam_template_passes_cfn_lint(
    answers: Answers, rendered: Callable[[Answers], Path], tools: dict[str, str]
) -> None:
    root = rendered(answers)
    _run([tools["cfn-lint"], "template.yaml"], root)


@_where(lambda a: True)
def test_shell_scripts_pass_shellcheck(
    answers: Answers, rendered: Callable[[Answers], Path], tools: dict[str, str]
) -> None:
    root = rendered(answers)
    scripts = [str(p.relative_to(root)) for p in _shell_scripts(root)]
    if scripts:
        _run([tools["shellcheck"], *scripts], root)


@_where(lambda a: True)
def test_every_yaml_file_passes_yamllint(
    answers: Answers, rendered: Callable[[Answers], Path], tools: dict[str, str]
) -> None:
    root = rendered(answers)
    files = [str(p.relative_to(root)) for p in _yaml_files(root)]
    assert files
    _run([tools["yamllint"], "--strict", "--config-data", YAMLLINT_CONFIG, *files], root)


@pytest.mark.go
@pytest.mark.python
@pytest.mark.rust
def test_combinations_cover_every_pair() -> None:
    backends = [(a["database"], a["cache"]) for a in COMBINATIONS]
    pairs = {
        "architecture x backends": {
            (a["architecture"], (a["database"], a["cache"])) for a in COMBINATIONS
        },
        "ci x backends": {(a["ci"], b) for a, b in zip(COMBINATIONS, backends, strict=True)},
        "architecture x ci": {(a["architecture"], a["ci"]) for a in COMBINATIONS},
    }
    assert pairs["architecture x backends"] == set(itertools.product(ARCHITECTURES, BACKENDS))
    assert pairs["ci x backends"] == set(itertools.product(CI_PROVIDERS, BACKENDS))
    assert pairs["architecture x ci"] == set(itertools.product(ARCHITECTURES, CI_PROVIDERS))


# --- what no validator checks --------------------------------------------------------

# Set by the platform, not by whoever deploys the service.
PLATFORM_VARIABLES = {"AWS_LAMBDA_RUNTIME_API"}


def _variables_read(root: Path) -> set[str]:
    # Go and Rust read each variable through a getenv("NAME") call.
    for getenv_config in (root / "internal/config/config.go", root / "src/config.rs"):
        if getenv_config.exists():
            config = getenv_config.read_text()
            return set(re.findall(r'getenv\("([A-Z0-9_]+)"\)', config)) - PLATFORM_VARIABLES
    node_config = root / "src/config.ts"
    if node_config.exists():
        # The zod schema names each variable as a key of the environment object.
        schema = node_config.read_text().split("const schema = ", 1)[1].split(".transform(", 1)[0]
        return set(re.findall(r"^    ([A-Z][A-Z0-9_]*): ", schema, re.M))
    # pydantic-settings reads each field of Settings from the variable of its name.
    (python_config,) = root.glob("src/*/config.py")
    settings = python_config.read_text().split("class Settings(", 1)[1].split("\n\n\n", 1)[0]
    return {field.upper() for field in re.findall(r"^    ([a-z][a-z0-9_]*): ", settings, re.M)}


@_where(lambda a: True)
def test_every_variable_is_documented(
    answers: Answers, rendered: Callable[[Answers], Path]
) -> None:
    root = rendered(answers)
    read = _variables_read(root)
    assert read, "the service's configuration reads no variable"
    example = (root / ".env.example").read_text()
    documented = set(re.findall(r"^#? ?([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert documented == read, ".env.example and the service's configuration disagree"
    readme = (root / "README.md").read_text()
    in_table = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", readme, flags=re.MULTILINE))
    assert in_table == read, "the README's configuration table and the configuration disagree"


@_where(lambda a: True)
def test_readme_layout_matches_the_project(
    answers: Answers, rendered: Callable[[Answers], Path]
) -> None:
    root = rendered(answers)
    readme = (root / "README.md").read_text()
    layout = readme.split("## Layout", 1)[1]
    paths = re.findall(r"^\| `([^`]+)` \|", layout, flags=re.MULTILINE)
    assert paths
    missing = [p for p in paths if not (root / p).exists()]
    assert missing == [], f"README.md lists paths the project lacks: {missing}"


@_where(lambda a: True)
def test_compose_publishes_on_loopback_and_waits_for_health(
    answers: Answers, rendered: Callable[[Answers], Path]
) -> None:
    compose = yaml.safe_load((rendered(answers) / "compose.yaml").read_text())
    services = compose["services"]
    expected = {"app"}
    if answers["database"] == "postgres":
        expected |= {"postgres", "migrate"}
    if answers["cache"] == "redis":
        expected.add("redis")
    assert set(services) == expected
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
        if "build" not in service:
            tag = service["image"].rsplit(":", 1)[-1]
            assert re.match(r"\d+\.\d+", tag), f"{name}: image {service['image']} is not pinned"
            assert "healthcheck" in service, f"{name} has no health check"
        for dependency, condition in service.get("depends_on", {}).items():
            wanted = (
                "service_completed_successfully" if dependency == "migrate" else "service_healthy"
            )
            assert condition == {"condition": wanted}, f"{name} -> {dependency}"


@_where(lambda a: a["architecture"] == "microservice")
def test_kustomization_covers_every_manifest(
    answers: Answers, rendered: Callable[[Answers], Path]
) -> None:
    k8s = rendered(answers) / "deploy/k8s"
    kustomization = yaml.safe_load((k8s / "kustomization.yaml").read_text())
    manifests = {p.name for p in k8s.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == manifests
    deployment = yaml.safe_load((k8s / "deployment.yaml").read_text())
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert [i["name"] for i in kustomization["images"]] == [container["image"]]
    secrets = {
        e["valueFrom"]["secretKeyRef"]["key"]
        for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    assert secrets == _variables_read(rendered(answers)) & {"DATABASE_URL", "REDIS_URL"}


@pytest.mark.go
@pytest.mark.parametrize("license_id", ["MIT", "Apache-2.0", "Proprietary"])
def test_license_is_the_canonical_text(license_id: str, tmp_path: Path) -> None:
    root = render_project(tmp_path, license=license_id, owner="acme")
    license_file = root / "LICENSE"
    if license_id == "Proprietary":
        assert not license_file.exists()
        return
    text = license_file.read_text()
    if license_id == "MIT":
        assert text.startswith("MIT License\n\nCopyright (c) 20")
        assert " acme\n\nPermission is hereby granted, free of charge," in text
    else:
        canonical = REPO_ROOT / "templates/common/licenses/Apache-2.0.txt"
        assert text == canonical.read_text()
        assert hashlib.md5(text.encode()).hexdigest() == "3b83ef96387f14655fc854ddc3c6bd57"


# --- the validators bite -------------------------------------------------------------
# A validator that passes everything would make every test above green; each one is shown
# a broken copy of a rendered file once.

BROKEN: dict[str, tuple[str, Callable[[str], str], Callable[[dict[str, str], str], list[str]]]] = {
    "hadolint": (
        "Dockerfile",
        lambda text: text.replace("USER 65532:65532", "USER nonroot"),
        lambda t, f: [t["hadolint"], "--failure-threshold", "info", f],
    ),
    "actionlint": (
        ".github/workflows/ci.yml",
        lambda text: text.replace("runs-on: ubuntu-latest", "runs-on: ${{ matrix.os }}", 1),
        lambda t, f: [t["actionlint"], f],
    ),
    "github-workflow-schema": (
        ".github/workflows/ci.yml",
        lambda text: text.replace("runs-on:", "run-on:", 1),
        lambda t, f: [t["check-jsonschema"], "--builtin-schema", "vendor.github-workflows", f],
    ),
    "compose": (
        "compose.yaml",
        lambda text: text.replace("condition: service_healthy", "condition: healthy", 1),
        lambda t, f: [t["docker-compose"], "-f", f, "config", "--quiet"],
    ),
    "kubernetes-validate": (
        "deploy/k8s/deployment.yaml",
        lambda text: text.replace("readOnlyRootFilesystem: true", "readOnlyRootFS: true"),
        lambda t, f: [t["kubernetes-validate"], "--strict", f],
    ),
    "yamllint": (
        "compose.yaml",
        lambda text: text.replace("services:\n", "services:\n  app:\n    build: .\n", 1),
        lambda t, f: [t["yamllint"], "--strict", "--config-data", YAMLLINT_CONFIG, f],
    ),
}


@pytest.mark.go
@pytest.mark.parametrize("validator", sorted(BROKEN))
def test_validator_rejects_a_broken_file(
    validator: str, rendered: Callable[[Answers], Path], tools: dict[str, str]
) -> None:
    path, breaks, argv = BROKEN[validator]
    root = rendered(
        next(a for a in COMBINATIONS if a["architecture"] == "microservice" and a["ci"] == "github")
    )
    original = (root / path).read_text()
    broken = breaks(original)
    assert broken != original, f"the {validator} breakage no longer applies to {path}"
    copy = root.parent / f"broken-{validator}" / path
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_text(broken)
    result = subprocess.run(
        argv(tools, str(copy.relative_to(root.parent / f"broken-{validator}"))),
        cwd=root.parent / f"broken-{validator}",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0, f"{validator} accepted a broken {path}"
