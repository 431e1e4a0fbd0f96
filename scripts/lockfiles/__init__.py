"""Lockfile templates for every stack: one core (`core`), one small adapter per stack."""

from __future__ import annotations

from lockfiles import go, node_ts, python_fastapi, rust
from lockfiles.core import Adapter

ADAPTERS: dict[str, Adapter] = {
    a.stack: a for a in (go.ADAPTER, node_ts.ADAPTER, python_fastapi.ADAPTER, rust.ADAPTER)
}
