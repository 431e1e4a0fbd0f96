"""The service contract, one plain function per observable behaviour.

Each check drives a running ``Service`` over HTTP (and reads its stdout) and
raises AssertionError with what was expected and what came back. Checks know
no stack; tests/conformance/test_meta.py proves that they fail when the
behaviour they guard is broken.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from services import PostgresServer, RedisServer, port_is_open

from conformance.harness import (
    BuiltProject,
    OtlpCollector,
    Response,
    Service,
    TableLock,
    http_request,
    parse_rfc3339,
    run_to_exit,
)

# The example resource of the contract; every stack names its fields the same.
VALID_ITEM: dict[str, Any] = {"name": "Conformance widget", "price_cents": 1299}
INVALID_ITEM: dict[str, Any] = {"name": "", "price_cents": -1}
INVALID_FIELDS = ("name", "price_cents")
ITEMS = "/v1/items"
ITEMS_TABLE = "items"
MAX_BODY = 1 << 20
ACCESS_KEYS = ("request_id", "method", "path", "status", "duration_ms")
# How schemathesis probes a service from its OpenAPI document.
SCHEMATHESIS_CONFIG = Path(__file__).with_name("schemathesis.toml")
# What a generated request id must look like: visible ASCII, no spaces, at most 128.
REASONABLE_REQUEST_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


def _fail(what: str, expected: object, got: object) -> AssertionError:
    return AssertionError(f"{what}: expected {expected}, got {got}")


def assert_json_content_type(resp: Response) -> None:
    content_type = (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise _fail(
            f"{resp.method} {resp.path} Content-Type", "application/json", content_type or "none"
        )


def assert_error(
    resp: Response, status: int | Sequence[int], code: str | None = None
) -> dict[str, Any]:
    """The response is the contract's JSON error with a request id equal to X-Request-ID."""
    statuses = (status,) if isinstance(status, int) else tuple(status)
    if resp.status not in statuses:
        raise _fail(f"{resp.method} {resp.path} status", " or ".join(map(str, statuses)), str(resp))
    assert_json_content_type(resp)
    body = resp.json()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        raise _fail(f"{resp.method} {resp.path} body", '{"error": {...}}', body)
    for key in ("code", "message", "request_id"):
        if not isinstance(error.get(key), str) or not error[key]:
            raise _fail(
                f"{resp.method} {resp.path} error.{key}", "a non-empty string", error.get(key)
            )
    if code is not None and error["code"] != code:
        raise _fail(f"{resp.method} {resp.path} error.code", repr(code), repr(error["code"]))
    if error["request_id"] != resp.request_id:
        raise _fail(
            f"{resp.method} {resp.path} error.request_id",
            f"the X-Request-ID header {resp.request_id!r}",
            repr(error["request_id"]),
        )
    return error


# --- health


def check_healthz(svc: Service) -> None:
    resp = svc.get("/healthz")
    if resp.status != 200:
        raise _fail("GET /healthz status", 200, str(resp))
    assert_json_content_type(resp)
    if resp.json() != {"status": "ok"}:
        raise _fail("GET /healthz body", {"status": "ok"}, resp.json())


def ready_body(dependencies: Sequence[str]) -> dict[str, Any]:
    return {"status": "ready", "checks": dict.fromkeys(dependencies, "ok")}


def check_readyz(svc: Service, dependencies: Sequence[str]) -> None:
    resp = svc.get("/readyz")
    expected = ready_body(dependencies)
    if resp.status != 200:
        raise _fail("GET /readyz status", 200, str(resp))
    assert_json_content_type(resp)
    if resp.json() != expected:
        raise _fail("GET /readyz body", expected, resp.json())


def _poll(svc: Service, path: str, until: Callable[[Response], bool], timeout: float) -> Response:
    deadline = time.monotonic() + timeout
    while True:
        resp = svc.get(path, timeout=5)
        if until(resp) or time.monotonic() > deadline:
            return resp
        time.sleep(0.1)


