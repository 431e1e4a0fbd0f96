"""Run a rendered service as a black box: build it, start it, talk HTTP, read its logs.

Nothing here knows a stack: ``conformance.stacks`` says how to build and run
one. Only the standard library talks to the service.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import http.server
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from services import HOST, PostgresServer, free_port, port_is_open

from conformance.stacks import StackDescriptor

_LIVE: set[subprocess.Popen[bytes]] = set()


def _kill_live() -> None:
    for proc in list(_LIVE):
        _kill_group(proc)


atexit.register(_kill_live)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
    _LIVE.discard(proc)


# --- building


@dataclass(frozen=True)
class BuiltProject:
    path: Path
    slug: str
    descriptor: StackDescriptor

    def argv(self, template: Sequence[str]) -> list[str]:
        argv = [part.format(slug=self.slug) for part in template]
        # A project-relative program ("bin/x") runs from the project, not PATH.
        if "/" in argv[0] and not argv[0].startswith("/"):
            argv[0] = str(self.path / argv[0])
        return argv

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in SERVICE_ENV}
        env.update(self.descriptor.env)
        env.update(extra or {})
        return env


# Variables the contract gives a meaning; never inherited from the caller.
SERVICE_ENV = (
    "PORT",
    "LOG_LEVEL",
    "DATABASE_URL",
    "REDIS_URL",
    "REQUEST_TIMEOUT",
    "SHUTDOWN_TIMEOUT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SERVICE_NAME",
    "AWS_LAMBDA_RUNTIME_API",
)


def build_project(path: Path, descriptor: StackDescriptor) -> BuiltProject:
    """Run the descriptor's build steps in ``path`` (a rendered project)."""
    missing = [tool for tool in descriptor.tools if shutil.which(tool) is None]
    if missing:
        raise AssertionError(
            f"{descriptor.name}: {', '.join(missing)} not on PATH; the build needs it"
        )
    project = BuiltProject(path=path, slug=project_slug(path), descriptor=descriptor)
    for step in descriptor.build:
        argv = project.argv(step)
        proc = subprocess.run(
            argv, cwd=path, env=project.env(), capture_output=True, text=True, timeout=900
        )
        if proc.returncode != 0:
            raise AssertionError(
                f"build step failed (exit {proc.returncode}) in {path}: {' '.join(argv)}\n"
                f"{(proc.stdout + proc.stderr)[-6000:]}"
            )
    return project


def openapi_document(project: BuiltProject) -> Path:
    """The OpenAPI document the project serves at /openapi.json."""
    pattern = project.descriptor.openapi
    found = sorted(project.path.glob(pattern))
    if len(found) != 1:
        raise AssertionError(f"{project.path}: one OpenAPI document {pattern} expected, {found}")
    return found[0]


def project_slug(path: Path) -> str:
    answers = (path / ".copier-answers.yml").read_text()
    match = re.search(r"^project_slug:\s*['\"]?([a-z][a-z0-9-]*)", answers, re.M)
    return match.group(1) if match else path.name


# --- HTTP


@dataclass
class Response:
    method: str
    path: str
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    elapsed: float
    sent_request_id: str | None = None

    @property
    def request_id(self) -> str | None:
        return self.headers.get("X-Request-ID")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            raise AssertionError(
                f"{self.method} {self.path} -> {self.status}: body is not JSON: {self.body[:300]!r}"
            ) from None

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status} {self.body[:300]!r}"


def http_request(
    port: int,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10,
    chunked: bool = False,
) -> Response:
    """One request on a fresh connection (no keep-alive between checks).

    A server may answer before it has read the whole body (a 413 decided on
    Content-Length) and then close: the send error is ignored and the answer
    read all the same.
    """
    payload = body.encode() if isinstance(body, str) else body
    all_headers = {"Connection": "close", "Accept": "application/json"}
    if payload is not None:
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    started = time.monotonic()
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in all_headers.items():
            conn.putheader(name, value)
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        elif payload is not None or method in ("POST", "PUT", "PATCH"):
            conn.putheader("Content-Length", str(len(payload or b"")))
        conn.endheaders()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if chunked:
                step = 64 * 1024
                for start in range(0, len(payload or b""), step):
                    chunk = (payload or b"")[start : start + step]
                    conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                conn.send(b"0\r\n\r\n")
            elif payload:
                conn.send(payload)
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    return Response(
        method=method,
        path=path,
        status=resp.status,
        headers=resp.headers,
        body=data,
        elapsed=time.monotonic() - started,
        sent_request_id=all_headers.get("X-Request-ID"),
    )


