"""Updating generated projects across template versions, with real git repositories.

The template is this repository's own, committed into a throwaway repository and
tagged: v1.0.0 as it is, v1.1.0 with one new file, v2.0.0 with a new file, a changed
Makefile line, a changed line in a file every stack shares and a removed file. A project
rendered at v1.0.0 gets the kinds of edits owners make, then moves between versions with
`scaffold update`, `check` and `diff`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from rendering import REPO_ROOT
from repos import commit, edit, git, make_template
from typer.testing import CliRunner

import scaffold.template
import scaffold.versions
from scaffold import config
from scaffold.cli import EXIT_CONFLICTS, EXIT_DRIFT, app
from scaffold.errors import ConfigError, TemplateError, UpdateError
from scaffold.render import new_project
from scaffold.update import check_project, diff_project, update_project

runner = CliRunner()
OWNER_HANDLER_LINE = "web.JSON(w, http.StatusCreated, item) // the owner's edit"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_template(tmp_path_factory.mktemp("versions"))
    (repo / "templates/go/SECURITY.md").write_text("Report vulnerabilities privately.\n")
    commit(repo, "template v1.1: a security policy", tag="v1.1.0")
    (repo / "templates/go/CONTRIBUTING.md").write_text("Run `make lint test` before a PR.\n")
    edit(repo / "templates/go/Makefile.jinja", "TAG ?= dev\n", "TAG ?= local\n")
    edit(repo / "templates/common/editorconfig.jinja", "indent_size = 2\n", "indent_size = 4\n")
    (repo / "templates/go/.pre-commit-config.yaml.jinja").unlink()
    commit(repo, "template v2: contributing guide, local tag, no pre-commit", tag="v2.0.0")
    return repo


def render(template: Path, dest: Path, ref: str = "v1.0.0", **answers: object) -> Path:
    answers.setdefault("project_name", "Orders API")
    new_project(dest, answers, template=str(template), vcs_ref=ref)
    git(dest, "init", "--quiet")
    commit(dest, "rendered")
    return dest


def owner_edits(project: Path, *, makefile: bool = True) -> None:
    """A changed handler, an added file, a deleted file and (``makefile``) an appended
    Makefile target."""
    edit(
        project / "internal/items/handlers.go",
        "web.JSON(w, http.StatusCreated, item)",
        OWNER_HANDLER_LINE,
    )
    (project / "docs").mkdir()
    (project / "docs/runbook.md").write_text("# Runbook\n")
    (project / ".dockerignore").unlink()
    if makefile:
        with (project / "Makefile").open("a") as file:
            file.write("\nseed: ## Load sample data\n\tgo run ./cmd/orders-api seed\n")
    commit(project, "owner edits")


def recorded_version(project: Path) -> str:
    return str(yaml.safe_load((project / ".copier-answers.yml").read_text())["_commit"])


def test_update_keeps_owner_edits_and_applies_template_changes(
    template: Path, tmp_path: Path
) -> None:
    project = render(template, tmp_path / "orders-api")
    owner_edits(project)

    updated = update_project(project)

    assert (updated.previous, updated.current, updated.conflicts) == ("v1.0.0", "v2.0.0", [])
    assert recorded_version(project) == "v2.0.0"
    # Every owner edit survives.
    assert OWNER_HANDLER_LINE in (project / "internal/items/handlers.go").read_text()
    assert (project / "docs/runbook.md").read_text() == "# Runbook\n"
    assert not (project / ".dockerignore").exists()
    makefile = (project / "Makefile").read_text()
    editorconfig = (project / ".editorconfig").read_text()
    assert "seed: ## Load sample data" in makefile
    # Every template change arrives: new files, the changed line, the removed file.
    assert "TAG ?= local\n" in makefile
    assert "TAG ?= dev\n" not in makefile
    assert "[*]\ncharset = utf-8\nend_of_line = lf\ninsert_final_newline = true\n" in editorconfig
    assert "indent_style = space\nindent_size = 4\n" in editorconfig
    assert (project / "CONTRIBUTING.md").is_file()
    assert (project / "SECURITY.md").is_file()
    assert not (project / ".pre-commit-config.yaml").exists()


def test_overlapping_edits_are_marked_and_reported(template: Path, tmp_path: Path) -> None:
    project = render(template, tmp_path / "orders-api")
    edit(project / "Makefile", "TAG ?= dev\n", "TAG ?= team\n")
    commit(project, "owner tags images by team")

    result = runner.invoke(app, ["update", str(project)])

    assert result.exit_code == EXIT_CONFLICTS, result.output
    assert "1 file(s) need their conflicts resolved:\n  Makefile\n" in result.output
    makefile = (project / "Makefile").read_text()
    assert (
        "<<<<<<< before updating\nTAG ?= team\n=======\nTAG ?= local\n>>>>>>> after updating"
        in makefile
    )
    # Nothing else waits: a second update refuses until the conflict is resolved.
    commit(project, "conflict committed by mistake")
    with pytest.raises(
        UpdateError, match="resolve the conflicts of the last update first: Makefile"
    ):
        update_project(project)
    assert runner.invoke(app, ["check", str(project)]).exit_code == EXIT_CONFLICTS


def test_conflicts_as_reject_files(template: Path, tmp_path: Path) -> None:
    project = render(template, tmp_path / "orders-api")
    edit(project / "Makefile", "TAG ?= dev\n", "TAG ?= team\n")
    commit(project, "owner tags images by team")

    updated = update_project(project, conflict="rej")

    # The template's line goes in; the owner's hunk waits beside it, not lost.
    assert updated.conflicts == ["Makefile.rej"]
    assert "TAG ?= local\n" in (project / "Makefile").read_text()
    assert "+TAG ?= team\n" in (project / "Makefile.rej").read_text()


def test_dirty_tree_is_refused_and_left_alone(template: Path, tmp_path: Path) -> None:
    project = render(template, tmp_path / "orders-api")
    (project / "notes.txt").write_text("work in progress\n")

    result = runner.invoke(app, ["update", str(project)])

    assert result.exit_code == 1
    assert result.output.strip().endswith(
        "has uncommitted changes; commit or stash them before updating"
    )
    assert recorded_version(project) == "v1.0.0"
    assert (project / "notes.txt").read_text() == "work in progress\n"
    assert not (project / "CONTRIBUTING.md").exists()


def test_pretend_writes_nothing(template: Path, tmp_path: Path) -> None:
    project = render(template, tmp_path / "orders-api")

    result = runner.invoke(app, ["update", str(project), "--pretend"])

    assert result.exit_code == 0, result.output
    assert "Would update" in result.output and "v1.0.0 -> v2.0.0" in result.output
    assert git(project, "status", "--porcelain") == ""


def test_update_to_a_chosen_version_then_to_the_newest(template: Path, tmp_path: Path) -> None:
    project = render(template, tmp_path / "orders-api")

    assert update_project(project, vcs_ref="v1.1.0").current == "v1.1.0"
    assert (project / "SECURITY.md").is_file()
    assert not (project / "CONTRIBUTING.md").exists()
    commit(project, "template v1.1.0")
    assert update_project(project).current == "v2.0.0"
    commit(project, "template v2.0.0")
    again = update_project(project)
    assert again.previous == again.current == "v2.0.0"


def test_check_reports_drift_until_updated(template: Path, tmp_path: Path) -> None:
    project = render(template, tmp_path / "orders-api")

    behind = runner.invoke(app, ["check", str(project), "--json"])
    assert behind.exit_code == EXIT_DRIFT, behind.output
    report = json.loads(behind.output)
    assert report["status"] == "behind"
    assert (report["current"], report["target"]) == ("v1.0.0", "v2.0.0")
    human = runner.invoke(app, ["check", str(project)])
    assert "behind: template v1.0.0, v2.0.0 is available; run scaffold update" in human.output

    update_project(project)
    commit(project, "template v2.0.0")

    current = runner.invoke(app, ["check", str(project)])
    assert current.exit_code == 0, current.output
    assert "up to date: template v2.0.0" in current.output


def test_pin_holds_projects_on_the_pinned_series(template: Path, tmp_path: Path) -> None:
    kit = tmp_path / "kit.yml"
    kit.write_text('version: "~=1.0"\n')
    pinned = config.load(kit)
    project = render(template, tmp_path / "orders-api")

    assert update_project(project, config=pinned).current == "v1.1.0"
    commit(project, "template v1.1.0")
    assert check_project(project, config=pinned).status == "up-to-date"
    assert check_project(project).status == "behind"
    with pytest.raises(TemplateError, match=r"v2\.0\.0 does not satisfy the pinned version ~=1\.0"):
        update_project(project, vcs_ref="v2.0.0", config=pinned)

    newer = tmp_path / "newer"
    new_project(newer, {"project_name": "Newer"}, template=str(template), config=pinned)
    assert recorded_version(newer) == "v1.1.0"
    exact = config.load(_write(tmp_path / "exact.yml", "version: v1.0.0\n"))
    assert check_project(project, config=exact).status == "ahead"


def test_diff_shows_exactly_the_owner_edits(template: Path, tmp_path: Path) -> None:
    project = render(template, tmp_path / "orders-api")
    assert diff_project(project) == []
    owner_edits(project)

    changes = {c.path: c for c in diff_project(project)}

    assert {p: c.status for p, c in changes.items()} == {
        "internal/items/handlers.go": "modified",
        "docs/runbook.md": "added",
        ".dockerignore": "deleted",
        "Makefile": "modified",
    }
    assert f"+\t{OWNER_HANDLER_LINE}\n" in changes["internal/items/handlers.go"].patch
    stat = runner.invoke(app, ["diff", str(project), "--stat"])
    assert stat.exit_code == 0
    assert stat.output.splitlines() == [
        "D .dockerignore",
        "M Makefile",
        "A docs/runbook.md",
        "M internal/items/handlers.go",
    ]


def test_org_kit_fixes_template_version_and_locked_answers(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kit = tmp_path / "kit"
    kit.mkdir()
    shutil.copytree(template, kit / "template")
    (kit / "config.yml").write_text(
        "template: template\n"
        'version: "~=1.0"\n'
        "defaults:\n  owner: globex\n  ci: gitlab\n"
        "locked:\n  license: Proprietary\n"
        "stacks: [go]\n"
    )
    monkeypatch.setenv(config.ENV_VAR, str(kit / "config.yml"))

    created = runner.invoke(app, ["new", str(tmp_path / "billing"), "--defaults"])

    assert created.exit_code == 0, created.output
    answers = yaml.safe_load((tmp_path / "billing/.copier-answers.yml").read_text())
    assert answers["_src_path"] == str(kit / "template")
    assert answers["_commit"] == "v1.1.0"
    assert (answers["owner"], answers["ci"], answers["license"]) == (
        "globex",
        "gitlab",
        "Proprietary",
    )
    assert not (tmp_path / "billing/LICENSE").exists()

    overridden = runner.invoke(
        app, ["new", str(tmp_path / "other"), "--defaults", "-d", "license=MIT"]
    )
    assert overridden.exit_code == 1
    assert "answer license is locked to 'Proprietary' by org config" in overridden.output
    assert not (tmp_path / "other").exists()
    elsewhere = runner.invoke(
        app, ["new", str(tmp_path / "other"), "--defaults", "--template", str(template)]
    )
    assert elsewhere.exit_code == 1
    assert "the template is fixed to" in elsewhere.output


def test_update_applies_locked_answers(template: Path, tmp_path: Path) -> None:
    project = render(template, tmp_path / "orders-api", license="MIT")
    assert (project / "LICENSE").is_file()
    kit = config.load(_write(tmp_path / "kit.yml", "locked:\n  license: Proprietary\n"))

    update_project(project, config=kit)

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["license"] == "Proprietary"
    assert not (project / "LICENSE").exists()


def test_project_updated_by_scaffold_still_updates_with_plain_copier(
    template: Path, tmp_path: Path
) -> None:
    project = render(template, tmp_path / "orders-api")
    owner_edits(project)
    update_project(project, vcs_ref="v1.1.0")
    commit(project, "template v1.1.0")
    # The copier installed beside scaffold: what a user of the same environment runs.
    copier = str(Path(sys.executable).parent / "copier")

    subprocess.run(
        [copier, "update", "--defaults", "--quiet", "--vcs-ref", "v2.0.0"],
        cwd=project,
        check=True,
        capture_output=True,
    )

    assert recorded_version(project) == "v2.0.0"
    assert OWNER_HANDLER_LINE in (project / "internal/items/handlers.go").read_text()
    assert (project / "CONTRIBUTING.md").is_file()


@pytest.mark.parametrize(
    ("kit", "message"),
    [
        ("versions: 1\n", "unknown key 'versions'"),
        ('version: "~=banana"\n', "is not a tag or a PEP 440 specifier"),
        ("locked:\n  license: GPL\n", "unknown"),
        ("stacks: [cobol]\n", "unknown stack 'cobol'"),
        ("- just a list\n", "must be a mapping"),
    ],
)
def test_broken_org_config_is_one_clear_error(tmp_path: Path, kit: str, message: str) -> None:
    path = _write(tmp_path / "kit.yml", kit)
    with pytest.raises(ConfigError, match=message):
        config.load(path)
    result = runner.invoke(app, ["new", str(tmp_path / "svc"), "--defaults", "--config", str(path)])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "svc").exists()


def test_not_a_generated_project(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "has no .copier-answers.yml; it was not generated by scaffold" in result.output


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_breaking_version_ships_a_migration_that_runs_only_when_trusted(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """v3.0.0 renames the http_port answer; its migration carries the owner's value over."""
    repo = tmp_path / "template"
    shutil.copytree(template, repo)
    for path in [repo / "copier.yml", *(repo / "templates").rglob("*")]:
        if path.is_file() and "http_port" in (text := path.read_text()):
            path.write_text(text.replace("http_port", "service_port"))
    with (repo / "copier.yml").open("a") as copier_yml:
        copier_yml.write(
            "\n_migrations:\n"
            "  - version: v3.0.0\n"
            "    when: \"{{ _stage == 'before' }}\"\n"
            "    command: sed -i 's/^http_port:/service_port:/' .copier-answers.yml\n"
        )
    commit(repo, "template v3: http_port is now service_port", tag="v3.0.0")
    project = render(repo, tmp_path / "orders-api", ref="v2.0.0", http_port=9090)
    monkeypatch.setenv("COPIER_SETTINGS_PATH", str(_write(tmp_path / "settings.yml", "{}\n")))

    with pytest.raises(TemplateError, match="uses migrations, which run commands on this machine"):
        update_project(project)
    assert recorded_version(project) == "v2.0.0"
    assert git(project, "status", "--porcelain") == ""

    _write(tmp_path / "settings.yml", f"trust:\n  - {repo}\n")
    update_project(project)

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v3.0.0"
    assert answers["service_port"] == 9090
    assert "http_port" not in answers
    assert "9090" in (project / "compose.yaml").read_text()