def check_readiness_follows(
    svc: Service,
    dependencies: Sequence[str],
    failing: str,
    stop: Callable[[], object],
    start: Callable[[], object],
    notice_within: float = 5,
    recover_within: float = 15,
) -> None:
    """/readyz turns 503 naming ``failing`` when it stops, and 200 by itself when it returns."""
    check_readyz(svc, dependencies)
    stop()
    try:
        resp = _poll(svc, "/readyz", lambda r: r.status != 200, notice_within)
        if resp.status != 503:
            raise _fail(
                f"GET /readyz with {failing} down, status (within {notice_within}s)", 503, str(resp)
            )
        body = resp.json()
        checks = body.get("checks") if isinstance(body, dict) else None
        if not isinstance(checks, dict) or failing not in checks or checks[failing] == "ok":
            raise _fail(
                f"GET /readyz with {failing} down, body",
                f"checks.{failing} present and not 'ok'",
                body,
            )
        if body.get("status") == "ready":
            raise _fail(f"GET /readyz with {failing} down, status field", "not 'ready'", body)
        healthy = {name: checks.get(name) for name in dependencies if name != failing}
        if any(value != "ok" for value in healthy.values()):
            raise _fail(f"GET /readyz with only {failing} down, the other checks", "'ok'", body)
        health = svc.get("/healthz")
        if health.status != 200:
            raise _fail(
                f"GET /healthz with {failing} down (it touches no dependency)", 200, str(health)
            )
    finally:
        start()
    resp = _poll(svc, "/readyz", lambda r: r.status == 200, recover_within)
    if resp.status != 200:
        raise _fail(
            f"GET /readyz after {failing} came back (within {recover_within}s)", 200, str(resp)
        )
    check_readyz(svc, dependencies)


def check_hung_dependency(
    svc: Service,
    dependencies: Sequence[str],
    failing: str,
    pause: Callable[[], object],
    resume: Callable[[], object],
    known_id: object,
    margin: float = 1.5,
) -> None:
    """A dependency that accepts but never answers: /readyz still answers 503 within about
    a second, requests still answer within REQUEST_TIMEOUT, and all is well once it wakes."""
    check_readyz(svc, dependencies)
    limit = _seconds(svc.config["REQUEST_TIMEOUT"])
    pause()
    try:
        ready = svc.get("/readyz", timeout=10)
        if ready.status != 503 or ready.elapsed > 1 + margin:
            raise _fail(
                f"GET /readyz with {failing} hung",
                f"503 within {1 + margin:.1f}s",
                f"{ready.status} after {ready.elapsed:.2f}s: {ready.body[:200]!r}",
            )
        body = ready.json()
        checks = body.get("checks") if isinstance(body, dict) else None
        if not isinstance(checks, dict) or checks.get(failing) in (None, "ok"):
            raise _fail(f"GET /readyz with {failing} hung", f"checks.{failing} not 'ok'", body)
        item = svc.get(f"{ITEMS}/{unknown_id_like(known_id)}", timeout=limit + 10)
        if item.elapsed > limit + margin:
            raise _fail(
                f"GET {ITEMS}/{{id}} with {failing} hung (REQUEST_TIMEOUT={limit}s)",
                f"an answer within {limit + margin:.1f}s",
                f"{item.status} after {item.elapsed:.2f}s",
            )
        if item.status not in (404, 504):
            raise _fail(f"GET {ITEMS}/{{unknown id}} with {failing} hung", "404 or 504", str(item))
        if item.status == 504:
            assert_error(item, 504)
    finally:
        resume()
    resp = _poll(svc, "/readyz", lambda r: r.status == 200, 15)
    if resp.status != 200:
        raise _fail(f"GET /readyz after {failing} woke up (within 15s)", 200, str(resp))
    check_readyz(svc, dependencies)


# --- the example resource


