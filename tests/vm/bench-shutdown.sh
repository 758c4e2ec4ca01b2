#!/bin/bash
# A/B figure: time the kernel spends in device shutdown on kexec with 8 edu
# devices whose callbacks take 200 ms, with and without the series, for a
# driver with ->shutdown() and one without (on the patched kernel the
# latter opts in to ->remove(), kexec_remove=1, so that it is released
# inside the shutdown walk).  Prints a table; asserts nothing.
#
# On QEMU's q35 machine: on the i440FX "pc" machine each release also
# evaluates QEMU 7.2's _PRT, an AML loop over 128 routes, which costs
# about 0.3 s under TCG (see bench-reboot.sh) and would be charged to the
# series.
#
# Usage: tests/vm/bench-shutdown.sh [N_DEVICES] [DELAY_MS]
. "$(dirname "$0")/lib.sh"

n=${1:-8}
delay=${2:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
devices=$(printf 'edu %.0s' $(seq "$n"))

# Seconds between the first callback and the last "done" before stage 2.
measure() { # log callback
	sed '/^KEXECQ-STAGE2/q' "$1" |
		sed -nE "s/^\[ *([0-9.]+)\] edu_kexec_test [^ ]+ callback=$2 (reason=|done)(.*)/\1 \2/p" |
		awk 'NR == 1 { first = $1 } { last = $1; if ($2 == "done") n++ }
		     END { if (n) printf "%d %.2f\n", n, last - first; else print "0 0" }'
}

printf '%-10s %-16s %-24s %s\n' kernel driver "callbacks on kexec" "time in device shutdown"
for has in 1 0; do
	for kernel in unpatched patched; do
		cb=shutdown
		[ $has = 0 ] && cb=remove
		s=$work/bench-$kernel-$has.sh
		cat >"$s" <<SCEN
# kernel: $kernel
# devices: $devices
# machine: q35
# timeout: 240
stage1() { load_edu has_shutdown=$has shutdown_delay_ms=$delay remove_delay_ms=$delay $([ $kernel = patched ] && [ $has = 0 ] && echo kexec_remove=1); }
SCEN
		"$vm_dir/run.sh" --log "$work" "$s" >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
		read -r count secs < <(measure "$work/bench-$kernel-$has.log" "$cb")
		what="$count x $cb"
		[ "$count" = 0 ] && what="none (left running)"
		printf '%-10s %-16s %-24s %s s\n' "$kernel" \
			"$([ $has = 1 ] && echo '->shutdown()' || echo 'no ->shutdown()')" "$what" "$secs"
	done
done
echo "($n edu devices, callbacks delayed $delay ms each; device_shutdown() is sequential, releases included)"
