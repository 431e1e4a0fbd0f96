"""Rendered Go projects build, lint and pass their own tests with nothing but Go.

One test per combination renders the project once and runs, in order, what a
developer and CI run on it: the frozen build, module verification, tidiness,
vet, then `make lint build` (golangci-lint with zero findings, and the binary),
`make test` (the race-enabled tests against real PostgreSQL and Redis, where no
test may skip), and `make fmt`, which must leave the rendered tree unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from commands import commit_rendered, run
from rendering import render_project
from repos import commit, edit, make_template

from scaffold.render import new_project
from scaffold.update import check_project, update_project

pytestmark = [pytest.mark.toolchain, pytest.mark.go]

GOLANGCI_LINT_VERSION = "v2.15.0"

# The standard library: every architecture with both dependencies, plus each dependency
# left out once. The other routers share everything but the HTTP layer with it, and
# their HTTP layer changes with the architecture only: each router in every
# architecture, with Postgres and Redis in two and with neither in the third.
COMBINATIONS = [
    ("stdlib", "monolith", "postgres", "redis"),
    ("stdlib", "microservice", "postgres", "redis"),
    ("stdlib", "serverless", "postgres", "redis"),
    ("stdlib", "monolith", "none", "none"),
    ("stdlib", "microservice", "postgres", "none"),
    ("stdlib", "serverless", "none", "redis"),
    ("gin", "monolith", "postgres", "redis"),
    ("gin", "microservice", "postgres", "redis"),
    ("gin", "serverless", "none", "none"),
    ("echo", "monolith", "none", "none"),
    ("echo", "microservice", "postgres", "redis"),
    ("echo", "serverless", "postgres", "redis"),
    ("chi", "monolith", "postgres", "redis"),
    ("chi", "microservice", "none", "none"),
    ("chi", "serverless", "postgres", "redis"),
]

# Tests that only run against a real dependency: proof that the integration tests ran.
INTEGRATION_TESTS = {
    "postgres": ["TestPostgresStore", "TestRunServes"],
    "redis": ["TestCachedStore", "TestCachedStoreReadsThroughRedis", "TestRunServes"],
}


def golangci_lint() -> str:
    """The golangci-lint command: $GOLANGCI_LINT, an installed one, or `go run` at the pin."""
    if configured := os.environ.get("GOLANGCI_LINT"):
        return configured
    gopath_bin = Path(go_output("env", "GOPATH") or Path.home() / "go") / "bin" / "golangci-lint"
    installed = shutil.which("golangci-lint") or (str(gopath_bin) if gopath_bin.exists() else None)
    if installed:
        return installed
    return f"go run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@{GOLANGCI_LINT_VERSION}"


def go_output(*args: str) -> str:
    result = subprocess.run(["go", *args], capture_output=True, text=True, check=False)
    return result.stdout.strip()


def go_test_results(events_json: str) -> tuple[set[str], list[str], list[str]]:
    """Passed tests, failed tests and skipped tests of a `go test -json` run."""
    passed: set[str] = set()
    failed: list[str] = []
    skipped: list[str] = []
    for line in events_json.splitlines():
        if not line.startswith("{"):
            continue
        event = json.loads(line)
        test = event.get("Test")
        action = event.get("Action")
        if action == "fail":
            failed.append(f"{event['Package']} {test or '(package)'}")
        elif test and action == "skip":
            skipped.append(f"{event['Package']} {test}")
        elif test and action == "pass":
            passed.add(test.split("/")[0])
    return passed, failed, skipped


@pytest.fixture(scope="module")
def go_env() -> dict[str, str]:
    if shutil.which("go") is None or shutil.which("make") is None:
        pytest.fail("the Go toolchain tests need `go` and `make` on PATH", pytrace=False)
    return {
        **os.environ,
        # The rendered go.mod and go.sum must be enough: no toolchain download,
        # no silent edits to them.
        "GOTOOLCHAIN": "local",
        # -trimpath keeps the project's directory out of build cache keys, so
        # renders in fresh temporary directories reuse the last run's builds.
        "GOFLAGS": "-mod=readonly -trimpath",
        # The race detector otherwise waits a second before each test binary exits.
        "GORACE": "atexit_sleep_ms=0",
        # As `make build` and the Dockerfile build: one compilation of the dependencies
        # serves the build, vet, lint and the binary (only the race detector needs cgo).
        "CGO_ENABLED": "0",
    }


@pytest.mark.parametrize(
    ("framework", "architecture", "database", "cache"),
    COMBINATIONS,
    ids=["-".join(combination) for combination in COMBINATIONS],
)
def test_go_project(
    tmp_path: Path,
    dependency_urls: Callable[..., dict[str, str]],
    go_env: dict[str, str],
    framework: str,
    architecture: str,
    database: str,
    cache: str,
) -> None:
    project = render_project(
        tmp_path, framework=framework, architecture=architecture, database=database, cache=cache
    )
    urls = dependency_urls(f"go_{framework}_{architecture}_{cache}", database=database, cache=cache)
    env = {**go_env, **urls}
    commit_rendered(project, env)
    check_go_project(project, env, architecture=architecture, database=database, cache=cache)


def check_go_project(
    project: Path, env: dict[str, str], *, architecture: str, database: str, cache: str
) -> None:
    """What a developer and CI run on the committed project, and what each must show."""
    run(["go", "build", "-mod=readonly", "./..."], project, env)
    run(["go", "mod", "verify"], project, env)
    run(["go", "mod", "tidy", "-diff"], project, env)
    run(["go", "vet", "./..."], project, env)

    lint = golangci_lint()
    run(["make", "lint", "build", f"GOLANGCI_LINT={lint}"], project, env)
    # `make test` runs `go test -race ./...`; -json lets its results be read
    # and -count=1 makes every test really run.
    output = run(["make", "test", "TESTFLAGS=-count=1 -json"], project, {**env, "CGO_ENABLED": "1"})
    passed, failed, skipped = go_test_results(output)
    assert not failed, f"failed: {failed}\n{output[-5000:]}"
    assert not skipped, f"skipped with DATABASE_URL and REDIS_URL set: {skipped}"
    expected = {"TestRunServes", "TestReadyz", "TestRequestTimeout", "TestPanicRecovery"}
    for dependency in (database, cache):
        expected.update(INTEGRATION_TESTS.get(dependency, []))
    if architecture == "serverless":
        expected.add("TestLambdaHandler")
    if architecture == "microservice":
        expected.update({"TestMetrics", "TestLogsCarryTraceIDs"})
    assert expected <= passed, f"did not pass: {sorted(expected - passed)}"
    assert (project / "bin" / "orders-api").is_file()

    run(["make", "fmt", f"GOLANGCI_LINT={lint}"], project, env)
    status = run(["git", "status", "--porcelain"], project, env)
    assert status == "", f"make fmt or make build changed the rendered tree:\n{status}"


def test_go_project_that_gains_postgres_and_redis_on_update(
    tmp_path: Path, dependency_urls: Callable[..., dict[str, str]], go_env: dict[str, str]
) -> None:
    """`scaffold update -d database=postgres -d cache=redis` on a committed project with an
    owner edit: the result passes what a new project passes, the edit still there."""
    template = make_template(tmp_path)
    answers = {
        "project_name": "Orders API",
        "framework": "chi",
        "database": "none",
        "cache": "none",
    }
    project = new_project(tmp_path / "orders-api", answers, template=str(template)).dest
    urls = dependency_urls("go_gains_both", database="postgres", cache="redis")
    env = {**go_env, **urls}
    commit_rendered(project, env)
    owned = "web.JSON(w, http.StatusCreated, item) // the owner's edit"
    edit(project / "internal/items/handlers.go", "web.JSON(w, http.StatusCreated, item)", owned)
    commit(project, "owner edit")

    updated = update_project(project, data={"database": "postgres", "cache": "redis"})

    assert updated.conflicts == []
    commit(project, "postgres and redis")
    check_go_project(project, env, architecture="monolith", database="postgres", cache="redis")
    assert owned in (project / "internal/items/handlers.go").read_text()
    assert check_project(project).status == "up-to-date"