def check_item_roundtrip(svc: Service) -> dict[str, Any]:
    """POST a valid item (201 with an id); GET it back (200, same body), twice."""
    created = svc.post(ITEMS, VALID_ITEM)
    if created.status != 201:
        raise _fail(f"POST {ITEMS} with a valid body, status", 201, str(created))
    assert_json_content_type(created)
    item = created.json()
    if not isinstance(item, dict) or item.get("id") in (None, ""):
        raise _fail(f"POST {ITEMS} body", "an object with an id", item)
    for key, value in VALID_ITEM.items():
        if item.get(key) != value:
            raise _fail(f"POST {ITEMS} body.{key}", repr(value), repr(item.get(key)))
    # The second read is the one a cache answers.
    for attempt in ("first", "second"):
        fetched = svc.get(f"{ITEMS}/{item['id']}")
        if fetched.status != 200:
            raise _fail(
                f"GET {ITEMS}/{{id}} of a created item ({attempt} read), status", 200, str(fetched)
            )
        assert_json_content_type(fetched)
        if fetched.json() != item:
            raise _fail(
                f"GET {ITEMS}/{{id}} ({attempt} read) body", f"the POST body {item}", fetched.json()
            )
    return item


def check_item_stored_in_postgres(
    svc: Service, server: PostgresServer, database: str, item_id: object
) -> None:
    """A created item is a row of the migrated items table."""
    count = server.psql(
        f"SELECT count(*) FROM {ITEMS_TABLE} WHERE id::text = '{item_id}'", database
    )
    if count != "1":
        raise _fail(f"rows of {ITEMS_TABLE} with the created id {item_id}", 1, count)


def check_reads_through_redis(
    svc: Service, redis: RedisServer, db: int, lock: TableLock | None, item: dict[str, Any]
) -> None:
    """A read fills Redis, and the next read is answered from it even with the table locked."""
    redis.flushdb(db)
    first = svc.get(f"{ITEMS}/{item['id']}")
    if first.status != 200:
        raise _fail(f"GET {ITEMS}/{{id}} of a created item", 200, str(first))
    deadline = time.monotonic() + 3
    while redis.dbsize(db) == 0:
        if time.monotonic() > deadline:
            raise _fail(f"keys in Redis db {db} after a read (cache=redis)", ">= 1", 0)
        time.sleep(0.02)
    if lock is None:
        return
    with lock:
        cached = svc.get(f"{ITEMS}/{item['id']}", timeout=10)
    if cached.status != 200 or cached.json() != item:
        raise _fail(
            f"GET {ITEMS}/{{id}} of a cached item while {ITEMS_TABLE} is locked",
            f"200 with {item} from Redis",
            str(cached),
        )


def unknown_id_like(known: object) -> str:
    """An id of the same shape as ``known`` that no item has."""
    text = str(known)
    with_uuid = re.fullmatch(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", text
    )
    if with_uuid:
        return str(uuid.uuid4())
    if text.isdigit():
        return str(10**15 + int(time.time_ns() % 10**9))
    # Same length and alphabet (e.g. base32 text ids): only the tail changes.
    alphabet = sorted(set(text)) if len(set(text)) > 4 else list("abcdefghijklmnopqrstuvwxyz234567")
    tail = "".join(secrets.choice(alphabet) for _ in range(min(len(text), 12)))
    return text[: len(text) - len(tail)] + tail


def check_item_not_found(svc: Service, known_id: object) -> None:
    resp = svc.get(f"{ITEMS}/{unknown_id_like(known_id)}")
    assert_error(resp, 404, "not_found")


def check_id_holding_nul_not_found(svc: Service) -> None:
    """No id holds NUL, which PostgreSQL text cannot store: a 404, not a failed query."""
    assert_error(svc.get(f"{ITEMS}/no%00id"), 404, "not_found")


def check_malformed_json(svc: Service) -> None:
    resp = svc.post(ITEMS, '{"name": "unterminated')
    assert_error(resp, 400)


