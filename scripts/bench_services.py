"""Throughput of the rendered services next to a bare hello-world of the same framework.

For each stack and framework, renders the monolith and the microservice with Postgres and
Redis, builds them as their Dockerfile does, applies the migrations and starts them with
their production command against throwaway PostgreSQL and Redis servers. Beside each, a
bare hello-world of the same framework is built from the same project (the same pinned
dependencies, build flags and server settings). wrk (installed from Debian's packages
when missing) loads `GET /healthz` on the service and on the bare app in alternation,
then a cached `GET /v1/items/{id}` on the service. Prints requests per second, p50 and
p99 latency, the service's ratio to bare (the median of the rounds), the server's CPU time
per request beside the bare app's (steadier than rps where wrk shares the cores), the time
from start to ready, and resident memory idle and at its peak.

Serverless projects (same database and cache) are measured through their Lambda adapter:
cold init, from process start to the first API Gateway event (`GET /healthz`) answered,
and the median time of the warm events after it, each the median of --cold-starts fresh
processes. Go and Rust binaries talk to a local implementation of Lambda's runtime API, as
on Lambda; the Python and Node handlers are called in-process by a driver on the
project's own interpreter, the Node one from the function package that `sam build`
deploys (the Makefile's bundle). It asserts nothing.

    python scripts/bench_services.py [--only go-gin,rust-axum] [--arch monolith]
                                     [--seconds 5] [--rounds 3] [--connections 50]
                                     [--cold-starts 7]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests")]

from nodes import LOAD_HANDLER, node_bin_dir  # noqa: E402
from services import PostgresServer, RedisServer, free_port  # noqa: E402

from scaffold import catalog  # noqa: E402
from scaffold.render import new_project  # noqa: E402

SLUG = "orders-api"

# The service's http.Server settings (cmd/<slug>/serve.go, default REQUEST_TIMEOUT), so
# that the ratio prices the skeleton's middleware, not the timeouts both must have.
GO_SERVE = """
func serve(h http.Handler) {
\tsrv := &http.Server{
\t\tAddr:              "127.0.0.1:" + os.Getenv("PORT"),
\t\tHandler:           h,
\t\tReadHeaderTimeout: 5 * time.Second,
\t\tReadTimeout:       15 * time.Second,
\t\tWriteTimeout:      10 * time.Second,
\t\tIdleTimeout:       60 * time.Second,
\t}
\t_ = srv.ListenAndServe()
}
"""

GO_BARE = {
    "stdlib": """package main

import (
\t"encoding/json"
\t"net/http"
\t"os"
\t"time"
)

func main() {
\tmux := http.NewServeMux()
\tmux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
\t\tw.Header().Set("Content-Type", "application/json")
\t\t_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
\t})
\tserve(mux)
}
"""
    + GO_SERVE,
    "chi": """package main

import (
\t"encoding/json"
\t"net/http"
\t"os"
\t"time"

\t"github.com/go-chi/chi/v5"
)

func main() {
\tr := chi.NewRouter()
\tr.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
\t\tw.Header().Set("Content-Type", "application/json")
\t\t_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
\t})
\tserve(r)
}
"""
    + GO_SERVE,
    "gin": """package main

import (
\t"net/http"
\t"os"
\t"time"

\t"github.com/gin-gonic/gin"
)

func main() {
\tgin.SetMode(gin.ReleaseMode)
\tr := gin.New()
\tr.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
\tserve(r)
}
"""
    + GO_SERVE,
    "echo": """package main

import (
\t"net/http"
\t"os"
\t"time"

\t"github.com/labstack/echo/v5"
)

func main() {
\te := echo.New()
\te.GET("/healthz", func(c *echo.Context) error {
\t\treturn c.JSON(http.StatusOK, map[string]string{"status": "ok"})
\t})
\tserve(e)
}
"""
    + GO_SERVE,
}

PYTHON_BARE = """import os

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


