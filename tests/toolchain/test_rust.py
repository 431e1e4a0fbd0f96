"""Rendered Rust projects build, lint and pass their own tests with nothing but cargo.

One test per combination renders the project once and runs, in order, what a developer
and CI run on it: the frozen build (`cargo build --locked` on the Cargo.lock as
rendered), `make lint` (rustfmt's check and clippy with every warning an error), `make
test` (the tests against real PostgreSQL and Redis, where no test may be ignored and the
integration tests must pass), and `make fmt`, which must leave the rendered tree
unchanged. Every render shares one cargo build directory (tests/cargo.py): the
dependencies compile once per run.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from cargo import cargo_env
from commands import commit_rendered, run
from rendering import render_project

pytestmark = [pytest.mark.toolchain, pytest.mark.rust]

# Every framework in every architecture it offers; Postgres and Redis each present and
# absent at least once per framework.
COMBINATIONS = [
    ("axum", "monolith", "postgres", "redis"),
    ("axum", "microservice", "postgres", "none"),
    ("axum", "serverless", "none", "redis"),
    ("actix", "monolith", "postgres", "redis"),
    ("actix", "microservice", "none", "none"),
]

# Tests every project passes, and those of one dependency or architecture: proof that
# the integration tests ran.
ALWAYS = {
    "healthz",
    "readyz",
    "request_ids",
    "one_access_line_per_request",
    "unmatched_routes_answer_json",
    "items",
    "bodies_over_the_limit_are_413",
    "requests_past_the_timeout_are_504",
    "panics_are_500_and_logged",
    "serves_until_told_to_stop",
    "memory_item_store",
}
INTEGRATION_TESTS = {
    "postgres": {"postgres::item_store", "postgres::migrating_twice_changes_nothing"},
    "redis": {
        "redis::cached_item_store",
        "redis::reads_go_through_redis",
        "redis::reads_fall_back_to_the_store_when_redis_is_down",
    },
}
ARCHITECTURE_TESTS = {
    "monolith": {"orders", "memory_order_store"},
    "microservice": {
        "metrics",
        "logs_carry_the_callers_trace_id",
        "http::request::tests::probes_and_scrapes_make_no_opentelemetry_span",
    },
    "serverless": {"handles_an_api_gateway_event"},
}
# The service's own settings: a value in the caller's environment must not leak in.
SERVICE_ENV = ("PORT", "LOG_LEVEL", "DATABASE_URL", "REDIS_URL", "REQUEST_TIMEOUT")

_RESULT = re.compile(r"^test (\S+) \.\.\. (ok|FAILED|ignored)", re.MULTILINE)


def cargo_test_results(output: str) -> tuple[set[str], list[str], list[str]]:
    """Passed, failed and ignored tests of a `cargo test` run, by name."""
    passed: set[str] = set()
    failed: list[str] = []
    ignored: list[str] = []
    for name, outcome in _RESULT.findall(output):
        {"ok": passed.add, "FAILED": failed.append, "ignored": ignored.append}[outcome](name)
    return passed, failed, ignored


@pytest.fixture(scope="module")
def rust_env() -> dict[str, str]:
    if shutil.which("cargo") is None or shutil.which("make") is None:
        pytest.fail("the Rust toolchain tests need `cargo` and `make` on PATH", pytrace=False)
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV}
    return {**env, **cargo_env()}


@pytest.mark.parametrize(
    ("framework", "architecture", "database", "cache"),
    COMBINATIONS,
    ids=["-".join(combination) for combination in COMBINATIONS],
)
def test_rust_project(
    tmp_path: Path,
    dependency_urls: Callable[..., dict[str, str]],
    rust_env: dict[str, str],
    framework: str,
    architecture: str,
    database: str,
    cache: str,
) -> None:
    project = render_project(
        tmp_path,
        stack="rust",
        framework=framework,
        architecture=architecture,
        database=database,
        cache=cache,
    )
    urls = dependency_urls(f"rs_{framework}_{architecture}_{cache}", database=database, cache=cache)
    env = {**rust_env, **urls}
    commit_rendered(project, env)

    run(["cargo", "build", "--locked"], project, env)
    run(["make", "lint"], project, env)
    output = run(["make", "test"], project, env)
    passed, failed, ignored = cargo_test_results(output)
    assert not failed, f"failed: {failed}\n{output[-5000:]}"
    assert not ignored, f"ignored with DATABASE_URL and REDIS_URL set: {ignored}"
    expected = ALWAYS | ARCHITECTURE_TESTS[architecture]
    for dependency in (database, cache):
        expected |= INTEGRATION_TESTS.get(dependency, set())
    if architecture == "monolith" and database == "postgres":
        expected.add("postgres::order_store")
    assert expected <= passed, f"did not pass: {sorted(expected - passed)}"

    run(["make", "fmt"], project, env)
    status = run(["git", "status", "--porcelain"], project, env)
    assert status == "", f"the build, make test or make fmt changed the rendered tree:\n{status}"
