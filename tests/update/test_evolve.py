"""Changing a generated project's answers through `scaffold update`, with real git repositories.

Projects are rendered from this repository's template committed into a throwaway
repository, tagged v1.0.0, then v1.1.0 with one new file. After an update that changes
answers, every file the owner did not touch must be exactly what a new project with
those answers would hold at that version: the lockfiles, Compose and CI included.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from repos import commit, git, make_template
from test_update import OWNER_HANDLER_LINE, owner_edits, render
from typer.testing import CliRunner

from scaffold.cli import app
from scaffold.errors import InvalidAnswerError
from scaffold.render import new_project
from scaffold.update import check_project, update_project

runner = CliRunner()


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_template(tmp_path_factory.mktemp("evolve"))
    (repo / "templates/go/SECURITY.md").write_text("Report vulnerabilities privately.\n")
    commit(repo, "template v1.1: a security policy", tag="v1.1.0")
    return repo


def recorded(project: Path) -> dict[str, object]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def assert_renders_like_new(project: Path, template: Path, tmp_path: Path, *owned: str) -> None:
    """Every file but the owner's and the answers file is a new project's, and no more."""
    answers = {k: v for k, v in recorded(project).items() if not k.startswith("_")}
    fresh = new_project(
        tmp_path / "fresh",
        answers,
        template=str(template),
        vcs_ref=str(recorded(project)["_commit"]),
    ).dest
    ours, theirs = files(project), files(fresh)
    skip = {".copier-answers.yml", *owned}
    assert sorted(set(ours) - skip) == sorted(set(theirs) - skip)
    differing = [name for name in set(ours) - skip if ours[name] != theirs[name]]
    assert differing == []


def test_adding_postgres_and_redis_keeps_the_owners_edits(template: Path, tmp_path: Path) -> None:
    project = render(template, tmp_path / "orders-api", database="none", cache="none")
    # The Makefile's last target changes with the database: an owner's target appended
    # after it would be a conflict to resolve, as it should.
    owner_edits(project, makefile=False)

    updated = update_project(project, data={"database": "postgres", "cache": "redis"})

    assert (updated.previous, updated.current, updated.conflicts) == ("v1.0.0", "v1.1.0", [])
    assert updated.answers == {"database": ("none", "postgres"), "cache": ("none", "redis")}
    assert (recorded(project)["database"], recorded(project)["cache"]) == ("postgres", "redis")
    # The new store, migrations, config, Compose services and CI services arrive ...
    assert (project / "internal/platform/postgres/postgres.go").is_file()
    assert (project / "internal/platform/redis/redis.go").is_file()
    assert (project / "migrations/00001_create_items.sql").is_file()
    assert {"postgres", "redis"} <= set(
        yaml.safe_load((project / "compose.yaml").read_text())["services"]
    )
    assert "github.com/redis/go-redis" in (project / "go.mod").read_text()
    # ... with the new version's change, and every owner edit survives.
    assert (project / "SECURITY.md").is_file()
    assert OWNER_HANDLER_LINE in (project / "internal/items/handlers.go").read_text()
    assert (project / "docs/runbook.md").read_text() == "# Runbook\n"
    assert not (project / ".dockerignore").exists()
    assert_renders_like_new(
        project,
        template,
        tmp_path,
        "internal/items/handlers.go",
        "docs/runbook.md",
        ".dockerignore",
    )
    commit(project, "postgres and redis")
    assert check_project(project).status == "up-to-date"
    # Recorded: a later update without --data keeps them.
    assert update_project(project).answers == {}
    assert (project / "internal/platform/redis/redis.go").is_file()


def test_a_python_service_gains_postgres_and_redis_and_keeps_its_edits(
    template: Path, tmp_path: Path
) -> None:
    project = render(
        template, tmp_path / "orders-api", stack="python-fastapi", database="none", cache="none"
    )
    package = project / "src/orders_api"
    handlers = package / "items/handlers.py"
    owned = '    response.headers["Location"] = f"/v1/items/{item.id}"  # the owner\'s edit\n'
    handlers.write_text(
        handlers.read_text().replace(
            '    response.headers["Location"] = f"/v1/items/{item.id}"\n', owned
        )
    )
    assert owned in handlers.read_text()
    commit(project, "owner edits")

    updated = update_project(project, data={"database": "postgres", "cache": "redis"})

    assert (updated.current, updated.conflicts) == ("v1.1.0", [])
    assert (package / "platform/postgres.py").is_file()
    assert (package / "platform/redis.py").is_file()
    assert (package / "migrations/versions/0001_create_items.py").is_file()
    assert '"redis' in (project / "pyproject.toml").read_text()
    assert owned in handlers.read_text()
    assert_renders_like_new(project, template, tmp_path, "src/orders_api/items/handlers.py")
    commit(project, "postgres and redis")
    assert check_project(project).status == "up-to-date"


def test_ci_moves_from_github_to_gitlab_at_the_same_version(template: Path, tmp_path: Path) -> None:
    project = render(template, tmp_path / "svc", stack="python-fastapi", ci="github")

    updated = update_project(project, data={"ci": "gitlab"}, vcs_ref="v1.0.0")

    assert (updated.current, updated.answers) == ("v1.0.0", {"ci": ("github", "gitlab")})
    assert not (project / ".github").exists()
    assert (project / ".gitlab-ci.yml").is_file()
    assert_renders_like_new(project, template, tmp_path)


def test_pretend_lists_the_changes_and_writes_nothing(template: Path, tmp_path: Path) -> None:
    project = render(template, tmp_path / "orders-api", cache="none")
    head = git(project, "rev-parse", "HEAD")

    result = runner.invoke(
        app, ["update", str(project), "-d", "cache=redis", "--vcs-ref", "v1.0.0", "--pretend"]
    )

    assert result.exit_code == 0, result.output
    assert "cache: none -> redis" in result.stdout
    assert "added     internal/platform/redis/redis.go" in result.stdout
    assert "modified  go.mod" in result.stdout
    assert ".copier-answers.yml" not in result.stdout
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(project, "rev-parse", "HEAD") == head
    assert recorded(project)["cache"] == "none"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("stack=python-fastapi", "stack cannot change on update (go -> python-fastapi)"),
        ("framework=gin", "framework cannot change on update (stdlib -> gin)"),
        ("project_slug=billing", "project_slug cannot change on update"),
        ("go_module=example.com/billing", "go_module cannot change on update"),
        ("database=mysql", "database"),
        ("architecture=batch", "architecture"),
        ("colour=blue", "unknown answer 'colour'"),
        ("http_port=99999", "http_port"),
        ("project_name=", "project_name"),
    ],
)
def test_refused_changes_touch_nothing(
    template: Path, tmp_path: Path, change: str, message: str
) -> None:
    project = render(template, tmp_path / "orders-api")
    before = files(project)

    result = runner.invoke(app, ["update", str(project), "-d", change])

    assert result.exit_code in (1, 2), result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert message in result.stderr
    assert "Traceback" not in result.output
    assert files(project) == before
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""


def test_an_answer_the_org_locks_cannot_change(template: Path, tmp_path: Path) -> None:
    project = render(template, tmp_path / "orders-api", license="MIT")
    kit = tmp_path / "kit.yml"
    kit.write_text("locked: {license: MIT}\n")

    result = runner.invoke(
        app, ["update", str(project), "-d", "license=Apache-2.0", "--config", str(kit)]
    )

    assert result.exit_code == 1
    assert "answer license is locked to 'MIT'" in result.stderr
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""


def test_the_library_refuses_a_fixed_answer_before_the_git_checks(
    template: Path, tmp_path: Path
) -> None:
    project = render(template, tmp_path / "orders-api")
    (project / "scratch.txt").write_text("uncommitted\n")
    with pytest.raises(InvalidAnswerError, match="framework cannot change"):
        update_project(project, data={"framework": "echo"})


def test_ask_needs_a_terminal(template: Path, tmp_path: Path) -> None:
    project = render(template, tmp_path / "orders-api")
    result = runner.invoke(app, ["update", str(project), "--ask"])
    assert result.exit_code == 2
    assert result.stderr == "error: --ask needs a terminal; change answers with --data key=value\n"