# The service's own server settings: h11, one worker, the default event loop.
uvicorn.run(
    app, host="127.0.0.1", port=int(os.environ["PORT"]), http="h11",
    log_level="warning", access_log=False,
)
"""

# The services' server settings (src/http/, default REQUEST_TIMEOUT): the head-read,
# request, socket and keep-alive timeouts, and the period Node enforces them on.
NODE_SERVER = """const server = {
  headersTimeout: 5000,
  requestTimeout: 10_000,
  keepAliveTimeout: 60_000,
  connectionsCheckingInterval: 1000,
};
"""

NODE_LISTEN = """const listening = createServer(server, handler);
listening.setTimeout(server.requestTimeout);
listening.listen(Number(process.env.PORT), "127.0.0.1");
"""

NODE_BARE = {
    "fastify": """import Fastify from "fastify";

"""
    + NODE_SERVER
    + """
const app = Fastify({
  requestTimeout: server.requestTimeout,
  connectionTimeout: server.requestTimeout,
  keepAliveTimeout: server.keepAliveTimeout,
  http: {
    headersTimeout: server.headersTimeout,
    connectionsCheckingInterval: server.connectionsCheckingInterval,
  },
});
app.get("/healthz", async () => ({ status: "ok" }));
await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT) });
""",
    "express": """import { createServer } from "node:http";
import express from "express";

"""
    + NODE_SERVER
    + """
const handler = express();
handler.get("/healthz", (_req, res) => {
  res.json({ status: "ok" });
});
"""
    + NODE_LISTEN,
    # Plain JavaScript cannot use decorator syntax: Nest's decorators are applied as
    # the functions they are.
    "nestjs": """import { createServer } from "node:http";
import "reflect-metadata";
import { Controller, Get, Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";

"""
    + NODE_SERVER
    + """
class Health {
  healthz() {
    return { status: "ok" };
  }
}
const method = Object.getOwnPropertyDescriptor(Health.prototype, "healthz");
Get("healthz")(Health.prototype, "healthz", method);
Controller()(Health);
class AppModule {}
Module({ controllers: [Health] })(AppModule);

const app = await NestFactory.create(AppModule, { logger: false });
await app.init();
const handler = app.getHttpAdapter().getInstance();
"""
    + NODE_LISTEN,
}

RUST_BARE = {
    "axum": """use std::time::Duration;

use axum::{Json, Router, routing::get};
use hyper::server::conn::http1;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};

#[tokio::main]
async fn main() {
    let app = Router::new().route(
        "/healthz",
        get(|| async { Json(serde_json::json!({"status": "ok"})) }),
    );
    let port = std::env::var("PORT").expect("PORT");
    let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
        .await
        .expect("bind");
    // The service's connections: HTTP/1 with a deadline on reading each request's head.
    let mut connection = http1::Builder::new();
    connection
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    loop {
        let (stream, _) = listener.accept().await.expect("accept");
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(connection.serve_connection(TokioIo::new(stream), service));
    }
}
""",
    "actix": """use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::var("PORT").expect("PORT").parse().expect("a port");
    HttpServer::new(|| {
        App::new().route(
            "/healthz",
            web::get().to(|| async {
                HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
            }),
        )
    })
    // The service's head-read and keep-alive timeouts.
    .client_request_timeout(Duration::from_secs(5))
    .keep_alive(Duration::from_mins(1))
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
""",
}


@dataclass(frozen=True)
class Build:
    """How one stack's project and its bare app are built and started."""

    steps: tuple[tuple[str, ...], ...]
    service: tuple[str, ...]
    bare: tuple[str, ...]
    bare_file: str


def build_plan(stack: str, framework: str, project: Path) -> tuple[Build, str]:
    if stack == "go":
        flags = ("go", "build", "-trimpath", "-ldflags", "-s -w", "-o")
        return Build(
            steps=((*flags, "bin/service", f"./cmd/{SLUG}"), (*flags, "bin/bare", "./cmd/bare")),
            service=("bin/service",),
            bare=("bin/bare",),
            bare_file="cmd/bare/main.go",
        ), GO_BARE[framework]
    if stack == "python-fastapi":
        return Build(
            # As the Dockerfile installs it: byte-compiled, the project not editable.
            steps=(("uv", "sync", "--locked", "--no-dev", "--no-editable", "--compile-bytecode"),),
            service=(f".venv/bin/{SLUG}",),
            bare=(".venv/bin/python", "bare.py"),
            bare_file="bare.py",
        ), PYTHON_BARE
    if stack == "node-ts":
        return Build(
            steps=(("npm", "ci", "--no-audit", "--no-fund"), ("npm", "run", "build")),
            service=("node", "dist/main.js"),
            bare=("node", "bare.mjs"),
            bare_file="bare.mjs",
        ), NODE_BARE[framework]
    if stack == "rust":
        return Build(
            steps=(("cargo", "build", "--release", "--locked", "--quiet"),),
            service=(str(_cargo_target() / "release" / SLUG),),
            bare=(str(_cargo_target() / "release" / "bare"),),
            bare_file="src/bin/bare.rs",
        ), RUST_BARE[framework]
    raise SystemExit(f"no build plan for stack {stack}")


