#!/bin/bash
# Every VM scenario under tests/vm/scenarios: real kernels (with the
# series, its debug build, and without it) in QEMU, kexec into a second
# kernel, markers checked from the serial log.  Two scenarios run at a
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

# One result file per scenario, read back in order.
results=$tmp/results
mkdir -p "$results"
ls "$vm"/scenarios/*.sh |
	xargs -P "${KEXECQ_VM_PARALLEL:-2}" -I{} sh -c \
		'"$1/run.sh" --log "$2" "$3" >"$4/$(basename "$3" .sh)" 2>&1; echo $? >>"$4/$(basename "$3" .sh)"' \
		_ "$vm" "$logs" {} "$results"
for s in "$vm"/scenarios/*.sh; do
	r=$results/$(basename "$s" .sh)
	if [ "$(tail -1 "$r")" = 0 ]; then
		pass "$(tail -2 "$r" | head -1)"
	else
		fail "$(basename "$s" .sh)"
		sed '$d; s/^/    /' "$r"
	fi
done
finish
