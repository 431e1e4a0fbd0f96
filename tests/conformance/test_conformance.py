"""The black-box conformance test: every rendered service, whatever its stack, behaves the same.

Parametrised by ``variant`` (see conformance/stacks.py); selected with
``-m conformance`` or a stack marker such as ``-m go``.
"""

from __future__ import annotations

import uuid

import pytest
from services import PostgresServer, RedisServer

from conformance import checks
from conformance.deploy import Dependencies, observed, provision
from conformance.harness import BuiltProject, OtlpCollector, Service, TableLock
from conformance.stacks import Variant

pytestmark = pytest.mark.conformance

NEEDS_DATABASE = (
    "database=none: nothing can hold a request in flight without a database "
    "(the in-memory store answers at once), so this check needs database=postgres"
)


# --- health


def test_healthz(service: Service) -> None:
    with observed(service):
        checks.check_healthz(service)


def test_readyz_reports_each_configured_dependency(service: Service, variant: Variant) -> None:
    with observed(service):
        checks.check_readyz(service, variant.dependencies)


# --- the example resource


def test_item_is_created_and_read_back(service: Service) -> None:
    with observed(service):
        checks.check_item_roundtrip(service)


def test_items_are_stored_in_postgres_and_read_through_redis(
    service: Service, variant: Variant, deps: Dependencies, item: dict[str, object]
) -> None:
    if deps.postgres is None and deps.redis is None:
        pytest.skip("database=none cache=none: the in-memory store has nothing to observe")
    lock = None
    with observed(service):
        if deps.postgres is not None and deps.database is not None:
            checks.check_item_stored_in_postgres(service, deps.postgres, deps.database, item["id"])
            lock = TableLock(deps.postgres, deps.database, checks.ITEMS_TABLE)
        if deps.redis is not None and deps.redis_db is not None:
            checks.check_reads_through_redis(service, deps.redis, deps.redis_db, lock, item)


def test_unknown_item_is_404(service: Service, item: dict[str, object]) -> None:
    with observed(service):
        checks.check_item_not_found(service, item["id"])


def test_id_holding_nul_is_404(service: Service) -> None:
    # Not observed: routers log the path decoded or as sent, and both are fine here.
    checks.check_id_holding_nul_not_found(service)


def test_malformed_json_is_400(service: Service) -> None:
    with observed(service):
        checks.check_malformed_json(service)


def test_invalid_fields_are_named(service: Service) -> None:
    with observed(service):
        checks.check_invalid_fields(service)


def test_body_over_1_mib_is_413(service: Service) -> None:
    with observed(service):
        checks.check_body_too_large(service)


def test_unknown_route_is_404(service: Service) -> None:
    with observed(service):
        checks.check_unknown_route(service)


def test_wrong_method_is_405(service: Service) -> None:
    with observed(service):
        checks.check_wrong_method(service)


def test_metrics_only_in_microservices(service: Service, variant: Variant) -> None:
    with observed(service):
        if variant.architecture == "microservice":
            checks.check_metrics(service)
        else:
            checks.assert_error(service.get("/metrics"), 404, "not_found")


def test_tracing_when_an_endpoint_is_set(
    variant: Variant, project: BuiltProject, deps: Dependencies
) -> None:
    if variant.architecture != "microservice":
        pytest.skip("OpenTelemetry tracing belongs to the microservice architecture only")
    with OtlpCollector() as collector:
        env = deps.env(
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint, OTEL_SERVICE_NAME="conformance"
        )
        with Service(project, env) as svc:
            svc.wait_serving()
            checks.check_tracing(svc, collector)
            checks.check_log_lines(svc)


# --- request ids and logs


def test_valid_request_id_is_echoed(service: Service) -> None:
    with observed(service):
        checks.check_request_id_echoed(service)


def test_missing_request_id_is_generated(service: Service) -> None:
    with observed(service):
        checks.check_request_id_generated(service)


def test_invalid_request_id_is_replaced(service: Service) -> None:
    with observed(service):
        checks.check_request_id_invalid_replaced(service)


