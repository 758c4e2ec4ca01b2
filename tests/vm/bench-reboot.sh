#!/bin/bash
# kexecq reboot figures, on the patched kernel in QEMU (TCG) with N edu
# devices whose ->remove() and ->shutdown() take DELAY ms.  Prints, asserts
# nothing:
#  (a) quiesce wall time of `kexecq reboot --now` (Action=unbind for every
#      edu device) with --jobs 1 and with the default, the ratio, and the
#      critical path, from kexecq's own summary line;
#  (b) from the command to the next kernel: kexecq reboot --now (parallel
#      unbind) vs `kexec -s -l && kexec -e`, where the kernel shuts the
#      devices down one by one;
#  (c) the same without policies (the kernel's shutdown in both): the
#      overhead of kexecq itself.
#
# Two clocks for (b) and (c):
#  - in the guest, exact: from the GO mark the scenario writes to /dev/kmsg
#    right before the command to the kernel's "Starting new kernel" (printed
#    after device shutdown, right before machine_kexec()), both stamped by
#    the first kernel's printk clock.  Everything after that line (purgatory,
#    the next kernel's start) is the same in both: the same image, initramfs
#    and command line, loaded the same way (kexec_file_load: kexecq loads
#    with kexec -s, so the baseline does too).
#  - on the host, to the next kernel's first line ("Linux version"): a
#    watcher polls the serial log every 20 ms (so +-20 ms), which adds the
#    common tail above.
# Each figure is the median of RUNS boots, with the range.
#
# The VM is QEMU's q35 machine, not the i440FX "pc" of the other scenarios:
# QEMU 7.2's i440FX DSDT computes _PRT with an AML While loop over 128
# routes (QEMU replaced it with a precomputed table in 99cb2c6c7b, 2024),
# and every unbind of a device on a legacy interrupt evaluates _PRT
# (pci_disable_device() -> acpi_pci_irq_disable()) under ACPICA's
# interpreter lock.  Under TCG that costs about 0.3 s per unbind, one unbind
# at a time, whatever kexecq does: 8 unbinds without any ->remove() delay
# took 2.56 s with --jobs 1 and 2.57 s with --jobs 8 on "pc", 0.08 s and
# 0.05 s on q35 (kexecq apply, rebinding between runs, in one boot each).
# --pc runs (a) once on "pc" as well, to show it; `--pc 8 0 1` makes the
# comparison without ->remove() delays.
#
# With more than 16 devices (a multiple of 8: eight functions per slot on
# q35, edu8@SLOT) only (a) is measured: the question there is whether a
# wide plan still quiesces in its critical path.
#
# Usage: tests/vm/bench-reboot.sh [--pc] [N_DEVICES] [DELAY_MS] [RUNS]
. "$(dirname "$0")/lib.sh"

with_pc=
if [ "${1:-}" = --pc ]; then
	with_pc=1
	shift
fi
n=${1:-8}
delay=${2:-200}
runs=${3:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "$n" -gt 16 ]; then
	[ $((n % 8)) = 0 ] || die "more than 16 devices: a multiple of 8"
	devices=$(for s in $(seq 4 $((3 + n / 8))); do printf 'edu8@0x%x ' "$s"; done)
else
	devices=$(printf 'edu %.0s' $(seq "$n"))
fi
: "${KEXECQ:?set KEXECQ to the kexecq binary (make bench-vm does)}"
export KEXECQ

scenario() { # name machine body
	cat >"$work/$1.sh" <<SCEN
# devices: $devices
# machine: $2
# timeout: 240
stage1() {
	load_edu has_shutdown=1 shutdown_delay_ms=$delay remove_delay_ms=$delay
	$3
	fail "did not kexec"
}
SCEN
}

edu_policy='policy 10-edu.policy <<EOF2
[Match]
Driver=edu_kexec_test
[Quiesce]
Action=unbind
EOF2'
# Wait for the kernel's random pool before GO: json-c seeds its hash tables
# with getrandom(), which blocks until "crng init done" (about 3 s into this
# VM's boot, which has no entropy source), and the boot record is kexecq's
# first JSON in --now; it cost 1.0 s there, 3.6 ms natively.  A machine
# that has been up long enough to be rebooted is past that.
go='dd if=/dev/random of=/dev/null bs=1 count=1 2>/dev/null; echo KEXECQ-GO >/dev/kmsg'
scenario jobs1 q35 "$edu_policy
	$go; kexecq_reboot_now --jobs 1"
scenario jobsdefault q35 "$edu_policy
	$go; kexecq_reboot_now"
scenario nopolicy q35 "$go; kexecq_reboot_now"
scenario kexec-e q35 "$go; kexec -s -l /boot/bzImage --initrd=/boot/stage2.cpio.gz \\
		--append=\"\$(cat /proc/cmdline) kexecq.stage=2\" && kexec -e"
scenario pc-jobs1 pc "$edu_policy
	$go; kexecq_reboot_now --jobs 1"
scenario pc-jobsdefault pc "$edu_policy
	$go; kexecq_reboot_now"

