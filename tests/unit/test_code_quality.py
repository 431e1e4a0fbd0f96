"""The generator's own code meets the bar it sets for generated projects."""

from __future__ import annotations

import subprocess
import sys

import pytest
from rendering import REPO_ROOT

PYTHON_PATHS = ["scaffold", "tests", "scripts", "hatch_build.py"]


@pytest.mark.parametrize(
    "argv",
    [
        ["ruff", "check", *PYTHON_PATHS],
        ["ruff", "format", "--check", *PYTHON_PATHS],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy-strict"],
)
def test_linters_pass(argv: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", *argv], cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
