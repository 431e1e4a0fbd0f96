"""The conformance checks catch what they guard: break one behaviour, watch its check fail.

Each mutation edits one rendered source file the way a careless change would,
rebuilds, and expects the matching check to raise AssertionError. The same
check first passes on the unbroken build, so the failure is the mutation's.
A mutation whose pattern no longer matches the rendered code fails loudly:
update it with the template, never let it pass vacuously.
"""

from __future__ import annotations

import itertools
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from services import free_port

from conformance import checks
from conformance.deploy import Dependencies, observed, provision
from conformance.harness import BuiltProject, Service, TableLock, build_project, openapi_document
from conformance.stacks import (
    GO_STDLIB,
    NODE_EXPRESS,
    NODE_FASTIFY,
    NODE_NESTJS,
    PYTHON_FASTAPI,
    RUST_ACTIX,
    RUST_AXUM,
    StackDescriptor,
    Variant,
)

pytestmark = [pytest.mark.conformance]


Check = Callable[[Service, Dependencies], None]


def _on_service(check: Callable[[Service], None]) -> Check:
    return lambda svc, deps: check(svc)


def _access_line_of_404(svc: Service, deps: Dependencies) -> None:
    with observed(svc):
        checks.check_unknown_route(svc)


def _request_timeout_refused(svc: Service, deps: Dependencies) -> None:
    # A port of its own: the running service holds svc.config["PORT"].
    env = {**svc.config, "REQUEST_TIMEOUT": "abc", "PORT": str(free_port())}
    checks.check_invalid_config(svc.project, env, "REQUEST_TIMEOUT=abc", within=3)


def _timeout_is_504(svc: Service, deps: Dependencies) -> None:
    assert deps.postgres is not None and deps.database is not None
    item = checks.check_item_roundtrip(svc)
    lock = TableLock(deps.postgres, deps.database, checks.ITEMS_TABLE)
    checks.check_request_timeout(svc, lock, item["id"])


def _reads_through_redis(svc: Service, deps: Dependencies) -> None:
    assert deps.postgres and deps.database and deps.redis and deps.redis_db is not None
    item = checks.check_item_roundtrip(svc)
    lock = TableLock(deps.postgres, deps.database, checks.ITEMS_TABLE)
    checks.check_reads_through_redis(svc, deps.redis, deps.redis_db, lock, item)


def _api_matches_document(svc: Service, deps: Dependencies) -> None:
    checks.check_api_matches_document(svc, openapi_document(svc.project))


def _sigterm_exits_zero(svc: Service, deps: Dependencies) -> None:
    checks.check_graceful_shutdown(svc, None, ())


@dataclass(frozen=True)
class Mutation:
    id: str
    path: str  # relative to the rendered project; {slug} allowed
    pattern: str  # a regular expression (re.M)
    replacement: str
    check: Check
    # Mutated in the variant with Postgres and Redis, for checks that need them.
    with_dependencies: bool = False


GO_MUTATIONS = (
    Mutation(
        "name-limit-dropped",
        "internal/items/request.go",
        r"RuneCountInString\(\*in\.Name\) > maxNameLength:",
        "RuneCountInString(*in.Name) > 10*maxNameLength:",
        _api_matches_document,
    ),
    Mutation(
        "healthz-answers-500",
        "internal/server/health.go",
        r"http\.StatusOK(, alive\))",
        r"http.StatusInternalServerError\1",
        _on_service(checks.check_healthz),
    ),
    Mutation(
        "request-id-not-echoed",
        "internal/server/middleware.go",
        r"^\s*w\.Header\(\)\.Set\(web\.RequestIDHeader, id\)\n",
        "",
        _on_service(checks.check_request_id_echoed),
    ),
    Mutation(
        "invalid-request-id-kept",
        "internal/server/middleware.go",
        r"if !validRequestID\.MatchString\(id\) \{",
        'if id == "" {',
        _on_service(checks.check_request_id_invalid_replaced),
    ),
    Mutation(
        "unknown-route-plain-text",
        "internal/server/notfound.go",
        r"^\s*w = &errorRewriter\{ResponseWriter: w, r: r\}\n",
        "",
        _on_service(checks.check_unknown_route),
    ),
    Mutation(
        "body-limit-raised",
        "internal/server/middleware.go",
        r"^const maxBodyBytes = 1 << 20$",
        "const maxBodyBytes = 4 << 20",
        _on_service(checks.check_body_too_large),
    ),
    Mutation(
        "access-line-status-always-200",
        "internal/server/middleware.go",
        r"(access\.Log\(ctx, r\.Method, r\.URL\.Path, )rec\.status,",
        r"\1http.StatusOK,",
        _access_line_of_404,
    ),
    Mutation(
        "invalid-request-timeout-accepted",
        "internal/config/config.go",
        r'problem\("REQUEST_TIMEOUT", "[^"\n]*"\)',
        '_ = "REQUEST_TIMEOUT"',
        _request_timeout_refused,
    ),
    Mutation(
        "sigterm-exits-non-zero",
        "cmd/{slug}/serve.go",
        r'(logger\.InfoContext\(ctx, "stopped"\)\n\s*)return nil',
        r'\1return errors.New("stopped")',
        _sigterm_exits_zero,
    ),
    Mutation(
        "timeout-answers-500",
        "internal/platform/web/web.go",
        r"Status:(\s+)http\.StatusGatewayTimeout,",
        r"Status:\1http.StatusInternalServerError,",
        _timeout_is_504,
        with_dependencies=True,
    ),
    Mutation(
        "cache-bypassed",
        "cmd/{slug}/serve.go",
        r"^\s*deps\.Items = items\.NewCachedStore\(deps\.Items, rdb, logger\)\n",
        "",
        _reads_through_redis,
        with_dependencies=True,
    ),
)