# Run scenario $1; print "quiesce_s critical_s guest_go_to_jump_s host_go_to_next_s".
measure() {
	local name=$1 log=$work/$1.log t_go= t_next= now
	rm -f "$log"
	"$vm_dir/run.sh" --log "$work" "$work/$name.sh" >"$work/$name.out" 2>&1 &
	local pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		now=$(date +%s.%N)
		if [ -z "$t_go" ] && grep -q 'KEXECQ-GO' "$log" 2>/dev/null; then
			t_go=$now
		elif [ -n "$t_go" ] && [ -z "$t_next" ] &&
			[ "$(grep -c 'Linux version' "$log" 2>/dev/null)" -ge 2 ]; then
			t_next=$now
		fi
		sleep 0.02
	done
	wait "$pid" || { cat "$work/$name.out" >&2; return 1; }
	local q c g_go g_jump
	# "kexecq: 8 steps: 8 done; 1.271 s, critical path 1.013 s"
	read -r q c < <(sed -nE 's/.*kexecq: [0-9]+ steps?: .*; ([0-9.]+) s, critical path ([0-9.]+) s.*/\1 \2/p' "$log" | head -1) || true
	g_go=$(sed -nE 's/^\[ *([0-9.]+)\] KEXECQ-GO.*/\1/p' "$log" | head -1)
	g_jump=$(sed -nE 's/^\[ *([0-9.]+)\] kexec_core: Starting new kernel.*/\1/p' "$log" | head -1)
	[ -n "$g_go" ] && [ -n "$g_jump" ] && [ -n "$t_go" ] && [ -n "$t_next" ] ||
		{ echo "$name: no GO mark, jump or next kernel in $log" >&2; return 1; }
	printf '%s %s %.3f %.3f\n' "${q:-0}" "${c:-0}" "$(echo "$g_jump - $g_go" | bc)" \
		"$(echo "$t_next - $t_go" | bc)"
}

# med[NAME.COL]: the median of column COL of NAME's runs; fig[NAME.COL]: it
# with the range, "median (min-max)".
declare -A med fig
summarise() { # name
	local c v lo hi
	for c in 1 2 3 4; do
		read -r v lo hi < <(awk -v c="$c" '{ print $c }' "$work/$1.runs" | sort -n |
			awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)], a[1], a[NR] }')
		med[$1.$c]=$v
		if [ "$lo" = "$hi" ]; then
			fig[$1.$c]=$(printf '%.3f' "$v")
		else
			fig[$1.$c]=$(printf '%.3f (%.3f-%.3f)' "$v" "$lo" "$hi")
		fi
	done
}

names="jobs1 jobsdefault nopolicy kexec-e"
[ "$n" -le 16 ] || names="jobs1 jobsdefault"
[ -z "$with_pc" ] || names="$names pc-jobs1 pc-jobsdefault"
for name in $names; do
	: >"$work/$name.runs"
	r=$runs
	case $name in pc-*) r=1 ;; esac
	for i in $(seq "$r"); do
		measure "$name" >>"$work/$name.runs" || exit 1
	done
	summarise "$name"
done
jobs=$(sed -nE 's/.*kexecq: quiescing: [0-9]+ steps?, ([0-9]+) at a time.*/\1/p' "$work/jobsdefault.log" | head -1)

ratio() { echo "scale=2; $1 / $2" | bc; }
pct() { echo "scale=1; ($1 - $2) * 100 / $2" | bc; }
row() { printf '    %-38s %-24s %s\n' "$@"; }
echo "kexecq reboot --now: $n edu devices, ->remove() and ->shutdown() $delay ms each;"
echo "median (min-max) of $runs run(s); QEMU TCG, q35, -smp 2; the default ran ${jobs:-?} steps at a time"
echo
echo "(a) quiesce, from kexecq's summary"
row "" "wall s" "critical path s"
row "--jobs 1" "${fig[jobs1.1]}" "${fig[jobs1.2]}"
row "default" "${fig[jobsdefault.1]}" "${fig[jobsdefault.2]}"
echo "    sequential / parallel:    $(ratio "${med[jobs1.1]}" "${med[jobsdefault.1]}")x   (target >= 6x)"
echo "    parallel / critical path: $(ratio "${med[jobsdefault.1]}" "${med[jobsdefault.2]}")x   (target <= 1.2x)"
if [ -n "$with_pc" ]; then
	echo "    on \"pc\" (i440FX), 1 run: --jobs 1 ${fig[pc-jobs1.1]} s, default ${fig[pc-jobsdefault.1]} s, critical path ${fig[pc-jobsdefault.2]} s"
fi
[ "$n" -le 16 ] || exit 0
echo
echo "(b) from the command to the next kernel"
row "" "guest: GO -> jump s" "host: GO -> next kernel s"
row "kexecq reboot --now (parallel unbind)" "${fig[jobsdefault.3]}" "${fig[jobsdefault.4]}"
row "kexec -s -l && kexec -e (serial)" "${fig[kexec-e.3]}" "${fig[kexec-e.4]}"
echo "    kexec -e / kexecq: $(ratio "${med[kexec-e.3]}" "${med[jobsdefault.3]}")x to the jump, $(ratio "${med[kexec-e.4]}" "${med[jobsdefault.4]}")x to the next kernel   (target: kexecq faster)"
echo
echo "(c) no policies: kexecq's own overhead"
row "" "guest: GO -> jump s" "host: GO -> next kernel s"
row "kexecq reboot --now, no policies" "${fig[nopolicy.3]}" "${fig[nopolicy.4]}"
row "kexec -s -l && kexec -e" "${fig[kexec-e.3]}" "${fig[kexec-e.4]}"
echo "    overhead: $(echo "${med[nopolicy.3]} - ${med[kexec-e.3]}" | bc) s, $(pct "${med[nopolicy.3]}" "${med[kexec-e.3]}") % to the jump; $(pct "${med[nopolicy.4]}" "${med[kexec-e.4]}") % to the next kernel   (target <= 5 %)"
