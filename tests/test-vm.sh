#!/bin/bash
# Every VM scenario under tests/vm/scenarios on every kernel its
# "# kernel:" line lists: real kernels (with the series, its debug build,
# without it, and Debian 12's own, which the demo boots) in QEMU, kexec
# into a second kernel, markers checked from the serial log.  Two runs at a
# time: they share nothing but the cached kernels.  Skipped, with the
# reason, when the prerequisites are missing or KEXECQ_VM_TESTS=skip.
. "${top_srcdir:-.}/tests/lib.sh"

require_vm

logs=${top_builddir:-.}/tests/vm-logs
mkdir -p "$logs"
# Build the kernels first so that a build failure is reported once, clearly.
for k in "" --debug --unpatched; do
	if ! "$vm/kbuild.sh" $k >"$logs/kbuild${k:-}.out" 2>&1; then
		fail "kernel build${k:+ ($k)}"
		tail -30 "$logs/kbuild${k:-}.out"
		finish
		exit 1
	fi
	pass "kernel build${k:+ ($k)}: $(tail -1 "$logs/kbuild${k:-}.out")"
done
if ! "$vm/debian-kernel.sh" >"$logs/debian-kernel.out" 2>&1; then
	fail "Debian's kernel (tests/vm/debian-kernel.sh)"
	tail -30 "$logs/debian-kernel.out"
	finish
	exit 1
fi
pass "Debian's kernel: $(tail -1 "$logs/debian-kernel.out")"

# The runs: SCENARIO KERNEL, a line each.
runs=$tmp/runs
for s in "$vm"/scenarios/*.sh; do
	kernels=$(sed -n 's/^# kernel: *//p' "$s" | head -1)
	for k in ${kernels:-patched}; do echo "$s $k"; done
done >"$runs"

# One result file per run, read back in order.
results=$tmp/results
mkdir -p "$results"
R=$results L=$logs V=$vm xargs -P "${KEXECQ_VM_PARALLEL:-2}" -L1 sh -c \
	'r=$R/$(basename "$1" .sh).$2; "$V/run.sh" --log "$L" --kernel "$2" "$1" >"$r" 2>&1; echo $? >>"$r"' \
	_ <"$runs"
while read -r s k; do
	r=$results/$(basename "$s" .sh).$k
	if [ -f "$r" ] && [ "$(tail -1 "$r")" = 0 ]; then
		pass "$(tail -2 "$r" | head -1)"
	else
		fail "$(basename "$s" .sh) ($k kernel)"
		[ ! -f "$r" ] || sed '$d; s/^/    /' "$r"
	fi
done <"$runs"
finish
