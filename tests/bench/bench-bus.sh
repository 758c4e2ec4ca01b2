#!/bin/bash
# kexecqd's figures (issue 16): Plan latency through the bus for the
# 4096-function snapshot of bench-plan (median and p99 of N calls) against
# the in-process CLI on the same snapshot, and the idle daemon's memory.
# Prints figures, asserts nothing.  Needs root (to own org.kexecq1) and
# dbus-daemon; runs its own private bus.
#
#   tests/bench/bench-bus.sh BUILDDIR [N]
set -euo pipefail
b=$(cd "${1:?build directory}" && pwd)
n=${2:-1000}
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT

"$b/tests/bench/bench-plan" --runs 1 --save "$tmp/server.json" >/dev/null
cat >"$tmp/bus.conf" <<EOF2
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "https://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
  </policy>
</busconfig>
EOF2
dbus-daemon --config-file="$tmp/bus.conf" --nofork --nopidfile 2>/dev/null &
pids+=($!)
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/bus
for _ in $(seq 50); do [ -S "$tmp/bus" ] && break; sleep 0.1; done
"$b/kexecqd" --inventory "$tmp/server.json" -P "$top/policy" 2>/dev/null &
d=$!
pids+=($d)
for _ in $(seq 100); do
	kill -0 $d 2>/dev/null || { echo "bench-bus: kexecqd did not start" >&2; exit 1; }
	timeout 5 busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status org.kexecq1 >/dev/null 2>&1 && break
	sleep 0.1
done
sleep 0.5
echo "kexecqd idle, serving the 4096-function snapshot: RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$d/status)"
"$b/tests/bench/bench-bus" "$n"
echo "kexecqd after $n plans: RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$d/status)"
# The CLI in process: a process per plan, reading the snapshot and the policies each time.
runs=$(( n < 100 ? n : 100 ))
start=$(date +%s.%N)
for _ in $(seq "$runs"); do "$b/kexecq" --no-daemon plan --inventory "$tmp/server.json" -P "$top/policy" >/dev/null; done
end=$(date +%s.%N)
echo "kexecq plan in process, $runs runs: mean $(echo "($end - $start) * 1000 / $runs" | bc -l | xargs printf '%.1f') ms per plan"

# A device event to a refreshed inventory, on this machine's own devices
# (a second kexecqd, live): "change" written to a PCI function's uevent
# file is a real kernel event.  Arming (kexec by default) adds the freeze
# of the plan after it; the kexec-by-default VM scenario prints that whole
# time (KEXECQ-FIGURE).
kill $d
wait $d 2>/dev/null || true
uevent=$(ls /sys/bus/pci/devices/*/uevent 2>/dev/null | head -1)
if [ -z "$uevent" ] || ! [ -w "$uevent" ]; then
	echo "bench-bus: no writable PCI uevent file here: no event figure"
	exit 0
fi
mkdir -p "$tmp/run" "$tmp/dropin"
"$b/kexecqd" -P "$top/policy" --config "$tmp/kexecq.conf" --run-dir "$tmp/run" \
	--dropin-dir "$tmp/dropin" 2>/dev/null &
d=$!
pids+=($d)
for _ in $(seq 100); do
	timeout 5 busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" status org.kexecq1 >/dev/null 2>&1 && break
	sleep 0.1
done
echo "kexecqd idle, serving this machine: RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$d/status)"
"$b/tests/bench/bench-bus" --events "${EVENTS:-50}" "$uevent"
