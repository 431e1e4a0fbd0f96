"""`scaffold serve`'s API through an in-process ASGI client: every endpoint, every refusal.

A render takes a second or more, so the tests share one app whose renders are kept:
one combination serves the preview, file, command and zip tests, and the refusals
stop before any render or inside copier's questionnaire.
"""

from __future__ import annotations

import asyncio
import io
import json
import stat
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from rendering import REPO_ROOT
from repos import commit, make_template
from typer.testing import CliRunner

from scaffold import config, web
from scaffold.cli import app as cli
from scaffold.errors import InvalidAnswerError, MissingExtraError
from scaffold.web import project
from scaffold.web.app import MAX_BODY, MAX_QUERY, create_app

runner = CliRunner()
CHOICE = {
    "stack": "go",
    "framework": "gin",
    "architecture": "microservice",
    "database": "postgres",
    "cache": "none",
    "ci": "gitlab",
    "project_name": "Orders API",
    "description": "yes",  # YAML would read a boolean; the command must keep it text
}
QUERY = "&".join(f"{k}={v.replace(' ', '%20')}" for k, v in CHOICE.items())


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("scratch")


@pytest.fixture(scope="module")
def server(scratch: Path) -> Iterator[Any]:
    app = create_app(scratch=scratch)
    yield app
    app.state.renderer.close()