PY = "src/conformance_probe"
PYTHON_MUTATIONS = (
    Mutation(
        "healthz-answers-500",
        f"{PY}/server/health.py",
        r"^    return Health\(\)$",
        '    raise RuntimeError("unhealthy")',
        _on_service(checks.check_healthz),
    ),
    Mutation(
        "request-id-not-echoed",
        f"{PY}/server/middleware.py",
        r'message\["headers"\] = \[\*message\.get\("headers", \(\)\), id_header\]$',
        "pass",
        _on_service(checks.check_request_id_echoed),
    ),
    Mutation(
        "invalid-request-id-kept",
        f"{PY}/server/middleware.py",
        r"request_id = sent_id if _VALID_REQUEST_ID\.fullmatch\(sent_id\) else web\.new_id\(\)",
        "request_id = sent_id or web.new_id()",
        _on_service(checks.check_request_id_invalid_replaced),
    ),
    Mutation(
        "unknown-route-plain-text",
        f"{PY}/server/errors.py",
        r"^    @app\.exception_handler\(HTTPException\)\n",
        "",
        _on_service(checks.check_unknown_route),
    ),
    Mutation(
        "body-limit-raised",
        f"{PY}/server/middleware.py",
        r"^MAX_BODY_BYTES: Final = 1 << 20$",
        "MAX_BODY_BYTES: Final = 4 << 20",
        _on_service(checks.check_body_too_large),
    ),
    Mutation(
        "access-line-status-always-200",
        f"{PY}/server/middleware.py",
        r'"status": status,',
        '"status": 200,',
        _access_line_of_404,
    ),
    Mutation(
        "invalid-request-timeout-accepted",
        f"{PY}/config.py",
        r"^    request_timeout: Duration = 5\.0$",
        "    request_timeout: Annotated[float, BeforeValidator(lambda _: 5.0)] = 5.0",
        _request_timeout_refused,
    ),
    Mutation(
        "sigterm-exits-non-zero",
        f"{PY}/cli.py",
        r"raise SystemExit\(0\)",
        "raise SystemExit(1)",
        _sigterm_exits_zero,
    ),
    Mutation(
        "timeout-answers-500",
        f"{PY}/platform/web.py",
        r"HTTPStatus\.GATEWAY_TIMEOUT, \"timeout\"",
        'HTTPStatus.INTERNAL_SERVER_ERROR, "timeout"',
        _timeout_is_504,
        with_dependencies=True,
    ),
    Mutation(
        "cache-bypassed",
        f"{PY}/services.py",
        r"^\s*items = CachedItemStore\(items, client\)\n",
        "",
        _reads_through_redis,
        with_dependencies=True,
    ),
    Mutation(
        "name-length-unchecked",
        f"{PY}/items/handlers.py",
        r"^MAX_NAME_LENGTH = 200$",
        "MAX_NAME_LENGTH = 100_000",
        _api_matches_document,
    ),
)

