"""Plain `copier copy` of this repository renders the same project as `scaffold new`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from rendering import REPO_ROOT, render_project


def _contents(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_copier_copy_equals_scaffold_new(tmp_path: Path) -> None:
    answers = {"architecture": "microservice", "ci": "gitlab"}
    ours = render_project(tmp_path / "scaffold", **answers)
    theirs = tmp_path / "copier" / "orders-api"
    data = [
        arg
        for key, value in {"project_name": "Orders API", **answers}.items()
        for arg in ("-d", f"{key}={value}")
    ]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--defaults",
            "--vcs-ref",
            "HEAD",
            "--quiet",
            *data,
            str(REPO_ROOT),
            str(theirs),
        ],
        check=True,
        capture_output=True,
    )
    mine, plain = _contents(ours), _contents(theirs)
    answers_file = ".copier-answers.yml"
    # The recorded commit differs when the template has uncommitted changes: copier
    # commits them on the fly, once per render.
    assert {k: v for k, v in yaml.safe_load(mine.pop(answers_file)).items() if k != "_commit"} == {
        k: v for k, v in yaml.safe_load(plain.pop(answers_file)).items() if k != "_commit"
    }
    assert sorted(mine) == sorted(plain)
    assert mine == plain
