"""Every stack's lockfile templates are current: `python scripts/lock.py STACK --check`.

For each stack with a lockfile adapter, every combination is rendered; each lockfile
must be exactly what the stack's package manager writes for that project, resolving
from the pins, and pass the stack's frozen check (`go mod tidy -diff`,
`uv lock --locked`, `npm ci --dry-run`). A pin changed without rerunning
`scripts/lock.py` fails here.
"""

from __future__ import annotations

import os
import sys

import pytest
from commands import run
from lockfiles import ADAPTERS
from rendering import REPO_ROOT

pytestmark = pytest.mark.toolchain

# Each stack's marker; a stack that gains an adapter needs its marker here.
MARKERS = {
    "go": pytest.mark.go,
    "node-ts": pytest.mark.node,
    "python-fastapi": pytest.mark.python,
    "rust": pytest.mark.rust,
}


@pytest.mark.parametrize("stack", [pytest.param(s, marks=MARKERS[s]) for s in ADAPTERS])
def test_lockfile_templates_are_current(stack: str) -> None:
    # The adapters pin what the tools need (the installed Go only, uv beside this
    # interpreter) and share the user's module and build caches with the other tests.
    run([sys.executable, "scripts/lock.py", stack, "--check"], REPO_ROOT, dict(os.environ), 1800)
