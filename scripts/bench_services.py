"""Throughput of the rendered services next to a bare hello-world of the same framework.

For each stack and framework, renders the monolith and the microservice with Postgres and
Redis, builds them as their Dockerfile does, applies the migrations and starts them with
their production command against throwaway PostgreSQL and Redis servers. Beside each, a
bare hello-world of the same framework is built from the same project (the same pinned
dependencies, build flags and server settings). wrk (installed from Debian's packages
when missing) loads `GET /healthz` on the service and on the bare app in alternation,
then a cached `GET /v1/items/{id}` on the service. Prints requests per second, p50 and
p99 latency, the service's ratio to bare (the median of the rounds), the time from start
to ready, and resident memory idle and at its peak. It asserts nothing.

    python scripts/bench_services.py [--only go-gin,rust-axum] [--arch monolith]
                                     [--seconds 5] [--rounds 3] [--connections 50]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests")]

from nodes import node_bin_dir  # noqa: E402
from services import PostgresServer, RedisServer, free_port  # noqa: E402

from scaffold import catalog  # noqa: E402
from scaffold.render import new_project  # noqa: E402

SLUG = "orders-api"

GO_BARE = {
    "stdlib": """package main

import (
\t"encoding/json"
\t"net/http"
\t"os"
)

func main() {
\tmux := http.NewServeMux()
\tmux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
\t\tw.Header().Set("Content-Type", "application/json")
\t\t_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
\t})
\t_ = http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), mux)
}
""",
    "chi": """package main

import (
\t"encoding/json"
\t"net/http"
\t"os"

\t"github.com/go-chi/chi/v5"
)

func main() {
\tr := chi.NewRouter()
\tr.Get("/healthz", func(w http.ResponseWriter, _ *http.Request) {
\t\tw.Header().Set("Content-Type", "application/json")
\t\t_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok"})
\t})
\t_ = http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), r)
}
""",
    "gin": """package main

import (
\t"net/http"
\t"os"

\t"github.com/gin-gonic/gin"
)

func main() {
\tgin.SetMode(gin.ReleaseMode)
\tr := gin.New()
\tr.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
\t_ = http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), r)
}
""",
    "echo": """package main

import (
\t"net/http"
\t"os"

\t"github.com/labstack/echo/v5"
)

func main() {
\te := echo.New()
\te.GET("/healthz", func(c *echo.Context) error {
\t\treturn c.JSON(http.StatusOK, map[string]string{"status": "ok"})
\t})
\t_ = http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), e)
}
""",
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

NODE_BARE = {
    "fastify": """import Fastify from "fastify";

const app = Fastify();
app.get("/healthz", async () => ({ status: "ok" }));
await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT) });
""",
    "express": """import express from "express";

const app = express();
app.get("/healthz", (_req, res) => {
  res.json({ status: "ok" });
});
app.listen(Number(process.env.PORT), "127.0.0.1");
""",
    # Plain JavaScript cannot use decorator syntax: Nest's decorators are applied as
    # the functions they are.
    "nestjs": """import "reflect-metadata";
import { Controller, Get, Module } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";

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
await app.listen(Number(process.env.PORT), "127.0.0.1");
""",
}

RUST_BARE = {
    "axum": """use axum::{Json, Router, routing::get};

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
    axum::serve(listener, app).await.expect("serve");
}
""",
    "actix": """use actix_web::{App, HttpResponse, HttpServer, web};

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
            steps=(("uv", "sync", "--locked", "--no-dev"),),
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
    if node := node_bin_dir():
        env["PATH"] = f"{node}{os.pathsep}{env['PATH']}"
    for key in ("LOG_LEVEL", "REQUEST_TIMEOUT", "DATABASE_URL", "REDIS_URL", "PORT"):
        env.pop(key, None)
    return env


def _run(argv: tuple[str, ...], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
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


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int, connections: int) -> Load:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def percentile(p: str) -> float:
        value, unit = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s)$", out, re.MULTILINE).groups()  # type: ignore[union-attr]
        return float(value) * _UNITS[unit]

    if re.search(r"Non-2xx or 3xx responses", out):
        raise SystemExit(f"{url} answered errors under load:\n{out}")
    return Load(rps, percentile("50"), percentile("99"))


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
            ours = wrk(f"http://127.0.0.1:{service.port}/healthz", args.seconds, args.connections)
            theirs = wrk(f"http://127.0.0.1:{bare.port}/healthz", args.seconds, args.connections)
            rounds.append((ours, theirs))
        items = wrk(
            f"http://127.0.0.1:{service.port}/v1/items/{item}", args.seconds, args.connections
        )
        peak = service.rss_mib("VmHWM")
        ready_ms = service.ready_ms
    ratios = [ours.rps / theirs.rps for ours, theirs in rounds]
    median = rounds[ratios.index(statistics.median_low(ratios))]
    return {
        "service": f"{stack}/{framework}",
        "architecture": architecture,
        "healthz_rps": median[0].rps,
        "bare_rps": median[1].rps,
        "ratio": statistics.median_low(ratios),
        "p50_ms": median[0].p50_ms,
        "p99_ms": median[0].p99_ms,
        "bare_p99_ms": median[1].p99_ms,
        "items_rps": items.rps,
        "items_p99_ms": items.p99_ms,
        "ready_ms": ready_ms,
        "rss_idle_mib": idle,
        "rss_peak_mib": peak,
    }


COLUMNS = (
    ("service", "service", "{}"),
    ("architecture", "architecture", "{}"),
    ("healthz_rps", "/healthz rps", "{:,.0f}"),
    ("bare_rps", "bare rps", "{:,.0f}"),
    ("ratio", "ratio", "{:.2f}x"),
    ("p50_ms", "p50 ms", "{:.2f}"),
    ("p99_ms", "p99 ms", "{:.2f}"),
    ("bare_p99_ms", "bare p99 ms", "{:.2f}"),
    ("items_rps", "cached item rps", "{:,.0f}"),
    ("items_p99_ms", "item p99 ms", "{:.2f}"),
    ("ready_ms", "start to ready ms", "{:.0f}"),
    ("rss_idle_mib", "RSS idle MiB", "{:.1f}"),
    ("rss_peak_mib", "RSS peak MiB", "{:.1f}"),
)


def table(rows: list[dict[str, object]]) -> str:
    header = "| " + " | ".join(title for _, title, _ in COLUMNS) + " |"
    rule = "|" + "|".join(" --- " for _ in COLUMNS) + "|"
    lines = [
        "| " + " | ".join(fmt.format(row[key]) for key, _, fmt in COLUMNS) + " |" for row in rows
    ]
    return "\n".join([header, rule, *lines])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="comma-separated stack-framework names, e.g. go-gin")
    parser.add_argument("--arch", action="append", choices=("monolith", "microservice"))
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    architectures = args.arch or ["monolith", "microservice"]
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
            for architecture in architectures:
                print(f"{stack}/{framework} {architecture} ...", file=sys.stderr, flush=True)
                rows.append(
                    bench(stack, framework, architecture, Path(scratch), postgres, redis, args)
                )
    cores = os.cpu_count()
    print(
        f"wrk -t2 -c{args.connections} -d{args.seconds}s, {args.rounds} rounds alternating "
        f"service and bare, median ratio; {cores} cores; "
        f"{time.strftime('%Y-%m-%d')}"
    )
    print(table(rows))


if __name__ == "__main__":
    main()
