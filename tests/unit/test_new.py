"""`scaffold new` through the library API and the CLI: what users see, what is written."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
import yaml
from rendering import REPO_ROOT
from typer.testing import CliRunner

from scaffold import render, template
from scaffold.cli import app
from scaffold.errors import DestinationError, InvalidAnswerError, TemplateError

TEMPLATE = str(REPO_ROOT)
runner = CliRunner()


def _new(dest: Path, **answers: object) -> render.Rendered:
    return render.new_project(dest, answers, template=TEMPLATE, vcs_ref="HEAD")


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_defaults_derive_names_from_the_destination(tmp_path: Path) -> None:
    rendered = _new(tmp_path / "orders-api")
    assert rendered.answers["project_name"] == "Orders Api"
    assert rendered.answers["project_slug"] == "orders-api"
    assert rendered.answers["go_module"] == "github.com/acme/orders-api"
    answers = yaml.safe_load((tmp_path / "orders-api" / ".copier-answers.yml").read_text())
    assert answers["_commit"]
    assert answers["_src_path"] == TEMPLATE


def test_project_directory_follows_the_umask(tmp_path: Path) -> None:
    _new(tmp_path / "svc")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "svc").stat().st_mode) == 0o777 & ~umask


def test_non_empty_destination_is_refused_and_left_alone(tmp_path: Path) -> None:
    dest = tmp_path / "svc"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    with pytest.raises(DestinationError, match="not empty; pass --force"):
        _new(dest)
    assert _tree(dest) == ["notes.txt"]


def test_force_renders_into_a_non_empty_directory_keeping_other_files(tmp_path: Path) -> None:
    dest = tmp_path / "svc"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine")
    render.new_project(dest, {}, template=TEMPLATE, vcs_ref="HEAD", force=True)
    assert (dest / "notes.txt").read_text() == "mine"
    assert (dest / ".copier-answers.yml").is_file()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"project_slug": "Bad Slug"}, "project_slug"),
        ({"project_slug": "internal"}, "reserved"),
        ({"stack": "go", "framework": "rails"}, "unknown framework 'rails'"),
        ({"http_port": 80}, "http_port must be between 1024 and 65535"),
        ({"go_module": "not a module"}, "not a valid module path"),
    ],
)
def test_invalid_answers_write_nothing(
    tmp_path: Path, answers: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidAnswerError, match=message):
        _new(tmp_path / "svc", **answers)
    assert _tree(tmp_path) == []


def test_invalid_slug_derived_from_the_destination_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidAnswerError, match='project_slug "x" must match'):
        _new(tmp_path / "x")
    assert _tree(tmp_path) == []


def test_template_failing_half_way_leaves_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "template"
    (broken / "templates" / "go").mkdir(parents=True)
    (broken / "copier.yml").write_text((REPO_ROOT / "copier.yml").read_text())
    (broken / "templates" / "go" / "a.txt").write_text("fine\n")
    (broken / "templates" / "go" / "z.txt.jinja").write_text("{{ no_such_answer }}\n")
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises((TemplateError, InvalidAnswerError)):
        render.new_project(out / "svc", {}, template=str(broken))
    assert _tree(out) == []


def test_pretend_lists_files_and_writes_nothing(tmp_path: Path) -> None:
    rendered = render.new_project(
        tmp_path / "svc", {}, template=TEMPLATE, vcs_ref="HEAD", pretend=True
    )
    assert ".copier-answers.yml" in rendered.files
    assert _tree(tmp_path) == []


def test_missing_template_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError):
        render.new_project(tmp_path / "svc", {}, template=str(tmp_path / "nowhere"))
    assert not (tmp_path / "svc").exists()


# --- the CLI: one line on stderr, exit codes, next steps ------------------------------


def _cli(*args: str, cwd: Path) -> tuple[int, str, str]:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = runner.invoke(app, ["new", *args, "--template", TEMPLATE, "--vcs-ref", "HEAD"])
    finally:
        os.chdir(old)
    return result.exit_code, result.stdout, result.stderr


def test_cli_renders_and_prints_next_steps(tmp_path: Path) -> None:
    code, out, err = _cli(
        "orders-api", "--defaults", "--arch", "microservice", "--db", "none", cwd=tmp_path
    )
    assert code == 0, err
    assert "cd orders-api" in out and "make up" in out and "make test" in out
    answers = yaml.safe_load((tmp_path / "orders-api" / ".copier-answers.yml").read_text())
    assert (answers["architecture"], answers["database"]) == ("microservice", "none")


def test_cli_data_file_and_data_flags(tmp_path: Path) -> None:
    (tmp_path / "answers.yml").write_text(
        "project_name: Billing\narchitecture: serverless\nhttp_port: 9000\n"
    )
    code, _, err = _cli(
        "billing", "--defaults", "--data-file", "answers.yml", "-d", "http_port=9090", cwd=tmp_path
    )
    assert code == 0, err
    answers = yaml.safe_load((tmp_path / "billing" / ".copier-answers.yml").read_text())
    assert answers["architecture"] == "serverless"
    assert answers["http_port"] == 9090


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("svc", "--stack", "cobol"), 1, "error: unknown stack 'cobol'; choose one of: go"),
        (("svc", "--framework", "rails"), 1, "error: unknown framework 'rails'"),
        (("svc", "--arch", "mainframe"), 1, "error: unknown architecture 'mainframe'"),
        (("svc", "--name", "!!!"), 1, "error: Validation error for question 'project_slug'"),
        (("svc", "--name", "a/b"), 1, "error: answer project_name must not contain /"),
        (("svc", "-d", "project_slug=Nope"), 1, "project_slug"),
        (("svc", "-d", "colour=blue"), 1, "error: unknown answer 'colour'"),
        (("svc", "-d", "oops"), 2, "error: --data expects key=value"),
        (("svc", "--data-file", "missing.yml"), 2, "error: cannot read answers file"),
        ((), 2, "error: give the directory to create, or --name"),
    ],
)
def test_cli_errors_are_one_line_and_write_nothing(
    tmp_path: Path, args: tuple[str, ...], code: int, message: str
) -> None:
    exit_code, _, err = _cli(*args, "--defaults", cwd=tmp_path)
    assert exit_code == code
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert _tree(tmp_path) == []


def test_cli_non_empty_destination(tmp_path: Path) -> None:
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "keep.txt").write_text("x")
    code, _, err = _cli("svc", "--defaults", cwd=tmp_path)
    assert code == 1
    assert "is not empty; pass --force" in err
    assert _tree(tmp_path) == ["svc", "svc/keep.txt"]


def test_cli_unknown_flag_is_a_usage_error(tmp_path: Path) -> None:
    code, _, _ = _cli("svc", "--colour", "blue", cwd=tmp_path)
    assert code == 2


def test_version_is_the_newest_changelog_entry_and_release_tag() -> None:
    newest_entry = re.search(r"^## v(\S+)$", (REPO_ROOT / "CHANGELOG.md").read_text(), re.M)
    assert newest_entry is not None
    assert runner.invoke(app, ["--version"]).stdout == f"scaffold {newest_entry[1]}\n"
    tags = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "tag", "--list", "v*", "--sort=-version:refname"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # A clone without tags has nothing to compare; a release is never ahead of the entry.
    assert not tags or tags[0] == f"v{newest_entry[1]}"


def test_version_and_list() -> None:
    listing = runner.invoke(app, ["list"]).stdout
    assert "go" in listing and "stdlib" in listing and "serverless" in listing


def test_list_json_is_the_catalog() -> None:
    import json

    data = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    assert {"stack": "go", "framework": "stdlib", "architecture": "microservice"} in data[
        "combinations"
    ]
    assert data["databases"] == ["postgres", "none"]


def test_bundled_checkout_renders_its_committed_state_and_records_a_real_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "scaffold"
    subprocess.run(["git", "clone", "-q", str(REPO_ROOT), str(checkout)], check=True)
    (checkout / "templates" / "go" / "uncommitted.txt").write_text("work in progress\n")
    monkeypatch.setattr(template, "bundled_location", lambda: str(checkout))

    rendered = render.new_project(tmp_path / "svc", {})

    assert "uncommitted.txt" not in rendered.files
    commit = str(rendered.answers["_commit"])
    exists = subprocess.run(["git", "-C", str(checkout), "cat-file", "-e", f"{commit}^{{commit}}"])
    assert exists.returncode == 0, f"_commit {commit} is not a commit of the template checkout"
