"""Rendered Python projects install, lint and pass their own tests with nothing but uv.

One test per combination renders the project once and runs, in order, what a developer
and CI run on it: the frozen install (`uv sync --locked` on the uv.lock as rendered),
then `make lint test build` (ruff and mypy strict with zero findings, the tests against
real PostgreSQL and Redis, where no test may skip and the integration tests must pass,
and the wheel), and `make fmt`, which must leave the rendered tree unchanged.
"""

from __future__ import annotations

import os
import shutil
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from commands import commit_rendered, run
from pythons import find_python
from rendering import render_project
from repos import commit, make_template

from scaffold.render import new_project
from scaffold.update import check_project, update_project

pytestmark = [pytest.mark.toolchain, pytest.mark.python]

# Every architecture: with both dependencies, with neither, and with each left out once;
# adding both to a project through `scaffold update` is tested below.
COMBINATIONS = [
    ("monolith", "postgres", "redis"),
    ("monolith", "none", "none"),
    ("microservice", "none", "redis"),
    # With Postgres, the function's package carries its arm64 database drivers.
    ("serverless", "postgres", "none"),
]

# Tests that pass in every project, and those that only run against a real dependency
# or in one architecture: proof that the integration tests ran.
ALWAYS = {
    "test_serve_end_to_end",
    "test_readyz",
    "test_request_timeout_answers_504",
    "test_unhandled_exception_answers_500_and_is_logged",
    "test_body_over_the_limit_is_413",
}
INTEGRATION_TESTS = {
    "postgres": {"test_postgres_store"},
    "redis": {"test_cached_store", "test_cached_store_reads_through_redis"},
}
ARCHITECTURE_TESTS = {
    "microservice": {"test_metrics", "test_access_log_carries_the_callers_trace_id"},
    "serverless": {
        "test_lambda_handler_serves_an_api_gateway_event",
        "test_liveness_events_open_no_connections",
    },
}
# The service's own settings: a value in the caller's environment must not leak in.
SERVICE_ENV = ("PORT", "LOG_LEVEL", "DATABASE_URL", "REDIS_URL", "REQUEST_TIMEOUT")


def junit_results(report: Path) -> tuple[set[str], list[str], list[str]]:
    """Passed tests (parameters stripped), failed tests and skipped tests of a pytest run."""
    passed: set[str] = set()
    failed: list[str] = []
    skipped: list[str] = []
    for case in ET.parse(report).iter("testcase"):
        name = f"{case.get('classname')}::{case.get('name')}"
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(name)
        elif case.find("skipped") is not None:
            skipped.append(name)
        else:
            passed.add(str(case.get("name")).split("[")[0])
    return passed, failed, skipped


@pytest.fixture(scope="module")
def uv_env() -> dict[str, str]:
    uv = Path(sys.executable).parent / "uv"
    uv_dir = str(uv.parent) if uv.exists() else None
    if uv_dir is None and shutil.which("uv") is None:
        pytest.fail("the Python toolchain tests need uv: pip install -e '.[test]'", pytrace=False)
    if shutil.which("make") is None:
        pytest.fail("the Python toolchain tests need make", pytrace=False)
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV}
    if uv_dir:
        env["PATH"] = f"{uv_dir}{os.pathsep}{env.get('PATH', '')}"
    python = find_python()
    if python is None:
        pytest.fail("the Python toolchain tests need Python 3.12 or newer, or UV_PYTHON")
    return {
        **env,
        "UV_PYTHON": python,
        # uv cannot download interpreters here; the one above must do.
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_PROGRESS": "1",
    }


