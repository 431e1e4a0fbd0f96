"""The ASGI application of `scaffold serve`: the page at `/` and the JSON API at `/api/v1`.

Renders run in worker processes: copier changes the working directory while it
clones a template, which threads of one process would share. At most ``renders``
run at once; a request beyond that gets 503 with Retry-After rather than a queue
that grows without bound. Recent renders are kept, so the page's preview, file
viewer, command and download of one choice cost one render.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import multiprocessing
import shlex
import signal
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from scaffold.config import OrgConfig
from scaffold.errors import ConfigError, InvalidAnswerError, ScaffoldError, UsageError
from scaffold.render import check_answers
from scaffold.template import Template
from scaffold.web import project
from scaffold.web.project import Project

HERE = Path(__file__).resolve().parent
# Every answer is at most 1000 characters and there are fewer than twenty questions.
MAX_QUERY = 16 * 1024
MAX_BODY = 16 * 1024
RETRY_AFTER = "2"  # seconds: about one render
KEPT = 16  # recent renders kept in memory (a project is a few hundred kB)
# Query parameters that are not answers.
NOT_ANSWERS = {"preview_file": ("path",)}


class Busy(Exception):
    """Every render slot is taken."""


def _worker_init() -> None:
    # Ctrl-C on `scaffold serve` reaches the whole process group; the server shuts the
    # pool down in order, so workers need not print their own KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Renderer:
    """Runs renders in worker processes, at most ``limit`` at once, keeping recent ones."""

    def __init__(
        self, config: OrgConfig, version: str | None, limit: int, scratch: Path | None
    ) -> None:
        self.config = config
        self.version = version
        self.limit = limit
        self.scratch = scratch
        self.active = 0
        self._pool: ProcessPoolExecutor | None = None
        self._recent: OrderedDict[str, Project] = OrderedDict()
        self._running: dict[str, asyncio.Future[Project]] = {}

    async def project(self, answers: Mapping[str, Any]) -> Project:
        key = json.dumps(answers, sort_keys=True)
        if key in self._recent:
            self._recent.move_to_end(key)
            return self._recent[key]
        running = self._running.get(key)
        if running is None:
            if self.active >= self.limit:
                raise Busy
            running = self._start(dict(answers))
            self._running[key] = running
            running.add_done_callback(lambda _: self._running.pop(key, None))
        result = await asyncio.shield(running)
        self._recent[key] = result
        while len(self._recent) > KEPT:
            self._recent.popitem(last=False)
        return result

    def _start(self, answers: dict[str, Any]) -> asyncio.Future[Project]:
        self.active += 1
        future = self._submit(answers)
        future.add_done_callback(self._finished)
        return future

    def _submit(self, answers: dict[str, Any]) -> asyncio.Future[Project]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.limit,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
            )
        return asyncio.get_running_loop().run_in_executor(
            self._pool, partial(project.render, answers, self.config, self.version, self.scratch)
        )

    def _finished(self, future: asyncio.Future[Project]) -> None:
        self.active -= 1
        if not future.cancelled() and isinstance(future.exception(), BrokenProcessPool):
            # A worker died (killed, out of memory): start a fresh pool next time.
            self.close()

    def close(self, *, wait: bool = False) -> None:
        """Stop the workers; ``wait`` joins them, so none outlives a server that stops."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=wait, cancel_futures=True)


def error(status: int, code: str, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message, "field": field}}, status_code=status
    )


def _scaffold_error(exc: ScaffoldError) -> JSONResponse:
    if isinstance(exc, InvalidAnswerError | UsageError):
        return error(400, "invalid_answer", str(exc), exc.field)
    if isinstance(exc, ConfigError):
        return error(400, "refused_by_config", str(exc), exc.field)
    # The template or the server's own setup: nothing the request can change.
    return error(500, "render_failed", str(exc), exc.field)