def test_every_request_has_one_access_line(service: Service, item: dict[str, object]) -> None:
    with observed(service):
        service.get("/healthz")
        service.get("/readyz")
        service.post("/v1/items", checks.VALID_ITEM)
        service.get(f"/v1/items/{item['id']}")
        service.get(f"/v1/items/{checks.unknown_id_like(item['id'])}")
        service.post("/v1/items", "{")
        service.request("DELETE", "/v1/items")
        service.get("/v1/no-such-route", headers={"X-Request-ID": str(uuid.uuid4())})


# --- timeouts


def test_handler_past_request_timeout_is_504(
    service: Service, variant: Variant, deps: Dependencies, item: dict[str, object]
) -> None:
    if deps.postgres is None or deps.database is None:
        pytest.skip(NEEDS_DATABASE)
    with observed(service):
        checks.check_request_timeout(
            service, TableLock(deps.postgres, deps.database, checks.ITEMS_TABLE), item["id"]
        )


# --- readiness follows the dependencies


def test_readiness_follows_dependencies_that_stop_or_hang(
    variant: Variant, project: BuiltProject, request: pytest.FixtureRequest
) -> None:
    if not variant.dependencies:
        pytest.skip("database=none cache=none: no dependency to lose")
    # Servers of their own: stopping the shared ones would disturb every other test.
    postgres: PostgresServer | None = None
    redis: RedisServer | None = None
    if variant.database == "postgres":
        postgres = request.getfixturevalue("disposable_postgres").start()
    if variant.cache == "redis":
        redis = request.getfixturevalue("disposable_redis").start()
    deps = provision(variant, project, postgres, redis, suffix="_ready")
    with Service(project, deps.env()) as svc:
        svc.wait_serving()
        with observed(svc):
            if redis is not None:
                checks.check_readiness_follows(
                    svc, variant.dependencies, "redis", redis.stop, redis.start
                )
            if postgres is not None:
                checks.check_readiness_follows(
                    svc, variant.dependencies, "postgres", postgres.stop, postgres.start
                )
            item = checks.check_item_roundtrip(svc)
            if redis is not None:
                checks.check_hung_dependency(
                    svc, variant.dependencies, "redis", redis.pause, redis.resume, item["id"]
                )
            if postgres is not None:
                checks.check_hung_dependency(
                    svc,
                    variant.dependencies,
                    "postgres",
                    postgres.pause,
                    postgres.resume,
                    item["id"],
                )


# --- shutdown


def test_sigterm_drains_and_exits_zero(
    variant: Variant, project: BuiltProject, deps: Dependencies
) -> None:
    # A long REQUEST_TIMEOUT: the in-flight request must outlive the signal.
    env = deps.env(request_timeout="30s", shutdown_timeout="5s")
    with Service(project, env) as svc:
        svc.wait_serving()
        checks.check_healthz(svc)
        lock = (
            TableLock(deps.postgres, deps.database, checks.ITEMS_TABLE)
            if deps.postgres and deps.database
            else None
        )
        # Without a database (lock is None) only the signal, the closed port and exit 0 are checked.
        checks.check_graceful_shutdown(svc, lock, variant.dependencies)
        checks.check_access_lines(svc, svc.responses)


# --- start-up


def test_invalid_config_is_refused(
    variant: Variant, project: BuiltProject, deps: Dependencies
) -> None:
    cases: list[tuple[str, dict[str, str]]] = [
        ("PORT=notaport", deps.env(PORT="notaport")),
        ("PORT=70000", deps.env(PORT="70000")),
        ("REQUEST_TIMEOUT=abc", deps.env(request_timeout="abc")),
        ("SHUTDOWN_TIMEOUT=abc", deps.env(shutdown_timeout="abc")),
        ("LOG_LEVEL=loud", deps.env(LOG_LEVEL="loud")),
    ]
    for name, chosen in (("DATABASE_URL", variant.database), ("REDIS_URL", variant.cache)):
        if chosen == "none":
            continue
        env = deps.env()
        del env[name]
        cases.append((f"{name} missing", env))
        cases.append((f"{name}=not-a-url", deps.env(**{name: "not-a-url"})))
    failures = []
    for what, env in cases:
        try:
            checks.check_invalid_config(project, env, what)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)
