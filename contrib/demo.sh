#!/bin/bash
# Set everything up and show the main job: build kexecq, take this
# machine's inventory, plan the quiesce for it and for a large server,
# then boot the patched kernel in QEMU and kexec into a second kernel,
# showing which driver callback ran on each device and why.
#
# Usage (as root, on Debian 12): contrib/demo.sh
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

contrib/install-deps.sh
autoreconf -fi >/dev/null
mkdir -p _build/demo
(cd _build/demo && "$top/configure" -q && make -s -j"$(nproc)")
kexecq=_build/demo/kexecq

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "kexecq inventory"
$kexecq inventory
say "kexecq -P tests/data/policy/this-machine plan --explain"
$kexecq -P tests/data/policy/this-machine plan --explain
say "kexecq -P tests/data/policy/server plan --inventory tests/data/inventory/server.json"
$kexecq -P tests/data/policy/server plan --inventory tests/data/inventory/server.json
say "kexecq -P tests/data/policy/server check --inventory tests/data/inventory/server.json"
$kexecq -P tests/data/policy/server check --inventory tests/data/inventory/server.json || true

say "tests/vm/run.sh tests/vm/scenarios/no-shutdown-patched.sh   (builds the kernel once, ~5 min)"
tests/vm/run.sh --log _build/demo/vm tests/vm/scenarios/no-shutdown-patched.sh
grep -E 'edu_kexec_test|^KEXECQ-(STAGE|KEXEC|BOUND)|Starting new kernel' _build/demo/vm/no-shutdown-patched.log
say "tests/vm/bench-shutdown.sh   (A/B: with and without the series)"
tests/vm/bench-shutdown.sh
