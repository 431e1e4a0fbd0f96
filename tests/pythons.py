"""The Python interpreter that uv uses for rendered Python projects.

uv cannot download interpreters on these machines, and pyenv's shims on PATH fail for a
version that is not the active one, so the interpreter is looked for explicitly.
"""

from __future__ import annotations

import functools
import glob
import os
import re
import shutil
import subprocess

MINIMUM = (3, 12)


@functools.cache
def find_python() -> str | None:
    """$UV_PYTHON, else a working python3.13/python3.12/python3 on PATH, else the newest
    Python 3.12+ that pyenv installed; None when there is none."""
    if configured := os.environ.get("UV_PYTHON"):
        return configured
    candidates = [shutil.which(name) for name in ("python3.13", "python3.12", "python3")]
    if pyenv := shutil.which("pyenv"):
        root = subprocess.run([pyenv, "root"], capture_output=True, text=True, check=False)
        found = glob.glob(f"{root.stdout.strip()}/versions/3.*/bin/python3")
        candidates += sorted(found, key=_version_of_path, reverse=True)
    probe = f"import sys; print(sys.version_info >= {MINIMUM}, sys.executable)"
    for candidate in filter(None, candidates):
        result = subprocess.run(
            [candidate, "-c", probe], capture_output=True, text=True, check=False
        )
        ok, _, executable = result.stdout.strip().partition(" ")
        if result.returncode == 0 and ok == "True":
            return executable
    return None


def _version_of_path(path: str) -> tuple[int, ...]:
    match = re.search(r"/versions/(\d+)\.(\d+)\.(\d+)", path)
    return tuple(int(part) for part in match.groups()) if match else ()
