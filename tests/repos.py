"""Git repositories for update tests: a template's versions and a project's history."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from rendering import REPO_ROOT


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Owner", "-c", "user.email=owner@example.invalid", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def commit(repo: Path, message: str, tag: str | None = None) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--allow-empty", "--message", message)
    if tag:
        git(repo, "tag", tag)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{path.name} no longer contains {old!r}"
    path.write_text(text.replace(old, new, 1))


def make_template(
    root: Path, name: str = "template", *, everything: bool = False, tag: str | None = "v1.0.0"
) -> Path:
    """This repository's template (working tree included) as a repository tagged ``tag``;
    with ``everything``, the whole repository, scaffold's code included."""
    repo = root / name
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for path in listed:
        wanted = everything or path == "copier.yml" or path.startswith("templates/")
        if wanted and (REPO_ROOT / path).is_file():
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO_ROOT / path, repo / path)
    git(repo, "init", "--quiet")
    commit(repo, "template v1", tag=tag)
    return repo