def check_invalid_fields(svc: Service) -> None:
    resp = svc.post(ITEMS, INVALID_ITEM)
    error = assert_error(resp, (400, 422))
    details = json.dumps({k: v for k, v in error.items() if k not in ("code", "request_id")})
    for field in INVALID_FIELDS:
        if field not in details:
            raise _fail(
                f"POST {ITEMS} {INVALID_ITEM} field errors", f"the field {field!r} named", error
            )


def check_body_too_large(svc: Service) -> None:
    """Over 1 MiB is 413, whether the length is declared up front or streamed in chunks."""
    body = json.dumps({**VALID_ITEM, "name": "x" * (MAX_BODY + 1024)})
    for chunked in (False, True):
        how = "chunked" if chunked else "with Content-Length"
        try:
            resp = svc.post(ITEMS, body, timeout=15, chunked=chunked)
        except (OSError, http.client.HTTPException) as exc:
            raise _fail(
                f"POST {ITEMS} with a {len(body)} byte body ({how})", "a 413 response", repr(exc)
            ) from None
        assert_error(resp, 413)


def check_unknown_route(svc: Service) -> None:
    assert_error(svc.get("/v1/no-such-route"), 404, "not_found")
    assert_error(svc.get("/no/such/path"), 404, "not_found")


def check_wrong_method(svc: Service) -> None:
    assert_error(svc.request("DELETE", ITEMS), 405)
    assert_error(svc.request("PUT", "/healthz"), 405)


def check_metrics(svc: Service) -> None:
    resp = svc.get("/metrics", headers={"Accept": "text/plain"})
    if resp.status != 200 or b"# TYPE " not in resp.body:
        raise _fail("GET /metrics", "200 in the Prometheus text format", str(resp))


TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


def _trace_id(record: dict[str, Any]) -> object:
    for key, value in record.items():
        if re.sub(r"[^a-z]", "", key.lower()) == "traceid":
            return value
    return None


def check_tracing(svc: Service, collector: OtlpCollector) -> None:
    """With OTEL_EXPORTER_OTLP_ENDPOINT set: access lines carry the trace id, spans get exported."""
    resp = svc.get(f"{ITEMS}/{uuid.uuid4().hex}")
    found = access_lines(svc, resp.request_id or "")
    if not found:
        raise _fail(f"access line of {resp.method} {resp.path}", "one", "none")
    trace_id = _trace_id(found[0])
    if not isinstance(trace_id, str) or not TRACE_ID.match(trace_id) or set(trace_id) == {"0"}:
        raise _fail("trace id in the access line with tracing on", "32 hex digits", found[0])
    # Exporters batch; shutdown flushes, so the spans must be out by exit.
    svc.signal(signal.SIGTERM)
    code = svc.wait(_seconds(svc.config["SHUTDOWN_TIMEOUT"]) + 1)
    if code != 0:
        raise _fail("exit after SIGTERM with tracing on", 0, f"{code}\n{svc.output()}")
    if not collector.trace_posts():
        raise _fail(
            f"OTLP exports to {collector.endpoint}/v1/traces by exit",
            "at least one",
            f"none (posts: {collector.posts})",
        )


# --- request ids


def check_request_id_echoed(svc: Service) -> None:
    sent = str(uuid.uuid4())
    resp = svc.get("/healthz", headers={"X-Request-ID": sent})
    if resp.request_id != sent:
        raise _fail(
            "X-Request-ID of GET /healthz sent with a valid id", repr(sent), repr(resp.request_id)
        )
    sent = str(uuid.uuid4())
    error = assert_error(svc.get("/v1/no-such-route", headers={"X-Request-ID": sent}), 404)
    if error["request_id"] != sent:
        raise _fail(
            "error.request_id when a valid X-Request-ID was sent",
            repr(sent),
            repr(error["request_id"]),
        )


def _assert_generated(resp: Response, what: str) -> str:
    rid = resp.request_id
    if not rid or not REASONABLE_REQUEST_ID.match(rid):
        raise _fail(
            f"X-Request-ID of {what}", "a generated id (1-128 visible characters)", repr(rid)
        )
    return rid


