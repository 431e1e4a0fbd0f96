"""Fixtures of the conformance test: one build and one running service per variant.

A variant (stack, framework, architecture, database, cache) is rendered and
built once per session. It gets a database of its own on the shared Postgres
and a Redis logical database of its own, so variants never see each other's
data. Tests that stop dependencies use their own servers (``disposable_*``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from services import PostgresServer, RedisServer, running

from conformance import checks
from conformance.deploy import Dependencies, provision, render_and_build
from conformance.harness import BuiltProject, Service
from conformance.stacks import Variant, variant_params


def _server(
    request: pytest.FixtureRequest, name: str, needed: bool
) -> PostgresServer | RedisServer | None:
    return request.getfixturevalue(name) if needed else None


@pytest.fixture(scope="session", params=variant_params())
def variant(request: pytest.FixtureRequest) -> Variant:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Variant], BuiltProject]:
    """Render and build a variant on first use; later uses (the meta-test too) share it."""
    built: dict[str, BuiltProject] = {}

    def get(variant: Variant) -> BuiltProject:
        if variant.id not in built:
            built[variant.id] = render_and_build(tmp_path_factory.mktemp(variant.id), variant)
        return built[variant.id]

    return get


@pytest.fixture(scope="session")
def project(variant: Variant, builds: Callable[[Variant], BuiltProject]) -> BuiltProject:
    """The variant rendered from this repository and built with its own toolchain."""
    return builds(variant)


@pytest.fixture(scope="session")
def deps(variant: Variant, project: BuiltProject, request: pytest.FixtureRequest) -> Dependencies:
    return provision(
        variant,
        project,
        _server(request, "postgres", variant.database == "postgres"),  # type: ignore[arg-type]
        _server(request, "redis", variant.cache == "redis"),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="session")
def service(project: BuiltProject, deps: Dependencies) -> Iterator[Service]:
    """The variant's service with REQUEST_TIMEOUT=1s, shared by the read-only checks."""
    svc = Service(project, deps.env()).start()
    try:
        svc.wait_serving()
        yield svc
    finally:
        svc.stop()


@pytest.fixture(scope="session")
def item(service: Service) -> dict[str, object]:
    """One item created through the API (its id shape tells how unknown ids look)."""
    return checks.check_item_roundtrip(service)


@pytest.fixture(scope="session")
def disposable_postgres() -> Iterator[PostgresServer]:
    """A Postgres that tests may stop and start; never the shared one."""
    yield from running(PostgresServer)


@pytest.fixture(scope="session")
def disposable_redis() -> Iterator[RedisServer]:
    """A Redis that tests may stop and start; never the shared one."""
    yield from running(RedisServer)