def call(app: Any, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(send())


def refused(response: httpx.Response, status: int, field: str | None) -> str:
    assert response.status_code == status, response.text
    body = response.json()["error"]
    assert body["field"] == field, body
    assert "\n" not in body["message"]
    return str(body["message"])


# --- metadata and health ------------------------------------------------------------


def test_metadata_lists_every_question_the_matrix_and_the_version(server: Any) -> None:
    response = call(server, "GET", "/api/v1/metadata")
    assert response.status_code == 200
    meta = response.json()
    questions = {q["name"]: q for q in meta["questions"]}
    assert list(questions)[:6] == ["stack", "framework", "architecture", "database", "cache", "ci"]
    assert questions["stack"]["default"] == "go"
    assert {"value": "python-fastapi", "label": "Python (FastAPI)"} in questions["stack"]["choices"]
    assert questions["http_port"]["type"] == "int" and questions["http_port"]["default"] == 8080
    assert questions["project_slug"]["computed"] and questions["project_slug"]["help"]
    assert questions["project_name"]["default"] == "My Service"
    assert {"stack": "rust", "framework": "actix", "architecture": "monolith"} in meta[
        "combinations"
    ]
    assert {"stack": "rust", "framework": "actix", "architecture": "serverless"} not in meta[
        "combinations"
    ]
    assert meta["template"]["version"]


def test_metadata_etag_answers_304(server: Any) -> None:
    etag = call(server, "GET", "/api/v1/metadata").headers["etag"]
    again = call(server, "GET", "/api/v1/metadata", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag and not again.content
    other = call(server, "GET", "/api/v1/metadata", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200


def test_healthz(server: Any) -> None:
    assert call(server, "GET", "/healthz").json() == {"status": "ok"}


# --- one rendered choice: preview, file, command, zip ---------------------------------


def test_preview_lists_the_rendered_tree(server: Any) -> None:
    preview = call(server, "GET", f"/api/v1/preview?{QUERY}").json()
    files = {f["path"]: f for f in preview["files"]}
    assert preview["project_slug"] == "orders-api"
    assert {".copier-answers.yml", "go.mod", ".gitlab-ci.yml"} <= set(files)
    assert files["go.mod"]["size"] > 0
    assert preview["answers"]["framework"] == "gin"


def test_preview_file_is_the_rendered_text(server: Any) -> None:
    response = call(server, "GET", f"/api/v1/preview/file?path=go.mod&{QUERY}")
    assert response.status_code == 200
    assert "github.com/gin-gonic/gin" in response.text
    missing = call(server, "GET", f"/api/v1/preview/file?path=nope.txt&{QUERY}")
    refused(missing, 404, "path")


@pytest.mark.parametrize(
    "path", ["../../../etc/passwd", "/etc/passwd", "a/../../b", "..\\x", "./go.mod", ""]
)
def test_preview_file_refuses_paths_outside_the_project(server: Any, path: str) -> None:
    response = call(server, "GET", "/api/v1/preview/file", params={"path": path, **CHOICE})
    refused(response, 400, "path")


def test_zip_is_what_scaffold_new_renders_from_the_command(server: Any, tmp_path: Path) -> None:
    response = call(server, "GET", f"/api/v1/project.zip?{QUERY}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"] == 'attachment; filename="orders-api.zip"'
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    entries = {i.filename: i for i in archive.infolist()}
    assert all(name.startswith("orders-api/") and not i.is_dir() for name, i in entries.items())
    answers = yaml.safe_load(archive.read("orders-api/.copier-answers.yml"))
    assert answers["_commit"] and answers["description"] == "yes"

    command = call(server, "GET", f"/api/v1/command?{QUERY}").json()
    assert command["command"].startswith("scaffold new orders-api --stack=go --framework=gin")
    assert "-d 'description=\"yes\"'" in command["command"]
    dest = tmp_path / "orders-api"
    created = runner.invoke(cli, ["new", str(dest), *command["argv"][3:]])
    assert created.exit_code == 0, created.output

    on_disk = {
        f"orders-api/{p.relative_to(dest).as_posix()}": p for p in dest.rglob("*") if p.is_file()
    }
    assert sorted(on_disk) == sorted(entries)
    for name, path in on_disk.items():
        assert archive.read(name) == path.read_bytes(), name
        assert entries[name].external_attr >> 16 == path.stat().st_mode, name


def test_zip_keeps_exec_bits_and_holds_only_relative_files(tmp_path: Path) -> None:
    files = (project.File("bin/run.sh", 0o755, b"#!/bin/sh\n"), project.File("a.txt", 0o644, b"a"))
    archive = zipfile.ZipFile(io.BytesIO(project.to_zip(project.Project({}, files))))
    archive.extractall(tmp_path)
    assert archive.namelist() == ["project/bin/run.sh", "project/a.txt"]
    assert stat.S_IMODE(archive.getinfo("project/bin/run.sh").external_attr >> 16) == 0o755
    assert stat.S_ISREG(archive.getinfo("project/a.txt").external_attr >> 16)


def test_post_takes_a_json_body(server: Any) -> None:
    body = {**CHOICE, "http_port": 8080}
    response = call(server, "POST", "/api/v1/project.zip", json=body)
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="orders-api.zip"'
    refused(call(server, "POST", "/api/v1/project.zip", content=b"[1, 2"), 400, None)
    refused(call(server, "POST", "/api/v1/project.zip", json=["stack"]), 400, None)
    refused(call(server, "POST", "/api/v1/project.zip", json={"stack": ["go"]}), 400, "stack")


# --- refusals: 400 naming the field, before any file is written ----------------------


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("stack=cobol", "stack", "unknown stack 'cobol'"),
        ("stack=go&framework=axum", "framework", "unknown framework 'axum' for stack go"),
        ("framework=actix&architecture=serverless", "architecture", "for framework actix"),
        ("database=mysql", "database", "unknown database"),
        ("colour=blue", "colour", "unknown answer 'colour'"),
        ("stack=go&stack=rust", "stack", "given twice"),
        ("http_port=eighty", "http_port", "whole number"),
        ("project_name=../../etc", "project_name", "must not contain /"),
        ("project_name=" + "a" * 1001, "project_name", "longer than 1000"),
        ("owner=a%0Ab", "owner", "control characters"),
    ],
)
def test_bad_answers_are_refused_before_rendering(
    server: Any, scratch: Path, query: str, field: str, message: str
) -> None:
    for endpoint in ("preview", "project.zip", "command", "preview/file?path=go.mod&"):
        separator = "" if endpoint.endswith("&") else "?"
        response = call(server, "GET", f"/api/v1/{endpoint}{separator}{query}")
        assert message in refused(response, 400, field)
    assert server.state.renderer.active == 0


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("project_slug=../../tmp/x", "project_slug", "must match"),
        ("http_port=80", "http_port", "between 1024 and 65535"),
    ],
)
def test_copier_validators_refuse_and_leave_no_scratch(
    server: Any, scratch: Path, query: str, field: str, message: str
) -> None:
    assert message in refused(call(server, "GET", f"/api/v1/preview?{query}"), 400, field)
    assert list(scratch.iterdir()) == []


def test_oversized_query_and_body_get_413(server: Any) -> None:
    long_query = "description=" + "a" * (MAX_QUERY + 1)
    refused(call(server, "GET", f"/api/v1/preview?{long_query}"), 413, None)
    body = json.dumps({"description": "a" * (MAX_BODY + 1)}).encode()
    refused(call(server, "POST", "/api/v1/project.zip", content=body), 413, None)


def test_unknown_routes_and_methods_are_json_errors(server: Any) -> None:
    refused(call(server, "GET", "/api/v1/nothing"), 404, None)
    refused(call(server, "POST", "/api/v1/preview"), 405, None)


