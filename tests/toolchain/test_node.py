"""Rendered Node (TypeScript) projects install, lint and pass their own tests with Node alone.

One test per combination renders the project once and runs, in order, what a developer
and CI run on it: the frozen install (`npm ci` on the package-lock.json of the render),
then `make lint build` (ESLint with typescript-eslint's type-checked rules, Prettier and
`tsc --strict` with zero findings, and the compiled service), `make test` (node:test
against real PostgreSQL and Redis, where no test may skip and the integration tests must
pass), and `make fmt`, which must leave the rendered tree unchanged. Every render shares
npm's cache, so each package is downloaded once per machine.
"""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from commands import commit_rendered, run
from nodes import node_env
from rendering import render_project

pytestmark = [pytest.mark.toolchain, pytest.mark.node]

# Each framework in every architecture, and Postgres and Redis each on and off at least
# once per framework: the frameworks share everything but their HTTP layer and Lambda
# adapter, whose code changes with the architecture only.
COMBINATIONS = [
    ("fastify", "monolith", "postgres", "redis"),
    ("fastify", "microservice", "postgres", "none"),
    ("fastify", "serverless", "none", "redis"),
    ("fastify", "monolith", "none", "none"),
    ("nestjs", "monolith", "postgres", "redis"),
    ("nestjs", "microservice", "none", "none"),
    ("nestjs", "serverless", "postgres", "none"),
    ("express", "monolith", "postgres", "redis"),
    ("express", "microservice", "none", "none"),
    ("express", "serverless", "postgres", "redis"),
]

# Tests that pass in every project, and those that only run against a real dependency
# or in one architecture: proof that the integration tests ran.
ALWAYS = {
    "serves end to end, and exits 0 on SIGTERM",
    "a request past the timeout answers 504",
    "an unhandled error answers 500 and is logged",
    "a body over the limit is 413",
    "reports each dependency, and 503 naming a failing one",
}
INTEGRATION_TESTS = {
    "postgres": {"keeps items in PostgreSQL"},
    "redis": {"reads through Redis"},
}
ARCHITECTURE_TESTS = {
    "monolith": {"an order is priced from its item"},
    "microservice": {
        "metrics count requests by route",
        "the access line carries the caller's trace id",
    },
    "serverless": {"the handler serves an API Gateway event"},
}
# The service's own settings: a value in the caller's environment must not leak in.
SERVICE_ENV = ("PORT", "LOG_LEVEL", "DATABASE_URL", "REDIS_URL", "REQUEST_TIMEOUT")


def junit_results(report: Path) -> tuple[set[str], list[str], list[str]]:
    """Passed tests, failed tests and skipped tests of a node:test JUnit report."""
    passed: set[str] = set()
    failed: list[str] = []
    skipped: list[str] = []
    for case in ET.parse(report).iter("testcase"):
        name = str(case.get("name"))
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(f"{case.get('classname')}: {name}")
        elif case.find("skipped") is not None:
            skipped.append(f"{case.get('classname')}: {name}")
        else:
            passed.add(name)
    return passed, failed, skipped


@pytest.fixture(scope="module")
def npm_env() -> dict[str, str]:
    if shutil.which("npm") is None or shutil.which("make") is None:
        pytest.fail("the Node toolchain tests need npm and make on PATH", pytrace=False)
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV}
    return {
        **node_env(env),
        # The cache is shared by every render; what it holds is not fetched again.
        "npm_config_prefer_offline": "true",
        "npm_config_audit": "false",
        "npm_config_fund": "false",
        "npm_config_update_notifier": "false",
    }


@pytest.mark.parametrize(
    ("framework", "architecture", "database", "cache"),
    COMBINATIONS,
    ids=["-".join(combination) for combination in COMBINATIONS],
)
def test_node_project(
    tmp_path: Path,
    dependency_urls: Callable[..., dict[str, str]],
    npm_env: dict[str, str],
    framework: str,
    architecture: str,
    database: str,
    cache: str,
) -> None:
    project = render_project(
        tmp_path,
        stack="node-ts",
        framework=framework,
        architecture=architecture,
        database=database,
        cache=cache,
    )
    urls = dependency_urls(
        f"node_{framework}_{architecture}_{cache}", database=database, cache=cache
    )
    env = {**npm_env, **urls}
    commit_rendered(project, env)

    run(["npm", "ci"], project, env)
    run(["make", "lint", "build"], project, env)
    assert (project / "dist" / "main.js").is_file(), "make build wrote no dist/main.js"

    report = tmp_path / "node-test.xml"
    flags = (
        f"TESTFLAGS=--test-reporter=junit --test-reporter-destination={report} "
        "--test-reporter=dot --test-reporter-destination=stdout"
    )
    output = run(["make", "test", flags], project, env)
    passed, failed, skipped = junit_results(report)
    assert not failed, f"failed: {failed}\n{output[-5000:]}"
    assert not skipped, f"skipped with DATABASE_URL and REDIS_URL set: {skipped}"
    expected = ALWAYS | ARCHITECTURE_TESTS[architecture]
    for dependency in (database, cache):
        expected |= INTEGRATION_TESTS.get(dependency, set())
    assert expected <= passed, f"did not pass: {sorted(expected - passed)}"

    run(["make", "fmt"], project, env)
    status = run(["git", "status", "--porcelain"], project, env)
    assert status == "", f"make fmt, make test or make build changed the rendered tree:\n{status}"
