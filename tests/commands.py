"""Running a rendered project's own commands from the toolchain tests."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

GIT = ["git", "-c", "user.name=scaffold", "-c", "user.email=scaffold@example.invalid"]


def run(argv: Sequence[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    """Run argv in cwd; fail the test with its output unless it exits 0."""
    result = subprocess.run(
        list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{' '.join(argv)} exited {result.returncode}:\n{output}"
    return output


def commit_rendered(project: Path, env: dict[str, str]) -> None:
    """Commit the project as rendered, so `git status` later shows what commands changed."""
    run([*GIT, "init", "--quiet"], project, env)
    run([*GIT, "add", "--all"], project, env)
    run([*GIT, "commit", "--quiet", "--message", "rendered"], project, env)
