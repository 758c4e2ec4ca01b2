#!/bin/bash
# Every VM scenario under tests/vm/scenarios: real kernels (with and
# without the series) in QEMU, kexec into a second kernel, markers checked
# from the serial log.  Skipped, with the reason, when the prerequisites
# are missing or KEXECQ_VM_TESTS=skip.
. "${top_srcdir:-.}/tests/lib.sh"

require_vm

logs=${top_builddir:-.}/tests/vm-logs
mkdir -p "$logs"
# Build both kernels first so that a build failure is reported once, clearly.
for k in "" --unpatched; do
	if ! "$vm/kbuild.sh" $k >"$logs/kbuild${k:-}.out" 2>&1; then
		fail "kernel build${k:+ ($k)}"
		tail -30 "$logs/kbuild${k:-}.out"
		finish
		exit 1
	fi
	pass "kernel build${k:+ ($k)}: $(tail -1 "$logs/kbuild${k:-}.out")"
done

for s in "$vm"/scenarios/*.sh; do
	if out=$("$vm/run.sh" --log "$logs" "$s" 2>&1); then
		pass "$(echo "$out" | tail -1)"
	else
		fail "$(basename "$s" .sh)"
		echo "$out" | sed 's/^/    /'
	fi
done
finish