@pytest.mark.parametrize(
    ("architecture", "database", "cache"),
    COMBINATIONS,
    ids=["-".join(combination) for combination in COMBINATIONS],
)
def test_python_project(
    tmp_path: Path,
    dependency_urls: Callable[..., dict[str, str]],
    uv_env: dict[str, str],
    architecture: str,
    database: str,
    cache: str,
) -> None:
    project = render_project(
        tmp_path, stack="python-fastapi", architecture=architecture, database=database, cache=cache
    )
    urls = dependency_urls(f"py_{architecture}_{cache}", database=database, cache=cache)
    env = {**uv_env, **urls}
    commit_rendered(project, env)
    check_python_project(
        project, env, tmp_path, architecture=architecture, database=database, cache=cache
    )


def check_python_project(
    project: Path,
    env: dict[str, str],
    tmp_path: Path,
    *,
    architecture: str,
    database: str,
    cache: str,
) -> None:
    """What a developer and CI run on the committed project, and what each must show."""
    run(["uv", "sync", "--locked"], project, env)

    report = tmp_path / "pytest.xml"
    flags = f"TESTFLAGS=-p no:cacheprovider --junitxml={report}"
    output = run(["make", "lint", "test", "build", flags], project, env)
    passed, failed, skipped = junit_results(report)
    assert not failed, f"failed: {failed}\n{output[-5000:]}"
    assert not skipped, f"skipped with DATABASE_URL and REDIS_URL set: {skipped}"
    expected = set(ALWAYS) | ARCHITECTURE_TESTS.get(architecture, set())
    for dependency in (database, cache):
        expected |= INTEGRATION_TESTS.get(dependency, set())
    assert expected <= passed, f"did not pass: {sorted(expected - passed)}"
    assert list((project / "dist").glob("*.whl")), "make build wrote no wheel"
    # Any PEP 517 front end builds it: the build backend it names is one the index serves.
    frontend, wheels = tmp_path / "pip-env", tmp_path / "pip-wheel"
    run(["uv", "venv", "--seed", "--quiet", str(frontend)], project, env)
    pip_wheel = ["-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(wheels), "."]
    run([str(frontend / "bin" / "python"), *pip_wheel], project, env)
    assert list(wheels.glob("*.whl")), "pip wheel wrote no wheel"
    if architecture == "serverless":
        # What `sam build` packages: arm64 wheels, byte-compiled for a read-only filesystem.
        function = tmp_path / "function"
        function.mkdir()
        run(["make", "build-ApiFunction", f"ARTIFACTS_DIR={function}"], project, env)
        handler = next(function.glob("*/lambda_handler.py"))
        assert list((handler.parent / "__pycache__").glob("lambda_handler.cpython-*.pyc"))
        assert list(function.glob("pydantic_core/*aarch64-linux-gnu.so")), "no arm64 wheels"

    run(["make", "fmt"], project, env)
    status = run(["git", "status", "--porcelain"], project, env)
    assert status == "", f"make fmt, make test or make build changed the rendered tree:\n{status}"


def test_python_project_that_gains_postgres_and_redis_on_update(
    tmp_path: Path, dependency_urls: Callable[..., dict[str, str]], uv_env: dict[str, str]
) -> None:
    """`scaffold update -d database=postgres -d cache=redis` on a committed project with an
    owner's module: the result passes what a new project passes, the module still there."""
    template = make_template(tmp_path)
    answers = {"project_name": "Orders API", "stack": "python-fastapi", "database": "none"}
    answers["cache"] = "none"
    project = new_project(tmp_path / "orders-api", answers, template=str(template)).dest
    urls = dependency_urls("py_gains_both", database="postgres", cache="redis")
    env = {**uv_env, **urls}
    commit_rendered(project, env)
    owned = project / "src/orders_api/reports.py"
    owned.write_text('"""The owner\'s reports."""\n')
    commit(project, "owner module")

    updated = update_project(project, data={"database": "postgres", "cache": "redis"})

    assert updated.conflicts == []
    commit(project, "postgres and redis")
    check_python_project(
        project, env, tmp_path, architecture="monolith", database="postgres", cache="redis"
    )
    assert owned.read_text() == '"""The owner\'s reports."""\n'
    assert check_project(project).status == "up-to-date"
