#!/bin/bash
# Set everything up and show the main job: build kexecq, take this
# machine's inventory, plan the quiesce for it and for a large server,
# say what `kexecq reboot` would do here, then boot Debian 12's own kernel
# in QEMU and run `kexecq reboot --now` there into a second kernel, with
# data on NVMe and four drivers to quiesce; then the fail-safe, with a
# driver that never returns; then what a stock kernel tells a driver
# during a kexec, which the kernel series fixes.
#
# It builds no kernel: Debian's (linux-image-amd64, 6.1) is fetched with
# apt-get download and unpacked into the cache (tests/vm/debian-kernel.sh),
# the test driver built against its headers.  The test command
# (contrib/run-tests.sh) builds and tests the 6.12 kernels with and
# without the series, patch by patch, and the debug kernel, and runs these
# scenarios on Debian's kernel too.
#
# Usage (as root, on Debian 12): contrib/demo.sh
set -euo pipefail
start=$(date +%s)

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

# run SCENARIO REGEX: the scenario on Debian's kernel, then its log's
# lines that tell the story.
# run.sh names the log NAME.debian.log, or NAME.log where debian is the
# first kernel the scenario lists.
rm -rf _build/demo/vm
run() {
	local log=_build/demo/vm/$1.debian.log
	KEXECQ=$top/$kexecq tests/vm/run.sh --log _build/demo/vm --kernel debian \
		"tests/vm/scenarios/$1.sh"
	[ -f "$log" ] || log=_build/demo/vm/$1.log
	grep -E "$2" "$log"
}

say "tests/vm/run.sh --kernel debian tests/vm/scenarios/reboot-now.sh   (Debian 12's kernel)"
echo "In the VM: ext2 on NVMe with unsynced data, policies for edu, megasas, nvme, e1000,"
echo "then 'kexecq reboot --now' into a second kernel, which checks the data and the drivers."
run reboot-now '^KEXECQ-(STAGE|KEXEC|BOUND|PASS|FAIL)|^\[ *[0-9.]+\] (kexecq: |kexec_core: Starting)|Linux version'

say "tests/vm/run.sh --kernel debian tests/vm/scenarios/reboot-hang.sh   (the fail-safe)"
echo "In the VM: an edu ->remove() that hangs for ever, ext2 on NVMe just written.  No kexec"
echo "(the kernel would wait on that device's lock); file systems read-only, firmware restart;"
echo "the new boot reads why from the old one's kernel log (pstore)."
run reboot-hang '^KEXECQ-(STAGE|KEXEC|PASS|FAIL)|^\[ *[0-9.]+\] kexecq: |^KEXECQ-PSTORE .*(stuck|restarting now)'

say "tests/vm/run.sh --kernel debian tests/vm/scenarios/unpatched-cannot-tell.sh"
echo "In the VM: a driver's ->shutdown() during a plain kexec -e on a stock kernel: it is told"
echo "\"reboot\" (system_state), so it cannot keep the device usable for the next kernel;"
echo "the kernel series (kernel-patches/) gives it kexec_shutdown_in_progress()."
run unpatched-cannot-tell 'edu_kexec_test .*callback|^KEXECQ-(STAGE|KEXEC)|Starting new kernel'

say "done in $(($(date +%s) - start)) s"
echo "The kernel series on 6.12, patch by patch, its debug build, the A/B benchmark and"
echo "every other scenario: contrib/run-tests.sh."