def check_request_id_generated(svc: Service) -> None:
    first = _assert_generated(svc.get("/healthz"), "GET /healthz sent without one")
    second = _assert_generated(svc.get("/healthz"), "GET /healthz sent without one")
    if first == second:
        raise _fail("X-Request-ID generated for two requests", "two different ids", repr(first))
    assert_error(svc.get("/v1/no-such-route"), 404)


def check_request_id_invalid_replaced(svc: Service) -> None:
    for sent in ("a" * 300, "not a valid id", "bad\tid"):
        resp = svc.get("/v1/no-such-route", headers={"X-Request-ID": sent})
        rid = _assert_generated(resp, f"a request sent with the invalid id {sent[:20]!r}")
        if rid == sent:
            raise _fail(
                f"X-Request-ID sent invalid ({sent[:20]!r}...)",
                "replaced by a generated id",
                "echoed",
            )
        assert_error(resp, 404)


# --- logs


def check_log_lines(svc: Service) -> None:
    """Every stdout line so far is one JSON object with time (RFC 3339), level and msg."""
    # Go and Node services write their lines in batches, at least every 100 ms.
    deadline = time.monotonic() + 2
    while not (lines := svc.snapshot()) and time.monotonic() < deadline:
        time.sleep(0.02)
    if not lines:
        raise AssertionError("the service wrote nothing on stdout (expected JSON log lines)")
    for line in lines:
        record = line.record
        if record is None:
            raise _fail("stdout line", "one JSON object", repr(line.raw[:300]))
        for key in ("time", "level", "msg"):
            if not isinstance(record.get(key), str) or (key != "msg" and not record[key]):
                raise _fail(f"log line field {key!r}", "a string", line.raw[:300])
        try:
            parse_rfc3339(record["time"])
        except ValueError:
            raise _fail("log line time", "an RFC 3339 timestamp", repr(record["time"])) from None
        if record["level"].lower() not in (
            "debug",
            "info",
            "warn",
            "warning",
            "error",
            "fatal",
            "critical",
        ):
            raise _fail("log line level", "debug, info, warn or error", repr(record["level"]))


def _path_matches(logged: object, path: str) -> bool:
    if logged == path.split("?")[0]:
        return True
    # A route pattern (/v1/items/{id}) stands for the request path too.
    if isinstance(logged, str) and "{" in logged:
        pattern = re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(logged))
        return re.fullmatch(pattern, path.split("?")[0]) is not None
    return False


def access_lines(svc: Service, request_id: str, wait: float = 3) -> list[dict[str, Any]]:
    return svc.wait_for_record(
        lambda r: r.get("request_id") == request_id and all(k in r for k in ACCESS_KEYS),
        timeout=wait,
    )


def check_access_lines(svc: Service, responses: Sequence[Response]) -> None:
    """Each response has exactly one access line: request id, method, path, status, duration."""
    if not responses:
        raise AssertionError("no requests to match access lines against")
    for resp in responses:
        if not resp.request_id:
            raise _fail(f"{resp.method} {resp.path} X-Request-ID header", "present", "missing")
        access_lines(svc, resp.request_id)
    # Give a late duplicate the chance to show up before counting.
    time.sleep(0.1)
    for resp in responses:
        rid = resp.request_id
        found = access_lines(svc, rid or "", wait=0)
        if len(found) != 1:
            raise _fail(
                f"access lines for {resp.method} {resp.path} (request_id {rid})",
                "exactly 1",
                f"{len(found)}: {found[:3]}",
            )
        line = found[0]
        if str(line["method"]).upper() != resp.method:
            raise _fail(
                f"access line method of {resp.method} {resp.path}", resp.method, line["method"]
            )
        if not _path_matches(line["path"], resp.path):
            raise _fail(f"access line path of {resp.method} {resp.path}", resp.path, line["path"])
        if line["status"] != resp.status:
            raise _fail(
                f"access line status of {resp.method} {resp.path}", resp.status, line["status"]
            )
        duration = line["duration_ms"]
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or duration < 0:
            raise _fail(
                f"access line duration_ms of {resp.method} {resp.path}", "a number >= 0", duration
            )