NODE_MUTATIONS = (
    Mutation(
        "healthz-answers-500",
        "src/http/health.ts",
        r'^  return \{ status: "ok" \};$',
        '  throw new Error("unhealthy");',
        _on_service(checks.check_healthz),
    ),
    Mutation(
        "request-id-not-echoed",
        "src/http/app.ts",
        r'reply\.header\("x-request-id", request\.id\);',
        'reply.header("x-request-id-unused", request.id);',
        _on_service(checks.check_request_id_echoed),
    ),
    Mutation(
        "invalid-request-id-kept",
        "src/platform/ids.ts",
        r'typeof sent === "string" && VALID_REQUEST_ID\.test\(sent\)',
        'typeof sent === "string" && sent !== "" && VALID_REQUEST_ID.source !== ""',
        _on_service(checks.check_request_id_invalid_replaced),
    ),
    Mutation(
        "unknown-route-plain-text",
        "src/http/app.ts",
        r"return sendError\(reply, request, notFound\((`no route matches \$\{path\}`)\)\);",
        r'return reply.code(404).type("text/plain").send(notFound(\1).message);',
        _on_service(checks.check_unknown_route),
    ),
    Mutation(
        "wrong-method-404",
        "src/http/app.ts",
        r"if \(allowed\.size > 0\) \{",
        "if (allowed.size > 99) {",
        _on_service(checks.check_wrong_method),
    ),
    Mutation(
        "body-limit-raised",
        "src/http/app.ts",
        r"^export const MAX_BODY_BYTES = 1024 \* 1024;$",
        "export const MAX_BODY_BYTES = 4 * 1024 * 1024;",
        _on_service(checks.check_body_too_large),
    ),
    Mutation(
        "access-line-status-always-200",
        "src/http/app.ts",
        r"status: reply\.statusCode,",
        "status: 200,",
        _access_line_of_404,
    ),
    Mutation(
        "invalid-request-timeout-accepted",
        "src/config.ts",
        r"REQUEST_TIMEOUT: duration\.default\(5000\),",
        "REQUEST_TIMEOUT: z.any().transform(() => 5000),",
        _request_timeout_refused,
    ),
    Mutation(
        "sigterm-exits-non-zero",
        "src/serve.ts",
        r'logger\.info\("stopped"\);',
        'logger.info("stopped");\n      process.exit(3);',
        _sigterm_exits_zero,
    ),
    Mutation(
        "timeout-answers-500",
        "src/http/errors.ts",
        r"(new ApiError\(\s+)504,",
        r"\g<1>500,",
        _timeout_is_504,
        with_dependencies=True,
    ),
    Mutation(
        "cache-bypassed",
        "src/services.ts",
        r"^  items = (new CachedItemStore\(items, client, logger\));$",
        r"  void \1;",
        _reads_through_redis,
        with_dependencies=True,
    ),
    Mutation(
        "item-name-length-unbounded",
        "src/items/item.ts",
        r"Array\.from\(name\)\.length <= MAX_NAME_LENGTH",
        "Array.from(name).length >= 0",
        _api_matches_document,
    ),
)

# Express and NestJS share the middleware that gives each request its id and
# access line: src/http/requests.ts.
EXPRESS_REQUEST_MUTATIONS = (
    Mutation(
        "request-id-not-echoed",
        "src/http/requests.ts",
        r'res\.setHeader\("x-request-id", id\);',
        'res.setHeader("x-request-id-unused", id);',
        _on_service(checks.check_request_id_echoed),
    ),
    Mutation(
        "access-line-status-always-200",
        "src/http/requests.ts",
        r"status: res\.statusCode,\n(\s+)duration_ms",
        r"status: res.statusCode > 0 ? 200 : 0,\n\1duration_ms",
        _access_line_of_404,
    ),
    Mutation(
        "timeout-not-answered",
        "src/http/requests.ts",
        r"if \(!res\.headersSent\) \{\n(\s+)sendError\(res, timedOut\(\)\);",
        r"if (res.headersSent && !res.headersSent) {\n\1sendError(res, timedOut());",
        _timeout_is_504,
        with_dependencies=True,
    ),
)

# Express has its own HTTP layer: the behaviours it implements itself, broken there.
EXPRESS_MUTATIONS = (
    *EXPRESS_REQUEST_MUTATIONS,
    Mutation(
        "unknown-route-plain-text",
        "src/http/app.ts",
        r"sendError\(res, (notFound\(`no route matches \$\{pathOf\(req\.url\)\}`\))\);",
        r'res.status(404).type("text/plain").send(\1.message);',
        _on_service(checks.check_unknown_route),
    ),
    Mutation(
        "wrong-method-404",
        "src/items/routes.ts",
        r'\n\s*\.all\(allow\("POST"\)\);',
        ";",
        _on_service(checks.check_wrong_method),
    ),
    Mutation(
        "body-limit-raised",
        "src/http/app.ts",
        r"^export const MAX_BODY_BYTES = 1024 \* 1024;$",
        "export const MAX_BODY_BYTES = 4 * 1024 * 1024;",
        _on_service(checks.check_body_too_large),
    ),
)

