#!/bin/bash
# kexecq reboot figures, on the patched kernel in QEMU (TCG) with N edu
# devices whose ->remove() and ->shutdown() take DELAY ms.  Prints, asserts
# nothing:
#  (a) quiesce wall time of `kexecq reboot --now` (Action=unbind for every
#      edu device) with --jobs 1, the default (4 here) and one per device,
#      the ratios, and the critical path, from kexecq's own summary line;
#  (b) from the command to the second kernel's first line: kexecq reboot
#      --now (parallel unbind) vs `kexec -l && kexec -e`, where the kernel
#      shuts the devices down one by one;
#  (c) the same without policies (the kernel's shutdown in both): the
#      overhead of kexecq itself.
# (b) and (c) are taken on the host: a watcher notes when the serial log
# gets the scenario's KEXECQ-GO marker and the second kernel's
# "Linux version" line (polled every 20 ms, so ±20 ms).  TCG is slow and
# noisy: read the figures as ratios.
#
# Usage: tests/vm/bench-reboot.sh [N_DEVICES] [DELAY_MS] [RUNS]
. "$(dirname "$0")/lib.sh"

n=${1:-8}
delay=${2:-200}
runs=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
devices=$(printf 'edu %.0s' $(seq "$n"))
: "${KEXECQ:?set KEXECQ to the kexecq binary (make bench does)}"
export KEXECQ

scenario() { # name body
	cat >"$work/$1.sh" <<SCEN
# devices: $devices
# timeout: 240
stage1() {
	load_edu has_shutdown=1 shutdown_delay_ms=$delay remove_delay_ms=$delay
	$2
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
scenario jobs1 "$edu_policy
	mark GO; kexecq_reboot_now --jobs 1"
scenario jobsdefault "$edu_policy
	mark GO; kexecq_reboot_now"
scenario jobsall "$edu_policy
	mark GO; kexecq_reboot_now --jobs $n"
scenario nopolicy "mark GO; kexecq_reboot_now"
scenario kexec-e "mark GO; load_kexec && kexec -e"

# Run scenario $1 and print "quiesce_s critical_s go_to_next_kernel_s".
measure() {
	local name=$1 log=$work/$1.log t_go= t_next= now
	rm -f "$log"
	"$vm_dir/run.sh" --log "$work" "$work/$name.sh" >"$work/$name.out" 2>&1 &
	local pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		now=$(date +%s.%N)
		if [ -z "$t_go" ] && grep -q '^KEXECQ-GO' "$log" 2>/dev/null; then
			t_go=$now
		elif [ -n "$t_go" ] && [ -z "$t_next" ] &&
			[ "$(grep -c 'Linux version' "$log" 2>/dev/null)" -ge 2 ]; then
			t_next=$now
		fi
		sleep 0.02
	done
	wait "$pid" || { cat "$work/$name.out" >&2; return 1; }
	# "kexecq: 8 steps: 8 done; 1.271 s, critical path 1.013 s"
	sed -nE 's/.*kexecq: [0-9]+ steps?: .*; ([0-9.]+) s, critical path ([0-9.]+) s.*/\1 \2/p' "$log" |
		head -1 | { read -r q c || true; printf "%s %s %.2f\n" "${q:-0}" "${c:-0}" "$(echo "${t_next:-0} - ${t_go:-0}" | bc)"; }
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

declare -A q c g
for name in jobs1 jobsdefault jobsall nopolicy kexec-e; do
	: >"$work/$name.q"; : >"$work/$name.c"; : >"$work/$name.g"
	for i in $(seq "$runs"); do
		read -r a b d < <(measure "$name") || exit 1
		echo "$a" >>"$work/$name.q"
		echo "$b" >>"$work/$name.c"
		echo "$d" >>"$work/$name.g"
	done
	q[$name]=$(median <"$work/$name.q")
	c[$name]=$(median <"$work/$name.c")
	g[$name]=$(median <"$work/$name.g")
done

ratio() { echo "scale=2; $1 / $2" | bc; }
echo "kexecq reboot --now: $n edu devices, ->remove() and ->shutdown() $delay ms each, median of $runs runs (QEMU TCG, -smp 2)"
echo
echo "(a) quiesce (kexecq's summary)          wall s   critical path s"
printf '    --jobs 1                          %6s   %6s\n' "${q[jobs1]}" "${c[jobs1]}"
printf '    default (4 in this 2-CPU VM)      %6s   %6s\n' "${q[jobsdefault]}" "${c[jobsdefault]}"
printf '    --jobs %-2s (one per device)      %6s   %6s\n' "$n" "${q[jobsall]}" "${c[jobsall]}"
echo "    sequential / parallel:    $(ratio "${q[jobs1]}" "${q[jobsdefault]}")x default, $(ratio "${q[jobs1]}" "${q[jobsall]}")x --jobs $n   (target >= 6x)"
echo "    parallel / critical path: $(ratio "${q[jobsdefault]}" "${c[jobsdefault]}")x default, $(ratio "${q[jobsall]}" "${c[jobsall]}")x --jobs $n   (target <= 1.2x)"
echo
echo "(b) command to the second kernel's first line (host clock)"
printf '    kexecq reboot --now (parallel unbind)   %6s s\n' "${g[jobsdefault]}"
printf '    kexec -l && kexec -e (serial shutdown)  %6s s\n' "${g[kexec-e]}"
echo "    kexec -e / kexecq: $(ratio "${g[kexec-e]}" "${g[jobsdefault]}")x"
echo
echo "(c) no policies: kexecq's own overhead"
printf '    kexecq reboot --now, no policies        %6s s\n' "${g[nopolicy]}"
printf '    kexec -l && kexec -e                    %6s s\n' "${g[kexec-e]}"
echo "    overhead: $(echo "scale=1; (${g[nopolicy]} - ${g[kexec-e]}) * 100 / ${g[kexec-e]}" | bc) %   (target <= 5 %)"