def _cargo_target() -> Path:
    # One build directory for every framework: the dependencies compile once.
    return Path(os.environ.get("CARGO_TARGET_DIR") or Path.home() / ".cache/scaffold/cargo-bench")


def _env() -> dict[str, str]:
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-mod=readonly", "GOTOOLCHAIN": "local"}
    env["CARGO_TARGET_DIR"] = str(_cargo_target())
    node = node_bin_dir() or _run(("bash", "scripts/install-node.sh"), REPO_ROOT, env).strip()
    # uv comes with the test extras, beside this interpreter.
    env["PATH"] = os.pathsep.join((node, str(Path(sys.executable).parent), env["PATH"]))
    for key in ("LOG_LEVEL", "REQUEST_TIMEOUT", "DATABASE_URL", "REDIS_URL", "PORT"):
        env.pop(key, None)
    return env


def _run(argv: tuple[str, ...], cwd: Path, env: dict[str, str]) -> str:
    try:
        done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise SystemExit(f"{argv[0]} is not installed") from None
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} failed in {cwd}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )
    return done.stdout


@dataclass
class Process:
    popen: subprocess.Popen[bytes]
    port: int
    ready_ms: float

    def rss_mib(self, field: str = "VmRSS") -> float:
        status = Path(f"/proc/{self.popen.pid}/status").read_text()
        match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
        return int(match.group(1)) / 1024 if match else float("nan")

    def cpu_seconds(self) -> float:
        """User and system time of the server so far, all its threads."""
        stat = Path(f"/proc/{self.popen.pid}/stat").read_text()
        utime, stime = stat.rsplit(")", 1)[1].split()[11:13]
        return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")


@contextmanager
def started(argv: tuple[str, ...], cwd: Path, env: dict[str, str], ready: str) -> Iterator[Process]:
    port = free_port()
    begun = time.perf_counter()
    popen = subprocess.Popen(
        argv,
        cwd=cwd,
        env={**env, "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = begun + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready}", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if popen.poll() is not None or time.perf_counter() > deadline:
                raise SystemExit(f"{' '.join(argv)} did not become ready on {ready}")
            time.sleep(0.005)
        yield Process(popen, port, (time.perf_counter() - begun) * 1000)
    finally:
        popen.send_signal(signal.SIGTERM)
        try:
            popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()


@dataclass(frozen=True)
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    # The server's CPU time per request: unlike rps, it does not depend on how the
    # machine's cores were shared between the server and wrk.
    cpu_us: float


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(server: Process, path: str, seconds: int, connections: int) -> Load:
    url = f"http://127.0.0.1:{server.port}{path}"
    cpu_before = server.cpu_seconds()
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = server.cpu_seconds() - cpu_before
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]

    def percentile(p: str) -> float:
        found = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)$", out, re.MULTILINE)
        value, unit = found.groups()  # type: ignore[union-attr]
        return float(value) * _UNITS[unit]

    if re.search(r"Non-2xx or 3xx responses", out):
        raise SystemExit(f"{url} answered errors under load:\n{out}")
    return Load(rps, percentile("50"), percentile("99"), cpu / requests * 1e6)


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "install", "-y", "-qq", "wrk"], check=True)