# NestJS runs on Express, behind its own routing and exception filter: the
# behaviours those implement, broken there.
NESTJS_MUTATIONS = (
    *EXPRESS_REQUEST_MUTATIONS,
    Mutation(
        "unknown-route-nest-default-body",
        "src/http/app.ts",
        r"^@Catch\(\)$",
        "@Catch(ApiError)",
        _on_service(checks.check_unknown_route),
    ),
    Mutation(
        "wrong-method-404",
        "src/items/routes.ts",
        r'@OtherMethods\("", "POST"\)',
        '@OtherMethods("unused", "POST")',
        _on_service(checks.check_wrong_method),
    ),
    Mutation(
        "body-limit-raised",
        "src/http/app.ts",
        r"^export const MAX_BODY_BYTES = 1024 \* 1024;$",
        "export const MAX_BODY_BYTES = 4 * 1024 * 1024;",
        _on_service(checks.check_body_too_large),
    ),
    Mutation(
        "nest-logs-plain-text",
        "src/http/app.ts",
        r"^  app\.useLogger\(app\.get\(Logger\)\);$",
        "  void app.get(Logger);",
        _on_service(checks.check_log_lines),
    ),
)

RUST_MUTATIONS = (
    Mutation(
        "healthz-answers-500",
        "src/http/server.rs",
        r"async fn healthz\(\) -> Json<serde_json::Value> \{\n\s*Json\(json!\(.*\)\)",
        "async fn healthz() -> StatusCode {\n    StatusCode::INTERNAL_SERVER_ERROR",
        _on_service(checks.check_healthz),
    ),
    Mutation(
        "request-id-not-echoed",
        "src/http/middleware.rs",
        r"response\.headers_mut\(\)\.insert\(REQUEST_ID_HEADER, id\);",
        "drop(id);",
        _on_service(checks.check_request_id_echoed),
    ),
    Mutation(
        "invalid-request-id-kept",
        "src/http/request.rs",
        r"\.filter\(\|id\| is_valid\(id\)\)",
        ".filter(|id| !id.is_empty())",
        _on_service(checks.check_request_id_invalid_replaced),
    ),
    Mutation(
        "unknown-route-plain-text",
        "src/http/server.rs",
        r"^\s*\.fallback\(not_found\)\n",
        "",
        _on_service(checks.check_unknown_route),
    ),
    Mutation(
        "body-limit-raised",
        "src/http/json.rs",
        r"^pub const MAX_BODY_BYTES: usize = 1 << 20;$",
        "pub const MAX_BODY_BYTES: usize = 4 << 20;",
        _on_service(checks.check_body_too_large),
    ),
    Mutation(
        "access-line-status-always-200",
        "src/http/request.rs",
        r'tracing::info!\(status, duration_ms, "request"\)',
        'tracing::info!(status = 200_u16, duration_ms, "request")',
        _access_line_of_404,
    ),
    Mutation(
        "invalid-request-timeout-accepted",
        "src/config.rs",
        r'problem\("REQUEST_TIMEOUT", "[^"\n]*"\);\n(\s*)Duration::ZERO',
        r"\1Duration::from_secs(5)",
        _request_timeout_refused,
    ),
    Mutation(
        "sigterm-exits-non-zero",
        "src/commands.rs",
        r'(tracing::info!\("stopped"\);\n\s*)Ok\(\(\)\)',
        r'\1Err("stopped".into())',
        _sigterm_exits_zero,
    ),
    Mutation(
        "timeout-answers-500",
        "src/http/error.rs",
        r"Self::new\(\s*504,",
        "Self::new(500,",
        _timeout_is_504,
        with_dependencies=True,
    ),
    Mutation(
        "cache-bypassed",
        "src/services.rs",
        r"^\s*let items = Arc::new\(CachedItemStore::new\(items, redis\)\);\n",
        "",
        _reads_through_redis,
        with_dependencies=True,
    ),
    Mutation(
        "item-name-length-unbounded",
        "src/items/mod.rs",
        r"^const MAX_NAME_LENGTH: usize = 200;$",
        "const MAX_NAME_LENGTH: usize = usize::MAX;",
        _api_matches_document,
    ),
)

