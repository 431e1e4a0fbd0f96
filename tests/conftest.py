"""Suite-wide setup: import paths, real Postgres and Redis, orderly teardown on SIGTERM."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import pytest
from hypothesis import settings

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent

# `from rendering import render_project`, `from services import ...` and
# `import scaffold` work from every test directory, installed or not.
for path in (TESTS_DIR, REPO_ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from services import PostgresServer, RedisServer, running, stop_all  # noqa: E402

# A test run must not fail on the day a random draw finds something new: the suite
# replays the same cases; "explore" is for looking for new ones.
settings.register_profile("default", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("default")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # CI runners stop jobs with SIGTERM; turning it into KeyboardInterrupt lets
    # pytest run fixture finalizers, so no database server outlives the run.
    raise KeyboardInterrupt(f"received signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) is signal.SIG_DFL:
                signal.signal(signum, _interrupt)


def pytest_unconfigure(config: pytest.Config) -> None:
    stop_all()


# Before pytest-xdist's own hook, which reads the groups.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """scripts/test.sh runs the tests on two pytest-xdist workers (`--dist loadgroup`):
    tests that share one render or build stay together on one worker, which makes it once."""
    for item in items:
        if group := _shared_build(item):
            item.add_marker(pytest.mark.xdist_group(group))


def pytest_collection_finish(session: pytest.Session) -> None:
    """On an xdist worker: refuse to run when the groups did not reach the scheduler."""
    if not getattr(session.config.option, "loadgroup", False):
        return
    # pytest-xdist schedules by a "@group" suffix it appends to each node id; a pytest
    # that ignores the suffix would silently spread a group over both workers.
    for item in session.items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid.rsplit("]", 1)[-1]:
            raise pytest.UsageError(
                f"pytest-xdist could not group {item.nodeid}: see the pytest pin in pyproject.toml"
            )


def _shared_build(item: pytest.Item) -> str | None:
    # Every Rust build shares one cargo build directory, whose target/debug/<slug> each
    # build rewrites: two at once on two workers would run each other's binaries.
    if item.get_closest_marker("rust") and (
        item.get_closest_marker("toolchain") or item.nodeid.startswith("tests/conformance/")
    ):
        return "cargo"
    # golangci-lint refuses to start while another run holds its lock.
    if item.get_closest_marker("go") and item.get_closest_marker("toolchain"):
        return "golangci-lint"
    callspec = getattr(item, "callspec", None)
    params = callspec.params if callspec else {}
    if "variant" in params:  # a conformance variant's build and running service
        return str(params["variant"].id)
    if "descriptor" in params and "mutation" in params:  # a meta test's unbroken build
        return str(item.module._variant(params["descriptor"], params["mutation"]).id)
    if isinstance(params.get("project"), dict):  # a render of one combination
        return f"render-{callspec.id}"
    return None


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the whole session; ``create_database`` per project."""
    yield from running(PostgresServer)


@pytest.fixture(scope="session")
def redis() -> Iterator[RedisServer]:
    """A Redis server for the whole session; ``new_db_index`` per project."""
    yield from running(RedisServer)


@pytest.fixture
def dependency_urls(request: pytest.FixtureRequest) -> Callable[..., dict[str, str]]:
    """DATABASE_URL and REDIS_URL for one project, as its answers use them: a database
    ``name`` of its own on the session's PostgreSQL, a Redis database of its own."""

    def urls(name: str, *, database: str, cache: str) -> dict[str, str]:
        env = {}
        if database == "postgres":
            env["DATABASE_URL"] = request.getfixturevalue("postgres").create_database(name)
        if cache == "redis":
            redis = request.getfixturevalue("redis")
            env["REDIS_URL"] = redis.db_url(redis.new_db_index())
        return env

    return urls