def bench(
    stack: str,
    framework: str,
    architecture: str,
    root: Path,
    postgres: PostgresServer,
    redis: RedisServer,
    args: argparse.Namespace,
) -> dict[str, object]:
    answers = {
        "project_name": "Orders API",
        "stack": stack,
        "framework": framework,
        "architecture": architecture,
        "database": "postgres",
        "cache": "redis",
    }
    project = new_project(root / f"{stack}-{framework}-{architecture}" / SLUG, answers).dest
    plan, bare_source = build_plan(stack, framework, project)
    (project / plan.bare_file).parent.mkdir(parents=True, exist_ok=True)
    (project / plan.bare_file).write_text(bare_source)
    env = _env()
    for step in plan.steps:
        _run(step, project, env)
    database = f"bench_{stack}_{framework}_{architecture}".replace("-", "_")
    env = {
        **env,
        "DATABASE_URL": postgres.create_database(database),
        "REDIS_URL": redis.db_url(redis.new_db_index()),
    }
    _run((*plan.service, "migrate"), project, env)
    if architecture == "serverless":
        measured = bench_serverless(
            stack, framework, project, env, args.warm_events, args.cold_starts
        )
        return {"service": f"{stack}/{framework}", **measured}
    with (
        started(plan.service, project, env, "/readyz") as service,
        started(plan.bare, project, env, "/healthz") as bare,
    ):
        idle = service.rss_mib()
        request = urllib.request.Request(
            f"http://127.0.0.1:{service.port}/v1/items",
            data=json.dumps({"name": "bench", "price_cents": 100}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as created:
            item = json.load(created)["id"]
        rounds: list[tuple[Load, Load]] = []
        for _ in range(args.rounds):
            ours = wrk(service, "/healthz", args.seconds, args.connections)
            theirs = wrk(bare, "/healthz", args.seconds, args.connections)
            rounds.append((ours, theirs))
        items = wrk(service, f"/v1/items/{item}", args.seconds, args.connections)
        peak = service.rss_mib("VmHWM")
        ready_ms = service.ready_ms
    ratios = [ours.rps / theirs.rps for ours, theirs in rounds]
    median = rounds[ratios.index(statistics.median_low(ratios))]
    cpu_ratios = [theirs.cpu_us / ours.cpu_us for ours, theirs in rounds]
    return {
        "service": f"{stack}/{framework}",
        "architecture": architecture,
        "healthz_rps": median[0].rps,
        "bare_rps": median[1].rps,
        "ratio": statistics.median_low(ratios),
        "cpu_us": median[0].cpu_us,
        "bare_cpu_us": median[1].cpu_us,
        "cpu_ratio": statistics.median_low(cpu_ratios),
        "p50_ms": median[0].p50_ms,
        "p99_ms": median[0].p99_ms,
        "bare_p99_ms": median[1].p99_ms,
        "items_rps": items.rps,
        "items_p99_ms": items.p99_ms,
        "ready_ms": ready_ms,
        "rss_idle_mib": idle,
        "rss_peak_mib": peak,
    }


# The handlers are called as Lambda's own runtimes call them; each prints when its first
# event was answered (wall clock) and the median milliseconds of the warm ones.
PYTHON_DRIVER = """
import json, statistics, sys, time

event, warm = json.loads(sys.argv[1]), int(sys.argv[2])
from {package}.lambda_handler import handler


class Context:
    aws_request_id = "bench"
    function_name = "bench"
    memory_limit_in_mb = 512

    @staticmethod
    def get_remaining_time_in_millis():
        return 30000


assert handler(event, Context())["statusCode"] == 200
first = time.time()
times = []
for _ in range(warm):
    start = time.perf_counter()
    assert handler(event, Context())["statusCode"] == 200
    times.append((time.perf_counter() - start) * 1000)
print(json.dumps({{"first": first, "warm_ms": statistics.median(times)}}))
"""

NODE_DRIVER = (
    LOAD_HANDLER
    + """
const [event, warm] = [JSON.parse(process.argv[2]), Number(process.argv[3])];
const handler = await loadHandler(process.argv[1]);
const context = {
  awsRequestId: "bench",
  functionName: "bench",
  getRemainingTimeInMillis: () => 30000,
};
if ((await handler(event, context)).statusCode !== 200) throw new Error("first event failed");
const first = Date.now() / 1000;
const times = [];
for (let i = 0; i < warm; i++) {
  const start = performance.now();
  if ((await handler(event, context)).statusCode !== 200) throw new Error("warm event failed");
  times.push(performance.now() - start);
}
times.sort((a, b) => a - b);
console.log(JSON.stringify({ first, warm_ms: times[Math.floor(times.length / 2)] }));
process.exit(0);
"""
)


class RuntimeApi(ThreadingHTTPServer):
    """Lambda's runtime API, as a function process sees it: events in, responses out."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RuntimeHandler)
        self.events: queue.Queue[bytes] = queue.Queue()
        self.answers: queue.Queue[tuple[float, float, bytes]] = queue.Queue()
        self.handed_out: dict[str, float] = {}
        self.count = 0

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


class _RuntimeHandler(BaseHTTPRequestHandler):
    server: RuntimeApi

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0], 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()
        self.rfile.readline()
        return b"".join(chunks)

    def do_GET(self) -> None:
        event = self.server.events.get()
        self.server.count += 1
        request_id = f"bench-{self.server.count}"
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
        self.send_header(
            "Lambda-Runtime-Invoked-Function-Arn",
            "arn:aws:lambda:eu-west-1:123456789012:function:bench",
        )
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(event)))
        self.end_headers()
        self.wfile.write(event)
        self.server.handed_out[request_id] = time.perf_counter()

    def do_POST(self) -> None:
        body = self._body()
        answered = time.perf_counter()
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        parts = self.path.strip("/").split("/")
        if parts[-1] != "response":
            self.server.answers.put((answered, 0.0, b"error: " + body))
            return
        self.server.answers.put((answered, self.server.handed_out.get(parts[-2], 0.0), body))


def healthz_event(project: Path) -> dict[str, Any]:
    sample = next(project.glob("*/apigw-http-event.json"))
    event: dict[str, Any] = json.loads(sample.read_text())
    event.update(rawPath="/healthz", body=None, isBase64Encoded=False)
    event["headers"].pop("content-length", None)
    event["requestContext"]["http"].update(method="GET", path="/healthz")
    return event


def bench_serverless(
    stack: str, framework: str, project: Path, env: dict[str, str], warm: int, starts: int
) -> dict[str, object]:
    """The median cold init and warm event time of ``starts`` fresh processes: one cold start
    varies by tens of percent on a shared machine."""
    event = healthz_event(project)
    runs: list[dict[str, float]] = []
    if stack in ("go", "rust"):
        runs = [_through_runtime_api(stack, project, env, event, warm) for _ in range(starts)]
    else:
        cwd = project
        if stack == "python-fastapi":
            package = next(project.glob("src/*/lambda_handler.py")).parent.name
            argv = [".venv/bin/python", "-c", PYTHON_DRIVER.format(package=package)]
        else:
            # What Lambda runs: the function package alone, from its root.
            cwd = project.parent / "function"
            cwd.mkdir(exist_ok=True)
            _run(("make", "build-ApiFunction", f"ARTIFACTS_DIR={cwd}"), project, env)
            bundle = next(cwd.glob("dist/lambda.*")).relative_to(cwd)
            argv = ["node", "--input-type=module", "-e", NODE_DRIVER, str(bundle)]
        for _ in range(starts):
            begun = time.time()
            out = _run((*argv, json.dumps(event), str(warm)), cwd, env)
            # The service logs to stdout too: the driver's line is the one with its fields.
            measured = next(json.loads(line) for line in out.splitlines() if '"warm_ms"' in line)
            runs.append(
                {"cold_ms": (measured["first"] - begun) * 1000, "warm_ms": measured["warm_ms"]}
            )
    return {
        "cold_ms": statistics.median(run["cold_ms"] for run in runs),
        "warm_ms": statistics.median(run["warm_ms"] for run in runs),
    }


def _through_runtime_api(
    stack: str, project: Path, env: dict[str, str], event: dict[str, Any], warm: int
) -> dict[str, float]:
    binary = "bin/service" if stack == "go" else str(_cargo_target() / "release" / SLUG)
    api = RuntimeApi()
    threading.Thread(target=api.serve_forever, daemon=True).start()
    payload = json.dumps(event).encode()
    for _ in range(warm + 1):
        api.events.put(payload)
    lambda_env = {
        **env,
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "AWS_LAMBDA_FUNCTION_NAME": "bench",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "eu-west-1",
        "_HANDLER": "bootstrap",
    }
    begun = time.perf_counter()
    popen = subprocess.Popen(
        [binary], cwd=project, env=lambda_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        times = []
        for index in range(warm + 1):
            try:
                answered, handed_out, body = api.answers.get(timeout=60)
            except queue.Empty:
                raise SystemExit(f"{binary} answered no event: {popen.stderr}") from None
            if body.startswith(b"error: ") or json.loads(body).get("statusCode") != 200:
                raise SystemExit(f"{binary} failed an event: {body[:500]!r}")
            if index == 0:
                cold = (answered - begun) * 1000
            else:
                times.append((answered - handed_out) * 1000)
    finally:
        popen.kill()
        popen.wait()
        api.shutdown()
        api.server_close()
    return {"cold_ms": cold, "warm_ms": statistics.median(times)}


COLUMNS = (
    ("service", "service", "{}"),
    ("architecture", "architecture", "{}"),
    ("healthz_rps", "/healthz rps", "{:,.0f}"),
    ("bare_rps", "bare rps", "{:,.0f}"),
    ("ratio", "ratio", "{:.2f}x"),
    ("cpu_us", "CPU us/request", "{:.1f}"),
    ("bare_cpu_us", "bare CPU us/request", "{:.1f}"),
    ("cpu_ratio", "CPU ratio", "{:.2f}x"),
    ("p50_ms", "p50 ms", "{:.2f}"),
    ("p99_ms", "p99 ms", "{:.2f}"),
    ("bare_p99_ms", "bare p99 ms", "{:.2f}"),
    ("items_rps", "cached item rps", "{:,.0f}"),
    ("items_p99_ms", "item p99 ms", "{:.2f}"),
    ("ready_ms", "start to ready ms", "{:.0f}"),
    ("rss_idle_mib", "RSS idle MiB", "{:.1f}"),
    ("rss_peak_mib", "RSS peak MiB", "{:.1f}"),
)


SERVERLESS_COLUMNS = (
    ("service", "serverless", "{}"),
    ("cold_ms", "cold init to first event ms", "{:.0f}"),
    ("warm_ms", "warm event ms", "{:.2f}"),
)


def table(rows: list[dict[str, object]], columns: tuple[tuple[str, str, str], ...]) -> str:
    header = "| " + " | ".join(title for _, title, _ in columns) + " |"
    rule = "|" + "|".join(" --- " for _ in columns) + "|"
    lines = [
        "| " + " | ".join(fmt.format(row[key]) for key, _, fmt in columns) + " |" for row in rows
    ]
    return "\n".join([header, rule, *lines])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated stack-framework names, e.g. go-gin")
    parser.add_argument("--arch", action="append", choices=catalog.ARCHITECTURES)
    parser.add_argument("--warm-events", type=int, default=200)
    parser.add_argument("--cold-starts", type=int, default=7)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    architectures = args.arch or list(catalog.ARCHITECTURES)
    wanted = set(args.only.split(",")) if args.only else None
    targets = [
        (stack.name, framework)
        for stack in catalog.STACKS.values()
        for framework in stack.frameworks
        if wanted is None or f"{stack.name}-{framework}" in wanted
    ]
    if not targets:
        raise SystemExit(f"--only matches nothing; names look like {catalog.STACKS['go'].name}-gin")
    ensure_wrk()
    rows = []
    with (
        tempfile.TemporaryDirectory(prefix="scaffold-bench-") as scratch,
        PostgresServer() as postgres,
        RedisServer() as redis,
    ):
        for stack, framework in targets:
            offered = catalog.STACKS[stack].framework(framework).architectures
            for architecture in (a for a in architectures if a in offered):
                print(f"{stack}/{framework} {architecture} ...", file=sys.stderr, flush=True)
                rows.append(
                    bench(stack, framework, architecture, Path(scratch), postgres, redis, args)
                )
    print(f"{os.cpu_count()} cores; {time.strftime('%Y-%m-%d')}")
    if services := [row for row in rows if "ratio" in row]:
        print(
            f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds alternating "
            "service and bare, median ratio"
        )
        print(table(services, COLUMNS))
    if lambdas := [row for row in rows if "cold_ms" in row]:
        print()
        print(table(lambdas, SERVERLESS_COLUMNS))


if __name__ == "__main__":
    main()