# Actix Web shares every file but its HTTP layer with axum: only that layer is broken.
RUST_ACTIX_MUTATIONS = (
    Mutation(
        "healthz-answers-500",
        "src/http/server.rs",
        r"async fn healthz\(\) -> HttpResponse \{\n\s*HttpResponse::Ok\(\)",
        "async fn healthz() -> HttpResponse {\n    HttpResponse::InternalServerError()",
        _on_service(checks.check_healthz),
    ),
    Mutation(
        "request-id-not-echoed",
        "src/http/middleware.rs",
        r"response\s*\.headers_mut\(\)\s*\.insert\(HeaderName::from_static\(\w+\), id\)",
        "drop(id)",
        _on_service(checks.check_request_id_echoed),
    ),
    Mutation(
        "unknown-route-plain-text",
        "src/http/server.rs",
        r"^\s*\.default_service\(web::to\(not_found\)\)\n",
        "",
        _on_service(checks.check_unknown_route),
    ),
    Mutation(
        "timeout-answers-500",
        "src/http/middleware.rs",
        r"Err\(ApiError::timeout\(\)\.into\(\)\)",
        "Err(ApiError::panicked().into())",
        _timeout_is_504,
        with_dependencies=True,
    ),
)

# The variant each stack is mutated in: no database or cache, so nothing but
# the build and the process is needed.
TARGETS: tuple[tuple[StackDescriptor, tuple[Mutation, ...]], ...] = (
    (GO_STDLIB, GO_MUTATIONS),
    (NODE_FASTIFY, NODE_MUTATIONS),
    (NODE_EXPRESS, EXPRESS_MUTATIONS),
    (NODE_NESTJS, NESTJS_MUTATIONS),
    (PYTHON_FASTAPI, PYTHON_MUTATIONS),
    (RUST_AXUM, RUST_MUTATIONS),
    (RUST_ACTIX, RUST_ACTIX_MUTATIONS),
)


def _params() -> list[object]:
    return [
        pytest.param(
            descriptor,
            mutation,
            id=f"{descriptor.name}-{mutation.id}",
            marks=[getattr(pytest.mark, descriptor.marker)],
        )
        for descriptor, mutations in TARGETS
        for mutation in mutations
    ]


def _variant(descriptor: StackDescriptor, mutation: Mutation) -> Variant:
    if mutation.with_dependencies:
        return Variant(descriptor, descriptor.architectures[0], "postgres", "redis")
    return Variant(descriptor, descriptor.architectures[0], "none", "none")


_databases = itertools.count()
Start = Callable[[BuiltProject, Variant], tuple[Service, Dependencies]]


@pytest.fixture
def running(request: pytest.FixtureRequest) -> Iterator[Start]:
    """Start a build of a variant with a fresh database and cache of its own."""
    started: list[Service] = []

    def start(project: BuiltProject, variant: Variant) -> tuple[Service, Dependencies]:
        postgres = request.getfixturevalue("postgres") if variant.database != "none" else None
        redis = request.getfixturevalue("redis") if variant.cache != "none" else None
        deps = provision(variant, project, postgres, redis, suffix=f"_meta{next(_databases)}")
        svc = Service(project, deps.env())
        started.append(svc.start())
        return svc.wait_serving(), deps

    yield start
    for svc in started:
        svc.stop()


def mutate(project: BuiltProject, mutation: Mutation, dest: Path) -> Path:
    """A copy of ``project`` with ``mutation`` applied to it."""
    # Build output stays behind: the build step makes it again for the copy.
    shutil.copytree(
        project.path, dest, ignore=shutil.ignore_patterns("bin", ".venv", "node_modules", "dist")
    )
    target = dest / mutation.path.format(slug=project.slug)
    assert target.is_file(), (
        f"mutation {mutation.id}: {mutation.path} is not in the rendered project"
    )
    text, count = re.subn(mutation.pattern, mutation.replacement, target.read_text(), flags=re.M)
    assert count >= 1, (
        f"mutation {mutation.id} no longer matches {mutation.path}: "
        "update it in tests/conformance/test_meta.py"
    )
    target.write_text(text)
    return dest


@pytest.mark.parametrize(("descriptor", "mutation"), _params())
def test_check_fails_when_its_behaviour_breaks(
    descriptor: StackDescriptor,
    mutation: Mutation,
    builds: Callable[[Variant], BuiltProject],
    running: Start,
    tmp_path: Path,
) -> None:
    variant = _variant(descriptor, mutation)
    project = builds(variant)
    mutation.check(*running(project, variant))

    broken_build = build_project(mutate(project, mutation, tmp_path / project.slug), descriptor)
    broken, deps = running(broken_build, variant)
    with pytest.raises(AssertionError):
        mutation.check(broken, deps)