# --- the running service


@dataclass
class LogLine:
    raw: str
    at: float
    record: dict[str, Any] | None


class Service:
    """A rendered service running as a child process, stdout captured line by line."""

    def __init__(
        self, project: BuiltProject, env: Mapping[str, str], argv: Sequence[str] | None = None
    ) -> None:
        self.project = project
        self.port = int(env["PORT"]) if str(env.get("PORT", "")).isdigit() else 0
        self.config = dict(env)
        self.argv = list(argv) if argv is not None else project.argv(project.descriptor.serve)
        self.lines: list[LogLine] = []
        self.stderr: list[str] = []
        self._lock = threading.Lock()
        self._readers: list[threading.Thread] = []
        self.proc: subprocess.Popen[bytes] | None = None
        self.responses: list[Response] = []
        # Whether PORT ever accepted a connection (watched by run_to_exit only).
        self.bound = False

    # lifecycle

    def start(self) -> Service:
        self.proc = subprocess.Popen(
            self.argv,
            cwd=self.project.path,
            env=self.project.env(self.config),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        _LIVE.add(self.proc)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        for stream, sink in (
            (self.proc.stdout, self._stdout_line),
            (self.proc.stderr, self.stderr.append),
        ):
            reader = threading.Thread(target=_pump, args=(stream, sink), daemon=True)
            reader.start()
            self._readers.append(reader)
        return self

    def _stdout_line(self, raw: str) -> None:
        try:
            record = json.loads(raw)
        except ValueError:
            record = None
        with self._lock:
            self.lines.append(
                LogLine(raw, time.monotonic(), record if isinstance(record, dict) else None)
            )

    def wait_serving(self, timeout: float = 20) -> Service:
        """Block until GET /healthz answers; fail with the logs if the process dies first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.exited:
                raise AssertionError(
                    f"service exited with {self.returncode} before serving\n{self.output()}"
                )
            if port_is_open(self.port):
                with contextlib.suppress(OSError, http.client.HTTPException):
                    http_request(self.port, "GET", "/healthz", timeout=2)
                    return self
            time.sleep(0.05)
        raise AssertionError(
            f"service did not serve on port {self.port} within {timeout}s\n{self.output()}"
        )

    @property
    def exited(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def signal(self, signum: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def wait(self, timeout: float) -> int | None:
        """Exit code, or None if still running after ``timeout`` seconds."""
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self._join_readers()
        return code

    def _join_readers(self) -> None:
        for reader in self._readers:
            reader.join(timeout=5)

    def stop(self, timeout: float = 10) -> int | None:
        """SIGTERM, then SIGKILL after ``timeout``; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
            if self.wait(timeout) is None:
                _kill_group(self.proc)
        _kill_group(self.proc)
        self._join_readers()
        return self.proc.returncode

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # HTTP

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10,
        chunked: bool = False,
    ) -> Response:
        payload = json.dumps(body) if isinstance(body, dict) else body
        response = http_request(self.port, method, path, payload, headers, timeout, chunked)
        with self._lock:
            self.responses.append(response)
        return response

    def get(self, path: str, **kwargs: Any) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, body: bytes | str | dict[str, Any] | None, **kwargs: Any) -> Response:
        return self.request("POST", path, body, **kwargs)

    # logs

    def snapshot(self) -> list[LogLine]:
        with self._lock:
            return list(self.lines)

    def records(self) -> list[dict[str, Any]]:
        return [line.record for line in self.snapshot() if line.record is not None]

    def wait_for_record(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 3
    ) -> list[dict[str, Any]]:
        """Records matching ``predicate``, waiting up to ``timeout`` for the first one."""
        deadline = time.monotonic() + timeout
        while True:
            found = [r for r in self.records() if predicate(r)]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.02)

    def output(self, last: int = 40) -> str:
        lines = [line.raw for line in self.snapshot()][-last:]
        err = self.stderr[-last:]
        return (
            "--- stdout ---\n"
            + "\n".join(lines)
            + ("\n--- stderr ---\n" + "\n".join(err) if err else "")
        )


