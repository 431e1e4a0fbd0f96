#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the layers need (a virtualenv
# with scaffold, the validators and uv, the Go linters, Node 26, clippy and rustfmt, PostgreSQL
# and Redis binaries, Chromium), then runs every layer. Extra arguments go to pytest, e.g. `-m "not toolchain"`.
set -euo pipefail
cd "$(dirname "$0")/.."

golangci_lint_version=v2.15.0
actionlint_version=v1.7.12

bash scripts/install-services.sh

# The browser test drives the distribution's Chromium through Playwright, which is
# never asked to download a browser of its own.
if ! command -v chromium >/dev/null 2>&1; then
    sudo=()
    if ((EUID != 0)); then
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi

if [[ ! -x .venv/bin/python ]]; then
    python3 -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
# uv (from the test extras) builds the rendered Python projects; tests/pythons.py finds
# the Python 3.12+ it runs them with, or takes UV_PYTHON.
export PATH="$PWD/.venv/bin:$PATH"

# Toolchain tests build with the installed Go only; a newer `go` line must fail loudly.
export GOTOOLCHAIN=local
gobin="$(go env GOPATH)/bin"
export PATH="$gobin:$PATH"
if ! golangci-lint version 2>/dev/null | grep -q "${golangci_lint_version#v}"; then
    go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$golangci_lint_version"
fi
if ! actionlint -version 2>/dev/null | grep -q "${actionlint_version#v}"; then
    go install "github.com/rhysd/actionlint/cmd/actionlint@$actionlint_version"
fi

# The rendered Node projects ask for Node 26, which may not be the machine's.
PATH="$(bash scripts/install-node.sh):$PATH"
export PATH

# Rust builds with the installed stable toolchain (rustc and cargo); the Rust projects
# lint with its clippy and rustfmt. Every Rust render of the run shares one build
# directory (tests/cargo.py; CARGO_TARGET_DIR overrides it).
for component in clippy rustfmt; do
    if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
        rustup component add "$component"
    fi
done

# Two workers: the layers wait on servers and toolchains as much as they compute, and
# tests that share a build stay on one worker (tests/conftest.py). `-n 0` runs in one process.
exec .venv/bin/python -m pytest -n 2 --dist loadgroup "$@"