class LimitQuery:
    """Answers 413 to an oversized query string before any route reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and len(scope.get("query_string", b"")) > MAX_QUERY:
            response = error(413, "too_large", f"the query is longer than {MAX_QUERY} bytes")
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def create_app(
    config: OrgConfig | None = None, *, renders: int = 2, scratch: Path | None = None
) -> Starlette:
    """The page and API for ``config``'s template (scaffold's own by default).

    Reads the template's questions and resolves its version now, so a bad config or
    template fails here, before serving. ``scratch`` is where renders happen (the
    system's temporary directory by default).
    """
    config = config or OrgConfig()
    source = Template.chosen(None, config)
    version = source.version_to_render(None, config)
    questions = source.questions(version)
    meta = project.metadata(questions, config, version)
    meta_body = json.dumps(meta, indent=2).encode()
    etag = '"' + hashlib.sha256(meta_body).hexdigest()[:32] + '"'
    renderer = Renderer(config, version, renders, scratch)
    pages = Jinja2Templates(directory=str(HERE / "templates"))

    async def answers_of(request: Request, endpoint: str = "") -> dict[str, Any]:
        skip = NOT_ANSWERS.get(endpoint, ())
        if request.method == "POST":
            body = await _read_body(request)
            try:
                loaded = json.loads(body or b"{}")
            except (ValueError, UnicodeDecodeError):
                raise InvalidAnswerError("the body is not valid JSON") from None
            given = project.answers_from_json(loaded, questions)
        else:
            pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in skip]
            given = project.answers_from_pairs(pairs, questions)
        return check_answers(given, config)

    async def render(request: Request, endpoint: str = "") -> tuple[dict[str, Any], Project]:
        given = await answers_of(request, endpoint)
        return given, await renderer.project(given)

    async def metadata(request: Request) -> Response:
        headers = {"ETag": etag, "Cache-Control": "no-cache"}
        wanted = request.headers.get("if-none-match", "")
        if etag in [tag.strip() for tag in wanted.split(",")] or wanted.strip() == "*":
            return Response(status_code=304, headers=headers)
        return Response(meta_body, media_type="application/json", headers=headers)

    async def zip_file(request: Request) -> Response:
        _, rendered = await render(request)
        return Response(
            project.to_zip(rendered),
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{rendered.slug}.zip"'},
        )

    async def preview(request: Request) -> Response:
        _, rendered = await render(request)
        return JSONResponse(
            {
                "project_slug": rendered.slug,
                "answers": rendered.answers,
                "files": [
                    {"path": f.path, "size": len(f.data), "executable": bool(f.mode & 0o111)}
                    for f in rendered.files
                ],
            }
        )

    async def preview_file(request: Request) -> Response:
        path = project.safe_path(request.query_params.get("path", ""))
        _, rendered = await render(request, "preview_file")
        found = rendered.file(path)
        if found is None:
            return error(404, "not_found", f"the project has no file {path!r}", "path")
        try:
            return PlainTextResponse(found.data.decode())
        except UnicodeDecodeError:
            return Response(found.data, media_type="application/octet-stream")

    async def command(request: Request) -> Response:
        given, rendered = await render(request)
        argv = project.command(given, rendered)
        return JSONResponse({"command": shlex.join(argv), "argv": argv})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def page(request: Request) -> Response:
        return pages.TemplateResponse(
            request, "index.html", {"metadata": meta, "chosen": dict(request.query_params)}
        )

    async def on_scaffold_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ScaffoldError)
        return _scaffold_error(exc)

    async def on_busy(request: Request, exc: Exception) -> Response:
        response = error(503, "busy", f"{renderer.limit} renders are running; try again shortly")
        response.headers["Retry-After"] = RETRY_AFTER
        return response

    async def on_too_large(request: Request, exc: Exception) -> Response:
        return error(413, "too_large", f"the body is longer than {MAX_BODY} bytes")

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        codes = {404: "not_found", 405: "method_not_allowed"}
        return error(exc.status_code, codes.get(exc.status_code, "http_error"), exc.detail)

    async def on_broken_pool(request: Request, exc: Exception) -> Response:
        return error(500, "render_failed", "the render worker stopped; try again")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        # uvicorn re-raises SIGTERM once shut down, which ends the process at once.
        renderer.close(wait=True)

    app = Starlette(
        middleware=[Middleware(LimitQuery)],
        routes=[
            Route("/", page),
            Route("/healthz", healthz),
            Route("/api/v1/metadata", metadata),
            Route("/api/v1/project.zip", zip_file, methods=["GET", "POST"]),
            Route("/api/v1/preview", preview),
            Route("/api/v1/preview/file", preview_file),
            Route("/api/v1/command", command),
            Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
        ],
        exception_handlers={
            ScaffoldError: on_scaffold_error,
            Busy: on_busy,
            BodyTooLarge: on_too_large,
            HTTPException: on_http,
            BrokenProcessPool: on_broken_pool,
        },
        lifespan=lifespan,
    )
    app.state.renderer = renderer
    return app


class BodyTooLarge(Exception):
    pass


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise BodyTooLarge
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise BodyTooLarge
    return body


def serve(host: str, port: int, config: OrgConfig) -> None:
    """Run the app on uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(create_app(config), host=host, port=port, log_level="info")
