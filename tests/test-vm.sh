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
# Debian's kernel is fetched once here and every run uses that one
# (KEXECQ_VM_DEBIAN), even if apt learns of a newer one meanwhile.  Without
# it the other kernels' runs still go.
if KEXECQ_VM_DEBIAN=$("$vm/debian-kernel.sh" 2>"$logs/debian-kernel.out"); then
	export KEXECQ_VM_DEBIAN
	pass "Debian's kernel: $(cat "$KEXECQ_VM_DEBIAN/package")"
else
	fail "Debian's kernel (tests/vm/debian-kernel.sh); its runs are left out"
	tail -30 "$logs/debian-kernel.out" | sed 's/^/    /'
	KEXECQ_VM_DEBIAN=
fi

# The runs: SCENARIO<TAB>KERNEL, a line each (a kernel listed twice runs once).
runs=$tmp/runs
for s in "$vm"/scenarios/*.sh; do
	kernels=$(sed -n 's/^# kernel: *//p' "$s" | head -1)
	for k in $(printf '%s\n' ${kernels:-patched} | awk '!seen[$0]++'); do
		[ "$k" != debian ] || [ -n "$KEXECQ_VM_DEBIAN" ] || continue
		printf '%s\t%s\n' "$s" "$k"
	done
done >"$runs"

# One result file per run, read back in order.
results=$tmp/results
mkdir -p "$results"
R=$results L=$logs V=$vm xargs -d '\n' -P "${KEXECQ_VM_PARALLEL:-2}" -n1 sh -c \
	's=${1%%	*} k=${1#*	}; r=$R/$(basename "$s" .sh).$k
	"$V/run.sh" --log "$L" --kernel "$k" "$s" >"$r" 2>&1; echo $? >>"$r"' \
	_ <"$runs"
while IFS=$(printf '\t') read -r s k; do
	r=$results/$(basename "$s" .sh).$k
	if [ -f "$r" ] && [ "$(tail -1 "$r")" = 0 ]; then
		pass "$(tail -2 "$r" | head -1)"
	else
		fail "$(basename "$s" .sh) ($k kernel)"
		if [ -f "$r" ]; then sed '$d; s/^/    /' "$r"; else echo "    no result (killed?)"; fi
	fi
done <"$runs"
finish
