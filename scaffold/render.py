"""Rendering through copier: the only module that imports copier."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import copier


def render(
    dest: Path,
    answers: Mapping[str, Any],
    *,
    template: str,
    vcs_ref: str | None = None,
) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copier.run_copy(
            template,
            dest,
            data=dict(answers),
            defaults=True,
            vcs_ref=vcs_ref,
            quiet=True,
            unsafe=False,
        )
    return dest
