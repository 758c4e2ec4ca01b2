#!/bin/bash
# Set everything up and show the main job: build kexecq, take this
# machine's inventory, and plan the quiesce for it and for a large server
# with the policies shipped in policy/ and the test fixtures.
#
# Usage (as root, on Debian 12): contrib/demo.sh
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

contrib/install-deps.sh --no-vm
autoreconf -fi >/dev/null
mkdir -p _build/demo
(cd _build/demo && "$top/configure" -q && make -s -j"$(nproc)")
kexecq=_build/demo/kexecq

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "kexecq inventory"
$kexecq inventory
say "kexecq -P policy plan --explain"
$kexecq -P policy plan --explain
say "kexecq -P tests/data/policy/server plan --inventory tests/data/inventory/server.json"
$kexecq -P tests/data/policy/server plan --inventory tests/data/inventory/server.json
say "kexecq -P tests/data/policy/server check --inventory tests/data/inventory/server.json"
$kexecq -P tests/data/policy/server check --inventory tests/data/inventory/server.json || true
