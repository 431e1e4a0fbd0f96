"""Render projects from this repository's template for tests."""

from __future__ import annotations

from pathlib import Path

from scaffold.render import render

REPO_ROOT = Path(__file__).resolve().parent.parent


def render_project(parent: Path, **answers: object) -> Path:
    """Render the working tree of this repository into ``parent/<slug>`` and return that path."""
    answers.setdefault("project_name", "Orders API")
    dest = parent / str(answers.get("project_slug", "orders-api"))
    render(dest, answers, template=str(REPO_ROOT), vcs_ref="HEAD")
    return dest
