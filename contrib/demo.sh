#!/bin/bash
# Set everything up and show the main job: build kexecq, take this
# machine's inventory, plan the quiesce for it and for a large server,
# say what `kexecq reboot` would do here, then boot the patched kernel in
# QEMU and run `kexecq reboot --now` there into a second kernel, and show
# which driver callback the kernel ran on each device and why.
#
# It builds one kernel, the patched one (KEXECQ_VM_ONLY=1: the series
# applied at once), which is all it shows; the test command
# (contrib/run-tests.sh) builds the others: the kernel without the series
# for the A/B comparisons, the series patch by patch, the debug kernel.
#
# Usage (as root, on Debian 12): contrib/demo.sh
set -euo pipefail
start=$(date +%s)
export KEXECQ_VM_ONLY=1

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
say "kexecq -P policy check --driver-tables contrib   (this machine, the shipped library)"
$kexecq -P policy check --driver-tables contrib || true
say "kexecq -P policy plan --inventory tests/data/inventory/server.json   (a server, the shipped library)"
$kexecq -P policy plan --inventory tests/data/inventory/server.json
say "kexecq -P policy check --inventory tests/data/inventory/server.json"
$kexecq -P policy check --inventory tests/data/inventory/server.json || true

say "kexecq reboot --dry-run   (on this machine: what it would load, quiesce and do)"
$kexecq reboot --dry-run || true

say "tests/vm/run.sh tests/vm/scenarios/reboot-now.sh   (builds the patched kernel once, ~5 min)"
echo "In the VM: ext2 on NVMe with unsynced data, policies for edu, megasas, nvme, e1000,"
echo "then 'kexecq reboot --now' into a second kernel, which checks the data and the drivers."
KEXECQ=$top/$kexecq tests/vm/run.sh --log _build/demo/vm tests/vm/scenarios/reboot-now.sh
grep -E '^KEXECQ-(STAGE|KEXEC|BOUND|PASS|FAIL)|kexecq: |Starting new kernel' _build/demo/vm/reboot-now.log

say "tests/vm/run.sh tests/vm/scenarios/shipped-library.sh   (the shipped policies, installed)"
echo "In the VM: only the library from 'make install'; plan, check, reboot --now across e1000,"
echo "nvme, megaraid_sas, ahci, xhci and virtio; every device bound again in the next kernel."
KEXECQ=$top/$kexecq tests/vm/run.sh --log _build/demo/vm tests/vm/scenarios/shipped-library.sh
grep -E '^KEXECQ-(STAGE|KEXEC|BOUND|PASS|FAIL)|^\[ *[0-9.]+\] kexecq: |Nothing at risk' _build/demo/vm/shipped-library.log

say "tests/vm/run.sh tests/vm/scenarios/reboot-hang.sh   (the fail-safe: a driver that never returns)"
echo "In the VM: an edu ->remove() that hangs for ever, ext2 on NVMe just written.  No kexec"
echo "(the kernel would wait on that device's lock); file systems read-only, firmware restart."
KEXECQ=$top/$kexecq tests/vm/run.sh --log _build/demo/vm tests/vm/scenarios/reboot-hang.sh
grep -E '^KEXECQ-(STAGE|KEXEC|PASS|FAIL)|^\[ *[0-9.]+\] kexecq: ' _build/demo/vm/reboot-hang.log

say "tests/vm/run.sh tests/vm/scenarios/no-shutdown-patched.sh   (the kernel series alone)"
tests/vm/run.sh --log _build/demo/vm tests/vm/scenarios/no-shutdown-patched.sh
grep -E 'edu_kexec_test|^KEXECQ-(STAGE|KEXEC|BOUND)|Starting new kernel' _build/demo/vm/no-shutdown-patched.log

say "done in $(($(date +%s) - start)) s"
echo "The A/B shutdown benchmark (tests/vm/bench-shutdown.sh) and every other scenario need"
echo "the kernel without the series and the debug kernel too: contrib/run-tests.sh builds them."