def _pump(stream: Any, sink: Callable[[str], None]) -> None:
    for raw in iter(stream.readline, b""):
        sink(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
    stream.close()


def service_env(
    *,
    database_url: str | None,
    redis_url: str | None,
    request_timeout: str = "1s",
    shutdown_timeout: str = "5s",
    **extra: str,
) -> dict[str, str]:
    """The contract's environment for one service on a free port; ``extra`` overrides."""
    env = {
        "PORT": str(free_port()),
        "REQUEST_TIMEOUT": request_timeout,
        "SHUTDOWN_TIMEOUT": shutdown_timeout,
        "LOG_LEVEL": "info",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def run_to_exit(
    project: BuiltProject, argv: Sequence[str], env: Mapping[str, str], timeout: float
) -> Service:
    """Run a command of the project to completion, watching that it never binds ``PORT``."""
    svc = Service(project, env, argv=argv).start()
    deadline = time.monotonic() + timeout
    while not svc.exited:
        if svc.port and port_is_open(svc.port, timeout=0.05):
            svc.bound = True
        if time.monotonic() > deadline:
            svc.stop(timeout=1)
            raise AssertionError(f"{' '.join(argv)} still running after {timeout}s\n{svc.output()}")
        time.sleep(0.01)
    svc.wait(5)
    return svc


# --- holding a Postgres table lock from another session


class TableLock:
    """``LOCK TABLE <table> IN ACCESS EXCLUSIVE MODE`` held by a background psql.

    Every query touching the table blocks until ``release()``: a deterministic
    way to make a handler slow without touching the service.
    """

    def __init__(
        self, server: PostgresServer, database: str, table: str, hold_seconds: float = 30
    ) -> None:
        self.server = server
        self.database = database
        self.table = table
        self.hold_seconds = hold_seconds
        self.app_name = f"conformance-lock-{os.getpid()}-{time.monotonic_ns()}"
        self.proc: subprocess.Popen[str] | None = None

    def acquire(self, timeout: float = 10) -> TableLock:
        sql = (
            f"BEGIN;\nLOCK TABLE {self.table} IN ACCESS EXCLUSIVE MODE;\n"
            f"SELECT pg_sleep({self.hold_seconds});\nCOMMIT;\n"
        )
        env = {**os.environ, "PGAPPNAME": self.app_name}
        self.proc = subprocess.Popen(
            self.server.psql_argv(self.database),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(sql)
        self.proc.stdin.close()
        deadline = time.monotonic() + timeout
        while not self.held():
            if self.proc.poll() is not None:
                stderr = self.proc.stderr.read() if self.proc.stderr else ""
                raise AssertionError(f"could not lock table {self.table!r}: {stderr}")
            if time.monotonic() > deadline:
                raise AssertionError(f"lock on {self.table!r} not granted within {timeout}s")
            time.sleep(0.02)
        return self

    def held(self) -> bool:
        return self.server.psql(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            f"WHERE a.application_name = '{self.app_name}' AND l.granted "
            f"AND l.mode = 'AccessExclusiveLock' AND l.relation = '{self.table}'::regclass",
            self.database,
        ) not in ("", "0")

    def waiters(self) -> int:
        """Sessions of the database waiting for a lock (the service's blocked queries)."""
        return int(
            self.server.psql(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()",
                self.database,
            )
            or 0
        )

    def wait_for_waiter(self, timeout: float = 5) -> None:
        deadline = time.monotonic() + timeout
        while self.waiters() == 0:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no query of the service blocked on {self.table!r} within {timeout}s"
                )
            time.sleep(0.02)

    def release(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(Exception):
                self.server.psql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE application_name = '{self.app_name}'"
                )
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def __enter__(self) -> TableLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


# --- log format

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_rfc3339(value: str) -> datetime:
    """Parse an RFC 3339 timestamp; ValueError when it is not one."""
    match = _RFC3339.match(value)
    if not match:
        raise ValueError(f"{value!r} is not an RFC 3339 timestamp")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction = match.group(7) or ""
    micro = int((fraction[1:] + "000000")[:6]) if fraction else 0
    zone = match.group(8)
    if zone in ("Z", "z"):
        tz = UTC
    else:
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=tz)


# --- a stand-in OpenTelemetry collector


class OtlpCollector:
    """Accepts OTLP/HTTP exports on 127.0.0.1 and remembers what was posted where."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, int]] = []
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                collector.posts.append((self.path, self.headers.get("Content-Type", ""), length))
                # An empty export response is valid in both protobuf and JSON encodings.
                body = b"{}" if "json" in self.headers.get("Content-Type", "") else b""
                self.send_response(200)
                self.send_header("Content-Type", self.headers.get("Content-Type", ""))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((HOST, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}"

    def trace_posts(self) -> list[tuple[str, str, int]]:
        return [post for post in self.posts if post[0].rstrip("/").endswith("/v1/traces")]

    def __enter__(self) -> OtlpCollector:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