def test_renders_beyond_the_limit_get_503_with_retry_after(
    server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    renderer = server.state.renderer
    release = threading.Event()
    fake = project.Project(answers={"project_slug": "held"}, files=())

    def held(answers: object) -> project.Project:
        release.wait(10)
        return fake

    async def crowd() -> tuple[list[httpx.Response], httpx.Response]:
        transport = httpx.ASGITransport(app=server)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            first = [
                asyncio.create_task(client.get(f"/api/v1/preview?description=held{i}"))
                for i in range(renderer.limit)
            ]
            while renderer.active < renderer.limit:
                await asyncio.sleep(0.01)
            beyond = await client.get("/api/v1/preview?description=beyond")
            release.set()
            return list(await asyncio.gather(*first)), beyond

    # Renders that hold their slot until released, in threads of this process.
    monkeypatch.setattr(
        renderer,
        "_submit",
        lambda answers: asyncio.get_running_loop().run_in_executor(None, held, answers),
    )
    held_responses, beyond = asyncio.run(crowd())
    assert [r.status_code for r in held_responses] == [200] * renderer.limit
    refused(beyond, 503, None)
    assert beyond.headers["retry-after"].isdigit()


def test_scratch_is_empty_after_every_render(scratch: Path, server: Any) -> None:
    call(server, "GET", f"/api/v1/preview?{QUERY}")
    assert list(scratch.iterdir()) == []


# --- the render itself: temporary, no template code -----------------------------------


def _questionnaire(root: Path, copier_extra: str = "", broken: bool = False) -> Path:
    """A template with this repository's questions that renders only its answers file."""
    root.mkdir()
    (root / "copier.yml").write_text((REPO_ROOT / "copier.yml").read_text() + copier_extra)
    for stack in ("go", "node-ts", "python-fastapi", "rust"):
        answers = root / "templates" / stack / "{{ _copier_conf.answers_file }}.jinja"
        answers.parent.mkdir(parents=True)
        answers.write_text("{{ _copier_answers | to_nice_yaml }}")
        if broken:
            (answers.parent / "z.txt.jinja").write_text("{{ no_such_answer }}\n")
    return root


def test_template_tasks_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "task-ran"
    source = _questionnaire(tmp_path / "t", f'_tasks:\n  - "touch {marker}"\n')
    rendered = project.render({}, config.OrgConfig(template=str(source)), None, tmp_path)
    assert rendered.file(".copier-answers.yml") is not None
    assert not marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t"]


def test_a_failing_render_removes_its_temporary_directory(tmp_path: Path) -> None:
    source = _questionnaire(tmp_path / "t", broken=True)
    with pytest.raises(Exception, match="no_such_answer"):
        project.render({}, config.OrgConfig(template=str(source)), None, tmp_path)
    with pytest.raises(InvalidAnswerError):
        project.render(
            {"project_slug": "../x"}, config.OrgConfig(template=str(source)), None, tmp_path
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t"]


# --- an org config: pin, defaults, locks, stacks --------------------------------------


def test_org_config_pin_defaults_and_locks_apply(tmp_path: Path) -> None:
    repo = make_template(tmp_path)
    (repo / "templates/go/SECURITY.md").write_text("Report vulnerabilities privately.\n")
    commit(repo, "v1.1", tag="v1.1.0")
    (repo / "templates/go/NEWER.md").write_text("not yet\n")
    commit(repo, "v2", tag="v2.0.0")
    kit = tmp_path / "kit.yml"
    kit.write_text(
        f"template: {repo}\n"
        'version: "~=1.0"\n'
        "defaults: {owner: globex}\n"
        "locked: {license: Proprietary}\n"
        "stacks: [go]\n"
    )
    app = create_app(config.load(kit), scratch=tmp_path)
    try:
        meta = call(app, "GET", "/api/v1/metadata").json()
        assert meta["template"]["version"] == "v1.1.0"
        assert {c["stack"] for c in meta["combinations"]} == {"go"}
        questions = {q["name"]: q for q in meta["questions"]}
        assert questions["license"]["locked"] and questions["license"]["default"] == "Proprietary"
        assert questions["owner"]["default"] == "globex"

        refused(call(app, "GET", "/api/v1/preview?license=MIT"), 400, "license")
        refused(call(app, "GET", "/api/v1/preview?stack=rust"), 400, "stack")

        response = call(app, "GET", "/api/v1/project.zip?project_name=Billing")
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        names = archive.namelist()
        answers = yaml.safe_load(archive.read("billing/.copier-answers.yml"))
        assert (answers["_commit"], answers["license"], answers["owner"]) == (
            "v1.1.0",
            "Proprietary",
            "globex",
        )
        assert "billing/SECURITY.md" in names and "billing/NEWER.md" not in names
    finally:
        app.state.renderer.close()


# --- the command ----------------------------------------------------------------------


def test_serve_without_the_extra_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'scaffold\[serve\]'"):
        web.check_installed()
    result = runner.invoke(cli, ["serve"])
    assert result.exit_code == 1
    assert result.stderr == "error: scaffold serve needs uvicorn: pip install 'scaffold[serve]'\n"


def test_serve_with_a_bad_config_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(cli, ["serve", "--config", str(tmp_path / "missing.yml")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: cannot read org config")
    assert result.stderr.count("\n") == 1