# --- timeouts and shutdown


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m)", value)
    if not match:
        raise ValueError(f"cannot read duration {value!r}")
    number, unit = float(match.group(1)), match.group(2)
    return number * {"ms": 0.001, "s": 1, "m": 60}[unit]


def check_request_timeout(
    svc: Service, lock: TableLock, known_id: object, margin: float = 1.5
) -> None:
    """A handler blocked past REQUEST_TIMEOUT answers 504 JSON, and the service keeps serving."""
    limit = _seconds(svc.config["REQUEST_TIMEOUT"])
    with lock:
        resp = svc.get(f"{ITEMS}/{unknown_id_like(known_id)}", timeout=limit + 10)
    assert_error(resp, 504)
    if resp.elapsed > limit + margin:
        raise _fail(
            f"504 answer time with REQUEST_TIMEOUT={limit}s",
            f"<= {limit + margin:.1f}s",
            f"{resp.elapsed:.2f}s",
        )
    if resp.elapsed < limit * 0.8:
        raise _fail(
            f"504 answer time with REQUEST_TIMEOUT={limit}s",
            f">= {limit * 0.8:.1f}s",
            f"{resp.elapsed:.2f}s",
        )
    check_healthz(svc)
    assert_error(svc.get(f"{ITEMS}/{unknown_id_like(known_id)}"), 404, "not_found")


def check_graceful_shutdown(
    svc: Service, lock: TableLock | None, dependencies: Sequence[str]
) -> None:
    """SIGTERM: no new connections (or /readyz 503 while draining), in-flight work finishes, exit 0.

    ``lock`` (database=postgres) keeps a request in flight across the signal;
    without a database nothing can be held, so only the exit is checked.
    """
    limit = _seconds(svc.config["SHUTDOWN_TIMEOUT"])
    in_flight: list[Response | BaseException] = []

    def slow_request() -> None:
        try:
            in_flight.append(svc.post(ITEMS, VALID_ITEM, timeout=limit + 20))
        except BaseException as exc:
            in_flight.append(exc)

    worker = threading.Thread(target=slow_request, daemon=True)
    if lock is not None:
        lock.acquire()
        worker.start()
        lock.wait_for_waiter()
    try:
        signalled = time.monotonic()
        svc.signal(signal.SIGTERM)
        # The signal lands asynchronously, so a request racing it may still see
        # "ready"; once the service has said "not ready" (or refused), it must not
        # take it back, and the listener must close soon.
        refused_within = 3.0
        draining_seen = False
        while port_is_open(svc.port, timeout=0.2):
            try:
                ready = http_request(svc.port, "GET", "/readyz", timeout=2)
            except (OSError, http.client.HTTPException):
                ready = None
            if ready is not None and ready.status == 503:
                draining_seen = True
            elif ready is not None and draining_seen:
                raise _fail("GET /readyz after it answered 503 while draining", 503, str(ready))
            if time.monotonic() - signalled > refused_within:
                raise _fail(
                    "new connections after SIGTERM",
                    f"refused within {refused_within}s",
                    "still accepted",
                )
            time.sleep(0.05)
        if lock is not None:
            if svc.exited:
                raise _fail(
                    "the process after SIGTERM with a request in flight",
                    "waiting for the request",
                    f"exited with {svc.returncode}",
                )
            lock.release()
            worker.join(timeout=limit + 20)
            if not in_flight:
                raise _fail("the in-flight POST after SIGTERM", "a response", "none")
            result = in_flight[0]
            if isinstance(result, BaseException):
                raise _fail("the in-flight POST after SIGTERM", "201", repr(result))
            if result.status != 201:
                raise _fail("the in-flight POST after SIGTERM, status", 201, str(result))
        remaining = max(0.0, limit + 1 - (time.monotonic() - signalled))
        code = svc.wait(remaining)
        if code is None:
            raise _fail(
                f"process exit after SIGTERM (SHUTDOWN_TIMEOUT={limit}s)",
                "exit within it",
                "still running",
            )
        if code != 0:
            raise _fail("exit code after SIGTERM", 0, f"{code}\n{svc.output()}")
        if lock is not None:
            # Logged while draining: a line still buffered at the exit would be lost.
            rid = in_flight[0].request_id if isinstance(in_flight[0], Response) else None
            if not access_lines(svc, rid or "", wait=2):
                raise _fail("access line of the request in flight at SIGTERM", "one", svc.output())
    finally:
        if lock is not None:
            lock.release()
        worker.join(timeout=5) if worker.is_alive() else None
    check_log_lines(svc)


