"""Cargo for the tests: every rendered Rust project of a run shares one build.

Dependencies are compiled once into one CARGO_TARGET_DIR (and downloaded once into
cargo's registry, ~/.cargo) for every render of every test that builds Rust: each
project then compiles only itself and the crates its answers add. CARGO_TARGET_DIR
from the environment wins, so CI can point it at a cached directory.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_TARGET_DIR = Path.home() / ".cache" / "scaffold" / "cargo-target"


def cargo_env() -> dict[str, str]:
    """Variables that make cargo share the build; add them to a command's environment."""
    return {
        "CARGO_TARGET_DIR": os.environ.get("CARGO_TARGET_DIR") or str(DEFAULT_TARGET_DIR),
        # Each render is built once: incremental state would only pile up per project.
        "CARGO_INCREMENTAL": "0",
        # No debugger runs on these builds: without debug info every crate compiles and
        # links faster, and the shared build directory stays a fraction of the size.
        "CARGO_PROFILE_DEV_DEBUG": "0",
        "CARGO_TERM_COLOR": "never",
    }
