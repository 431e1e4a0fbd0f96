"""Rendered Node (TypeScript) projects install, lint and pass their own tests with Node alone.

One test per combination renders the project once and runs, in order, what a developer
and CI run on it: the frozen install (`npm ci` on the package-lock.json of the render),
then `make lint build` (ESLint with typescript-eslint's type-checked rules, Prettier and
`tsc --strict` with zero findings, and the compiled service), `make test` (node:test
against real PostgreSQL and Redis, where no test may skip and the integration tests must
pass), and `make fmt`, which must leave the rendered tree unchanged. A serverless project's
function package, as `sam build` makes it (`make build-ApiFunction`), must be one bundled
file, its entry point and code cache, and the API document, and serve API Gateway events
on its own, as on Lambda. Every render shares npm's cache, so each package is downloaded
once per machine.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from commands import commit_rendered, run
from nodes import LOAD_HANDLER, node_env
from rendering import render_project

pytestmark = [pytest.mark.toolchain, pytest.mark.node]

# Each framework in every architecture, and Postgres and Redis each on and off at least
# once per framework: the frameworks share everything but their HTTP layer and Lambda
# adapter, whose code changes with the architecture only.
COMBINATIONS = [
    ("fastify", "monolith", "postgres", "redis"),
    ("fastify", "microservice", "postgres", "none"),
    ("fastify", "serverless", "none", "redis"),
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

# Calls the handler with each event, as Lambda's Node runtime does. The connections it
# opens outlive the events, so it exits.
INVOKE = (
    LOAD_HANDLER
    + """
import { writeFileSync } from "node:fs";
const [bundle, events, answers] = process.argv.slice(1);
const handler = await loadHandler(bundle);
const context = { awsRequestId: "test", getRemainingTimeInMillis: () => 10000 };
const answered = [];
for (const event of JSON.parse(events)) answered.push(await handler(event, context));
writeFileSync(answers, JSON.stringify(answered));
process.exit(0);
"""
)


def get_event(sample: dict[str, Any], path: str) -> dict[str, Any]:
    """The sample API Gateway event, turned into a GET of ``path``."""
    event = copy.deepcopy(sample)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["requestContext"]["http"]["method"] = "GET"
    event.pop("body", None)
    for header in ("content-length", "content-type"):
        event["headers"].pop(header, None)
    return event


def invoke_function(
    function: Path, bundle: str, events: list[dict[str, Any]], env: dict[str, str]
) -> list[dict[str, Any]]:
    """The answers of the function package's ``bundle`` to ``events``, in order."""
    answers = function.parent / "answers.json"
    argv = ["node", "--input-type=module", "-e", INVOKE, bundle, json.dumps(events), str(answers)]
    run(argv, function, env)
    result: list[dict[str, Any]] = json.loads(answers.read_text())
    return result


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

    installed = run(["npm", "ci"], project, env)
    # Every dependency's install script is one the project approved (allowScripts):
    # npm warns of the others, and will skip them.
    assert "install-scripts" not in installed, installed
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

    if architecture == "serverless":
        # What `sam build` deploys: the bundle, its entry point and code cache, and the API
        # document, no node_modules. It answers from the package alone, through Postgres and
        # Redis where the project has them.
        function = tmp_path / "function"
        function.mkdir()
        run(["make", "build-ApiFunction", f"ARTIFACTS_DIR={function}"], project, env)
        # Lambda runs the function where it unpacks it, not where it was built: the cache
        # is read there, and the events below are answered there.
        unpacked = tmp_path / "unpacked"
        shutil.copytree(function, unpacked)
        load = ["node", "--input-type=module", "--eval", 'await import("./dist/lambda.mjs")']
        assert_code_cache(function, unpacked, load, env)
        run(["make", "migrate"], project, env)
        sample = json.loads((project / "events" / "apigw-http-event.json").read_text())
        events = [get_event(sample, "/healthz"), get_event(sample, "/openapi.json"), sample]
        healthz, document, created = invoke_function(unpacked, "dist/lambda.mjs", events, env)
        assert (healthz["statusCode"], json.loads(healthz["body"])) == (200, {"status": "ok"})
        assert document["statusCode"] == 200
        assert document["body"] == (project / "api" / "openapi.json").read_text()
        assert created["statusCode"] == 201, created
        assert json.loads(created["body"])["name"] == "Widget"

    run(["make", "fmt"], project, env)
    status = run(["git", "status", "--porcelain"], project, env)
    assert status == "", f"make fmt, make test or make build changed the rendered tree:\n{status}"


def assert_code_cache(function: Path, unpacked: Path, load: list[str], env: dict[str, str]) -> None:
    """The bundle runs with the V8 code cache the build wrote once it had answered an
    event: the unpacked copy accepts it, and says so when it cannot."""
    packaged = sorted(str(path.relative_to(function)) for path in function.rglob("*"))
    caches = [path for path in packaged if re.fullmatch(r"dist/service\.[0-9a-f]+\.cache", path)]
    assert len(caches) == 1, packaged
    assert packaged == sorted(
        ["api", "api/openapi.json", "dist", "dist/lambda.mjs", "dist/service.cjs", *caches]
    ), packaged
    rejected = "code cache rejected"
    assert rejected not in run(load, unpacked, env)
    broken = unpacked.parent / "broken-cache"
    shutil.copytree(unpacked, broken)
    (broken / caches[0]).write_bytes(b"not a code cache")
    assert rejected in run(load, broken, env)