# --- start-up


def check_invalid_config(
    project: BuiltProject, env: dict[str, str], what: str, within: float = 10
) -> None:
    """Refused config: non-zero exit, one JSON line at level error on stdout, PORT never bound."""
    svc = run_to_exit(project, project.argv(project.descriptor.serve), env, timeout=within)
    if svc.returncode == 0:
        raise _fail(f"exit code with {what}", "non-zero", f"0\n{svc.output()}")
    if svc.bound:
        raise _fail(f"port {env.get('PORT')} with {what}", "never bound", "accepted a connection")
    lines = [line for line in svc.snapshot() if line.raw.strip()]
    if len(lines) != 1:
        raise _fail(
            f"stdout with {what}",
            "exactly one JSON error line",
            f"{len(lines)} lines\n{svc.output()}",
        )
    record = lines[0].record
    if record is None or str(record.get("level", "")).lower() != "error" or not record.get("msg"):
        raise _fail(
            f"stdout with {what}", "a JSON object with level error and a msg", lines[0].raw[:300]
        )


def check_migrate(project: BuiltProject, env: dict[str, str], within: float = 60) -> None:
    """The migrate command applies the migrations, exits 0, binds nothing, and can run again."""
    argv = project.argv(project.descriptor.migrate)
    for attempt in ("first", "second"):
        run = run_to_exit(project, argv, env, timeout=within)
        if run.returncode != 0:
            raise _fail(
                f"{' '.join(argv)} ({attempt} run) exit code",
                0,
                f"{run.returncode}\n{run.output()}",
            )
        if run.bound:
            raise _fail(
                f"port {env.get('PORT')} during migrate", "never bound", "accepted a connection"
            )
        for line in run.snapshot():
            if line.raw.strip() and line.record is None:
                raise _fail(
                    f"migrate stdout ({attempt} run)", "JSON log lines", repr(line.raw[:300])
                )


# --- the OpenAPI document


def check_openapi_served(svc: Service, document: Path) -> None:
    """GET /openapi.json answers the project's rendered document."""
    resp = svc.get("/openapi.json")
    if resp.status != 200:
        raise _fail("GET /openapi.json status", 200, str(resp))
    assert_json_content_type(resp)
    if resp.json() != json.loads(document.read_text()):
        raise _fail("GET /openapi.json", f"the content of {document.name}", resp.body[:300])


def check_api_matches_document(svc: Service, document: Path) -> None:
    """schemathesis, generating requests from ``document`` (every check, every phase,
    stateful included; see schemathesis.toml), finds nothing the service does otherwise."""
    with tempfile.TemporaryDirectory() as workdir:
        run = subprocess.run(
            [
                *(sys.executable, "-m", "schemathesis.cli"),
                *("--config-file", str(SCHEMATHESIS_CONFIG), "run", str(document)),
                *("--url", f"http://127.0.0.1:{svc.port}", "--checks", "all", "--no-color"),
            ],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=900,
        )
    if run.returncode != 0:
        raise _fail("schemathesis over the OpenAPI document", "no failures", run.stdout[-12000:])