def test_bundled_template_renders_and_updates_to_its_own_head(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checkout scaffold runs from is the default source: its HEAD, never a stale tag."""
    checkout = tmp_path / "checkout"
    shutil.copytree(template, checkout)
    (checkout / "templates/go/NOTES.md").write_text("Unreleased work in progress.\n")
    commit(checkout, "after v2.0.0")
    monkeypatch.setattr(scaffold.template, "bundled_location", lambda: str(checkout))

    project = tmp_path / "orders-api"
    new_project(project, {"project_name": "Orders API"})
    git(project, "init", "--quiet")
    commit(project, "rendered")
    assert recorded_version(project).startswith("v2.0.0-1-g")
    assert (project / "NOTES.md").is_file()
    assert check_project(project).status == "up-to-date"

    (checkout / "templates/go/NOTES.md").write_text("Released.\n")
    commit(checkout, "release notes", tag="v2.1.0")
    assert check_project(project).status == "behind"
    assert update_project(project).current == "v2.1.0"
    assert (project / "NOTES.md").read_text() == "Released.\n"


def test_projects_without_a_version_or_git_are_refused_clearly(
    template: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "folder"
    shutil.copytree(template, folder, ignore=shutil.ignore_patterns(".git"))
    from_folder = tmp_path / "from-folder"
    new_project(from_folder, {"project_name": "Orders API"}, template=str(folder))
    with pytest.raises(UpdateError, match="records no template version"):
        update_project(from_folder)

    untracked = tmp_path / "untracked"
    new_project(untracked, {"project_name": "Orders API"}, template=str(template))
    with pytest.raises(UpdateError, match="is not in a git repository; commit it to git"):
        update_project(untracked)


def test_org_kit_limits_the_stacks(tmp_path: Path) -> None:
    only_python = config.load(_write(tmp_path / "kit.yml", "stacks: [python-fastapi]\n"))

    with pytest.raises(
        ConfigError, match=r"stack go is not allowed by org config .*; allowed: python-fastapi"
    ):
        new_project(
            tmp_path / "go-svc",
            {"stack": "go"},
            template=str(REPO_ROOT),
            vcs_ref="HEAD",
            config=only_python,
        )
    assert not (tmp_path / "go-svc").exists()

    rendered = new_project(
        tmp_path / "svc", {}, template=str(REPO_ROOT), vcs_ref="HEAD", config=only_python
    )
    assert (rendered.answers["stack"], rendered.answers["framework"]) == (
        "python-fastapi",
        "fastapi",
    )


def test_each_command_reads_the_template_versions_once(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = render(template, tmp_path / "orders-api")
    reads: list[str] = []
    real_refs = scaffold.versions.refs

    def counted(source: str) -> scaffold.versions.Refs:
        reads.append(source)
        return real_refs(source)

    monkeypatch.setattr(scaffold.versions, "refs", counted)
    assert check_project(project).status == "behind"
    assert reads == [str(template)]
    reads.clear()
    assert update_project(project).current == "v2.0.0"
    assert reads == [str(template)]
