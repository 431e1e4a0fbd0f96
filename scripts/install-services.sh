#!/usr/bin/env bash
# Install the PostgreSQL and Redis server binaries the test suite starts on its
# own (tests/services.py), without leaving the distribution's system services
# running: the tests use throwaway servers on free ports, never these.
# Idempotent: does nothing when both are installed.
set -euo pipefail

packages=()
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
    packages+=(postgresql)
fi
if ! command -v redis-server >/dev/null 2>&1; then
    packages+=(redis-server)
fi

if ((${#packages[@]} == 0)); then
    echo "postgresql and redis-server already installed"
    exit 0
fi

sudo=()
if ((EUID != 0)); then
    sudo=(sudo)
fi

# Debian's maintainer scripts start the services unless policy-rc.d says no
# (exit 101 = action forbidden). Keep an existing policy-rc.d untouched.
policy=/usr/sbin/policy-rc.d
own_policy=false
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 0755 "$policy"
    own_policy=true
fi
remove_policy() {
    if [[ $own_policy == true ]]; then
        "${sudo[@]}" rm -f "$policy"
    fi
}
trap remove_policy EXIT

echo "installing: ${packages[*]}"
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"

# Where a pre-existing policy-rc.d allowed the start, stop what was just
# installed again (only that: a server the machine already ran stays up).
for package in "${packages[@]}"; do
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
        "${sudo[@]}" systemctl disable --now "$package.service" >/dev/null 2>&1 || true
    elif command -v service >/dev/null 2>&1; then
        "${sudo[@]}" service "$package" stop >/dev/null 2>&1 || true
    fi
done
