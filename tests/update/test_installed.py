"""scaffold installed from a wheel, as users install tools: its projects update across
upgrades, offline, from the template history the wheels carry."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from repos import commit, edit, git, make_template
from test_update import OWNER_HANDLER_LINE, owner_edits

from scaffold.cli import EXIT_DRIFT


def _build_wheel(source: Path, out: Path) -> Path:
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"),
            *("-w", str(out), str(source)),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("scaffold-*.whl")
    return wheel


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """This repository's working tree as a git repository whose HEAD is tagged v0.9.0."""
    repo = make_template(tmp_path, name="scaffold", everything=True, tag=None)
    changelog = repo / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace("\n## v", "\n## v0.9.0\n- Test.\n\n## v", 1))
    commit(repo, "release 0.9.0", tag="v0.9.0")
    return repo


def test_a_wheel_install_renders_updatable_projects_across_upgrades(
    release: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    # The wheel's dependencies come from the test environment; scaffold itself only
    # from the wheel, which sorts first on the fresh environment's path.
    site = subprocess.run(
        [venv / "bin/python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "test-dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    home = tmp_path / "home"
    env = {**os.environ, "HOME": str(home), "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    env.pop("XDG_DATA_HOME", None)
    env.pop("SCAFFOLD_CONFIG", None)

    def scaffold(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [venv / "bin/scaffold", *args], cwd=cwd, env=env, capture_output=True, text=True
        )

    def install(wheel: Path) -> None:
        subprocess.run(
            [
                *(venv / "bin/python", "-m", "pip", "install", "-q", "--no-deps"),
                *("--no-index", "--upgrade", str(wheel)),
            ],
            check=True,
            env=env,
        )

    install(_build_wheel(release, tmp_path / "dist-0.9.0"))
    assert scaffold("--version").stdout == "scaffold 0.9.0\n"
    created = scaffold("new", "orders-api", "--defaults")
    assert created.returncode == 0, created.stderr
    project = tmp_path / "orders-api"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "v0.9.0"
    assert answers["_src_path"] == "~/.local/share/scaffold/template.bundle"
    debris = [
        p for p in project.rglob("*") if p.suffix in (".pyc", ".pyo") or p.name == "__pycache__"
    ]
    assert debris == []
    git(project, "init", "--quiet")
    commit(project, "rendered")
    owner_edits(project)

    edit(release / "templates/go/Makefile.jinja", "TAG ?= dev\n", "TAG ?= local\n")
    changelog = release / "CHANGELOG.md"
    changelog.write_text(
        changelog.read_text().replace("## v0.9.0", "## v0.9.1\n- Tag.\n\n## v0.9.0")
    )
    commit(release, "release 0.9.1", tag="v0.9.1")
    install(_build_wheel(release, tmp_path / "dist-0.9.1"))

    checked = scaffold("check", cwd=project)
    assert checked.returncode == EXIT_DRIFT, checked.stdout + checked.stderr
    updated = scaffold("update", cwd=project)
    assert updated.returncode == 0, updated.stderr
    assert "TAG ?= local\n" in (project / "Makefile").read_text()
    assert OWNER_HANDLER_LINE in (project / "internal/items/handlers.go").read_text()
    commit(project, "update")
    assert scaffold("check", cwd=project).returncode == 0
    # The diff against a pristine render of the recorded version shows only owner edits.
    changed = scaffold("diff", "--stat", cwd=project)
    assert changed.returncode == 0, changed.stderr
    assert "M internal/items/handlers.go" in changed.stdout.splitlines()
