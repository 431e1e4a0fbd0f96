"""Render projects from this repository's working tree for tests."""

from __future__ import annotations

from pathlib import Path

from scaffold.render import new_project

REPO_ROOT = Path(__file__).resolve().parent.parent


def render_project(parent: Path, **answers: object) -> Path:
    """Render into ``parent/<slug>``, uncommitted template changes included; return that path."""
    answers.setdefault("project_name", "Orders API")
    dest = parent / str(answers.get("project_slug", "orders-api"))
    return new_project(dest, answers, template=str(REPO_ROOT), vcs_ref="HEAD").dest
