#!/bin/bash
# kexecqd on a private dbus-daemon with the repo's system-bus policy
# (contrib/dbus/org.kexecq1.conf): the published interface is the one in
# contrib/dbus/org.kexecq1.Manager.xml; Plan and Check answer the bytes
# `kexecq plan` and `kexecq check` print, with their exit status; bad
# options get a clear D-Bus error; an unprivileged caller (nobody) may
# read but not Reload; Reload rescans and signals InventoryChanged.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" = 0 ] || skip "needs root (to own org.kexecq1 and to call as nobody)"
command -v dbus-daemon >/dev/null || skip "dbus-daemon not installed"
command -v busctl >/dev/null || skip "busctl not installed"
command -v python3 >/dev/null || skip "python3 not installed"
KEXECQD=${KEXECQD:-${top_builddir:-.}/kexecqd}
src=${top_srcdir:-.}
lib=$src/policy

chmod 755 "$tmp"
cat >"$tmp/bus.conf" <<EOF2
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "https://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$tmp/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Monitoring"/>
  </policy>
  <!-- The stand-in for polkitd (tests/fake-polkit.c). -->
  <policy user="root">
    <allow own="org.freedesktop.PolicyKit1"/>
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>
  <include>$(cd "$src" && pwd)/contrib/dbus/org.kexecq1.conf</include>
</busconfig>
EOF2
dbus-daemon --config-file="$tmp/bus.conf" --nofork --nopidfile 2>"$tmp/bus.log" &
bus_pid=$!
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$tmp/bus
for _ in $(seq 50); do [ -S "$tmp/bus" ] && break; sleep 0.1; done
mkdir -p "$tmp/run" "$tmp/dropin" "$tmp/extra"
# A second policy directory, empty but while the file watch is tested.
"$KEXECQD" -P "$lib" -P "$tmp/extra" --driver-tables "$src/contrib" --config "$tmp/kexecq.conf" \
	--run-dir "$tmp/run" --dropin-dir "$tmp/dropin" 2>"$tmp/kexecqd.log" &
d_pid=$!
trap 'kill $d_pid $bus_pid 2>/dev/null; rm -rf "$tmp"' EXIT
bc() { busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" "$@"; }
getp() { bc get-property org.kexecq1 /org/kexecq1 org.kexecq1.Manager "$1" | cut -d' ' -f2; }
for _ in $(seq 100); do bc status org.kexecq1 >/dev/null 2>&1 && break; sleep 0.1; done
if bc status org.kexecq1 >/dev/null 2>&1; then pass "kexecqd owns org.kexecq1"; else
	fail "kexecqd did not come up"; cat "$tmp/kexecqd.log"; finish; exit; fi

# --- the interface is the documented one
bc introspect --xml-interface org.kexecq1 /org/kexecq1 >"$tmp/intro.xml"
iface() { python3 -c 'import re,sys; print(re.search(r"<interface name=\"org.kexecq1.Manager\">.*?</interface>", open(sys.argv[1]).read(), re.S).group(0))' "$1"; }
if diff -u <(iface "$src/contrib/dbus/org.kexecq1.Manager.xml") <(iface "$tmp/intro.xml") >"$tmp/diff"; then
	pass "the published interface is contrib/dbus/org.kexecq1.Manager.xml"
else
	fail "the published interface differs from contrib/dbus/org.kexecq1.Manager.xml"
	sed 's/^/    /' "$tmp/diff"
fi

# --- Plan and Check: the CLI's bytes and exit status
# call METHOD [OPTIONS...] -> $tmp/report, $tmp/status, $tmp/messages
call() {
	local as=${AS:-}
	$as busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" --json=short call org.kexecq1 /org/kexecq1 \
		org.kexecq1.Manager "$@" >"$tmp/reply.json" 2>"$tmp/call.err" || return 1
	python3 - "$tmp" <<'PY'
import json, sys
t = sys.argv[1]
d = json.load(open(t + "/reply.json"))["data"]
if not isinstance(d[0], str):  # Reload: (uu)
    sys.exit(0)
open(t + "/report", "w").write(d[0])
open(t + "/status", "w").write(str(d[1]))
open(t + "/messages", "w").write("".join("%d %s\n" % (l, m) for l, m in d[2]))
PY
}
same() { # what, cli-status, cli command...
	local what=$1 want=$2
	shift 2
	"$@" >"$tmp/cli.out" 2>/dev/null
	local got=$?
	if [ "$got" != "$want" ]; then fail "$what: the CLI exited $got, expected $want"; return; fi
	if cmp -s "$tmp/cli.out" "$tmp/report" && [ "$(cat "$tmp/status")" = "$want" ]; then
		pass "$what: the same bytes and exit status as the CLI"
	else
		fail "$what differs from the CLI (bus status $(cat "$tmp/status"))"
		diff -u "$tmp/cli.out" "$tmp/report" | head -20 | sed 's/^/    /'
	fi
}
call Plan 'a{sv}' 0 && same "Plan" 0 "$KEXECQ" -P "$lib" plan
call Plan 'a{sv}' 2 json b true explain b false && same "Plan json" 0 "$KEXECQ" -P "$lib" plan --json
call Plan 'a{sv}' 1 explain b true && same "Plan explain" 0 "$KEXECQ" -P "$lib" plan --explain
call Plan 'a{sv}' 1 dot b true && same "Plan dot" 0 "$KEXECQ" -P "$lib" plan --dot
call Check 'a{sv}' 0 && st=$(cat "$tmp/status") && same "Check" "$st" "$KEXECQ" -P "$lib" check --driver-tables "$src/contrib"
call Check 'a{sv}' 1 json b true && st=$(cat "$tmp/status") && same "Check json" "$st" "$KEXECQ" -P "$lib" check --json --driver-tables "$src/contrib"

# --- the CLI as the daemon's client: the same stdout, stderr and exit status
for cmd in "plan" "plan --json" "plan --explain" "plan --dot" "check" "check --json"; do
	# shellcheck disable=SC2086 # words on purpose
	"$KEXECQ" $cmd >"$tmp/d.out" 2>"$tmp/d.err"
	ds=$?
	# The daemon's own sources: its -P and --driver-tables.
	extra=()
	case $cmd in check*) extra=(--driver-tables "$src/contrib") ;; esac
	# shellcheck disable=SC2086
	"$KEXECQ" --no-daemon -P "$lib" $cmd "${extra[@]}" >"$tmp/p.out" 2>"$tmp/p.err"
	ps=$?
	if cmp -s "$tmp/d.out" "$tmp/p.out" && cmp -s "$tmp/d.err" "$tmp/p.err" && [ $ds = $ps ]; then
		pass "kexecq $cmd: through kexecqd as in process (exit $ds)"
	else
		fail "kexecq $cmd differs through kexecqd (exit $ds vs $ps)"
		diff -u "$tmp/p.out" "$tmp/d.out" | head -10 | sed 's/^/    /'
		diff -u "$tmp/p.err" "$tmp/d.err" | head -10 | sed 's/^/    /'
	fi
done
# load and reboot: dry runs (and a kernel that is not there) only, never a real one here.
for cmd in "load --dry-run --kernel /nonexistent/vmlinuz" "load --kernel /nonexistent/vmlinuz" \
	"reboot --dry-run --kernel /nonexistent/vmlinuz --append quiet"; do
	# shellcheck disable=SC2086 # words on purpose
	"$KEXECQ" --log-level=debug $cmd >/dev/null 2>"$tmp/d.err"
	grep -q "Answered by kexecqd" "$tmp/d.err" || fail "kexecq $cmd did not go through kexecqd"
	# shellcheck disable=SC2086
	"$KEXECQ" $cmd >"$tmp/d.out" 2>"$tmp/d.err"
	ds=$?
	# The daemon's policies (load reads none).
	P=(-P "$lib" -P "$tmp/extra")
	case $cmd in load*) P=() ;; esac
	# shellcheck disable=SC2086
	"$KEXECQ" --no-daemon "${P[@]}" $cmd >"$tmp/p.out" 2>"$tmp/p.err"
	ps=$?
	if cmp -s "$tmp/d.out" "$tmp/p.out" && cmp -s "$tmp/d.err" "$tmp/p.err" && [ $ds = $ps ]; then
		pass "kexecq $cmd: through kexecqd as in process (exit $ds)"
	else
		fail "kexecq $cmd differs through kexecqd (exit $ds vs $ps)"
		diff -u "$tmp/p.out" "$tmp/d.out" | head -10 | sed 's/^/    /'
		diff -u "$tmp/p.err" "$tmp/d.err" | head -10 | sed 's/^/    /'
	fi
done
# A relative kernel path is the caller's, not the daemon's working directory.
cp /bin/true "$tmp/vmlinuz-rel"
(cd "$tmp" && "$KEXECQ" load --dry-run --kernel vmlinuz-rel) >"$tmp/d.out" 2>&1
(cd "$tmp" && "$KEXECQ" --no-daemon load --dry-run --kernel vmlinuz-rel) >"$tmp/p.out" 2>&1
cmp -s "$tmp/d.out" "$tmp/p.out" && grep -q "$tmp/vmlinuz-rel" "$tmp/d.out" &&
	pass "kexecq load --kernel RELATIVE: the caller's directory, through kexecqd too" ||
	{ fail "a relative --kernel differs through kexecqd"; diff "$tmp/p.out" "$tmp/d.out" | head -5; }
call Load 'a{sv}' 2 kernel s vmlinuz dry_run b true
expect call.err "must be absolute paths" "Load refuses a relative kernel path"
# Refused by the daemon: said, and not run in process instead.
setpriv --reuid=65534 --regid=65534 --clear-groups "$KEXECQ" reboot --dry-run --kernel /nonexistent/vmlinuz >/dev/null 2>"$tmp/err"
st=$?
[ $st = 1 ] && grep -q "kexecqd refused Reboot: " "$tmp/err" &&
	pass "nobody's kexecq reboot: kexecqd refuses, exit 1, nothing run in process" ||
	{ fail "nobody's kexecq reboot: exit $st"; sed 's/^/    /' "$tmp/err"; }
"$KEXECQ" --log-level=debug plan >/dev/null 2>"$tmp/err"
expect err "Answered by kexecqd." "kexecq plan asks kexecqd when it is on the bus"
"$KEXECQ" --log-level=debug --no-daemon plan >/dev/null 2>"$tmp/err"
if grep -q "Answered by kexecqd" "$tmp/err"; then fail "--no-daemon asked kexecqd"; else pass "--no-daemon runs in process"; fi
# --- bad arguments: a clear D-Bus error, nothing else
call Plan 'a{sv}' 1 bogus b true
expect call.err 'Unknown option "bogus"' "an unknown option is refused by name"
call Plan 'a{sv}' 1 json s yes
expect call.err 'Option "json" takes a boolean' "an option of the wrong type is refused"
call Plan s hello
expect call.err "Invalid argument" "a call with the wrong signature is refused"

# --- access: everyone reads, only root (or polkit) reloads
AS="setpriv --reuid=65534 --regid=65534 --clear-groups" call Plan 'a{sv}' 0 && pass "nobody may Plan"
if AS="setpriv --reuid=65534 --regid=65534 --clear-groups" call Reload; then
	fail "nobody may Reload"
else
	expect call.err "Access denied" "nobody is denied Reload (AccessDenied)"
fi
for m in "Load a{sv} 0" "Unload a{sv} 0" "Reboot a{sv} 1 dry_run b true"; do
	# shellcheck disable=SC2086
	if AS="setpriv --reuid=65534 --regid=65534 --clear-groups" call $m; then
		fail "nobody may ${m%% *}"
	else
		expect call.err "Access denied" "nobody is denied ${m%% *}"
	fi
done
# Load, Unload, Reboot as root: never a real reboot here, only dry runs and failures.
call Load 'a{sv}' 2 kernel s /nonexistent/vmlinuz dry_run b true
st=$(cat "$tmp/status")
[ "$st" = 1 ] && pass "Load of a missing kernel: exit status 1" || fail "Load of a missing kernel: status $st"
expect report "kernel /nonexistent/vmlinuz: No such file or directory" "Load names the missing kernel"
call Load 'a{sv}' 1 kernel s /nonexistent/vmlinuz
[ "$(cat "$tmp/status")" = 1 ] && pass "Load without dry run of a missing kernel fails, nothing loaded" || fail "Load of a missing kernel did not fail"
[ "$(getp KexecLoaded)" = false ] &&
	pass "KexecLoaded stays false" || fail "KexecLoaded is not false"
call Reboot 'a{sv}' 2 dry_run b true kernel s /nonexistent/vmlinuz
expect report "Then quiesce:" "Reboot dry_run shows the plan"
call Load 'a{sv}' 1 deadline_usec t 5
expect call.err 'Unknown option "deadline_usec"' "Load refuses a Reboot option"
call Reboot 'a{sv}' 1 jobs s many
expect call.err 'Option "jobs" takes type u' "Reboot refuses an option of the wrong type"
call Reboot 'a{sv}' 2 dry_run b true if_stuck s never
expect call.err "if_stuck must be restart, abort or kexec" "Reboot refuses an unknown if_stuck"
gen0=$(bc get-property org.kexecq1 /org/kexecq1 org.kexecq1.Manager InventoryGeneration | cut -d' ' -f2)
dbus-monitor --address "$DBUS_SYSTEM_BUS_ADDRESS" "type='signal',interface='org.kexecq1.Manager'" >"$tmp/monitor" 2>&1 &
mon=$!
sleep 0.5
if call Reload; then pass "root may Reload"; else fail "root cannot Reload: $(cat "$tmp/call.err")"; fi
sleep 0.5
kill $mon 2>/dev/null
gen1=$(bc get-property org.kexecq1 /org/kexecq1 org.kexecq1.Manager InventoryGeneration | cut -d' ' -f2)
[ "$gen1" -gt "$gen0" ] && pass "Reload rescans (InventoryGeneration $gen0 -> $gen1)" || fail "InventoryGeneration did not move ($gen0 -> $gen1)"
expect monitor "member=InventoryChanged" "Reload signals InventoryChanged"
bc get-property org.kexecq1 /org/kexecq1 org.kexecq1.Manager State >"$tmp/state"
expect state 's "idle"' "State is idle between calls"
bc get-property org.kexecq1 /org/kexecq1 org.kexecq1.Manager PolicyCount >"$tmp/count"
expect count "u $(ls "$lib"/*.policy | wc -l)" "PolicyCount counts the library"
# --- the live inventory: device events are counted, queued and applied, none lost
dev=$(ls /sys/bus/pci/devices | head -1)
r0=$(getp EventsReceived)
a0=$(getp EventsApplied)
g0=$(getp InventoryGeneration)
for _ in 1 2 3 4 5; do echo change >"/sys/bus/pci/devices/$dev/uevent"; done
for _ in $(seq 50); do [ "$(getp EventsApplied)" -ge $((a0 + 5)) ] && break; sleep 0.1; done
r1=$(getp EventsReceived)
a1=$(getp EventsApplied)
g1=$(getp InventoryGeneration)
if [ $((r1 - r0)) -ge 5 ] && [ "$a1" = "$r1" ] && [ "$g1" -gt "$g0" ]; then
	pass "5 uevents on $dev: received $((r1 - r0)), applied by a rescan (generation $g0 -> $g1)"
else
	fail "uevents: received $r0 -> $r1, applied $a0 -> $a1, generation $g0 -> $g1"
fi
[ "$(getp EventsLost)" = 0 ] && pass "no event lost" || fail "events lost: $(getp EventsLost)"

# --- polkit (a stand-in): asked for callers other than root, never blocking the daemon
fake=${top_builddir:-.}/tests/fake-polkit
polkit() { # ANSWER DELAY
	[ -n "${pk:-}" ] && kill $pk 2>/dev/null && wait $pk 2>/dev/null
	"$fake" "$1" "$2" >"$tmp/polkit.out" 2>&1 &
	pk=$!
	for _ in $(seq 50); do grep -q ready "$tmp/polkit.out" && break; sleep 0.1; done
}
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
polkit yes 0
if AS=$NOBODY call Reload; then pass "nobody may Reload when polkit says yes"; else fail "polkit said yes, Reload failed: $(cat "$tmp/call.err")"; fi
expect polkit.out "asked org.kexecq1.reboot interactive=1" "polkit is asked about org.kexecq1.reboot, with interaction when the caller allows it (busctl does)"
$NOBODY busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" --allow-interactive-authorization=no call org.kexecq1 /org/kexecq1 org.kexecq1.Manager Reload >/dev/null 2>&1
expect polkit.out "asked org.kexecq1.reboot interactive=0" "and without, when it does not"
polkit no 0
AS=$NOBODY call Reload
expect call.err "Not authorized for org.kexecq1.reboot" "polkit's no is NotAuthorized"
# While polkit thinks (5 s), others are answered: the property read must
# come back while the Reload is still waiting (an order, not a time limit).
polkit yes 5
$NOBODY busctl --address="$DBUS_SYSTEM_BUS_ADDRESS" call org.kexecq1 /org/kexecq1 org.kexecq1.Manager Reload >/dev/null 2>&1 &
slow=$!
for _ in $(seq 50); do grep -q "asked org.kexecq1.reboot" "$tmp/polkit.out" && break; sleep 0.1; done
getp State >/dev/null
if kill -0 $slow 2>/dev/null; then
	pass "the daemon answers others while polkit thinks"
else
	fail "the property read came back only after polkit had answered"
fi
wait $slow && pass "the pending Reload is answered once polkit says yes" || fail "the pending Reload failed"
kill $pk 2>/dev/null
wait $pk 2>/dev/null

# --- kexec by default: off, then on; here it cannot arm, and says so, leaving nothing behind
bc get-property org.kexecq1 /org/kexecq1 org.kexecq1.Manager NextReboot >"$tmp/next"
expect next "firmware: kexec by default is off" "NextReboot says the next reboot is a firmware one"
if [ -d /run/systemd/system ]; then
	# Arming here would load this machine's kernel for real: not in a test.
	echo "# skipping kexec by default: PID 1 is systemd on this machine"
else
	run 0 "$KEXECQ" enable --config "$tmp/kexecq.conf" &&
		expect out "KexecByDefault=yes" "kexecq enable writes the setting" &&
		expect out "Next reboot: firmware: cannot arm kexec (" "enable asks kexecqd, which says why it cannot arm"
	[ "$(getp KexecByDefault)" = true ] && pass "KexecByDefault is true" || fail "KexecByDefault is not true"
	grep -q "Cannot arm the next reboot for kexec" "$tmp/kexecqd.log" &&
		pass "the failure to arm is logged loudly" || fail "the failure to arm is not in kexecqd's log"
	[ ! -e "$tmp/run/frozen" ] && [ ! -e "$tmp/dropin/50-kexecq.conf" ] &&
		pass "nothing half done: no frozen plan, no drop-in" || fail "a failed arm left a frozen plan or a drop-in"
	run 0 "$KEXECQ" disable --config "$tmp/kexecq.conf" &&
		expect out "Next reboot: firmware: kexec by default is off" "kexecq disable turns it off"
fi

# --- the policy directories and the settings are watched: no Reload needed
n0=$(getp PolicyCount)
printf '[Match]\nDriver=watched\n[Quiesce]\nAction=unbind\n' >"$tmp/extra/99-watched.policy"
for _ in $(seq 50); do [ "$(getp PolicyCount)" = $((n0 + 1)) ] && break; sleep 0.1; done
[ "$(getp PolicyCount)" = $((n0 + 1)) ] && pass "a new policy file is seen without Reload" ||
	fail "PolicyCount stayed $(getp PolicyCount) after a policy file was added"
rm "$tmp/extra/99-watched.policy"
for _ in $(seq 50); do [ "$(getp PolicyCount)" = "$n0" ] && break; sleep 0.1; done
[ "$(getp PolicyCount)" = "$n0" ] && pass "a removed policy file is seen without Reload" ||
	fail "PolicyCount stayed $(getp PolicyCount) after a policy file was removed"
# A file system mounted over a watched directory (an automounted /boot coming back) is a change.
mkdir -p "$tmp/other"
if mount -t tmpfs kexecq-test "$tmp/other" 2>/dev/null &&
	printf '[Match]\nDriver=mounted\n[Quiesce]\nAction=unbind\n' >"$tmp/other/98-mounted.policy" &&
	mount --move "$tmp/other" "$tmp/extra" 2>/dev/null; then
	for _ in $(seq 50); do [ "$(getp PolicyCount)" = $((n0 + 1)) ] && break; sleep 0.1; done
	[ "$(getp PolicyCount)" = $((n0 + 1)) ] && pass "a file system mounted over a policy directory is seen" ||
		fail "PolicyCount stayed $(getp PolicyCount) after a mount over a policy directory"
	umount "$tmp/extra"
	# The unmount is not a change by itself; a Reload reads the directory again.
	bc call org.kexecq1 /org/kexecq1 org.kexecq1.Manager Reload >/dev/null
else
	umount "$tmp/other" 2>/dev/null
	echo "# skipping the mount test: cannot mount and move a tmpfs here"
fi
if [ ! -d /run/systemd/system ]; then
	printf '[Reboot]\nKexecByDefault=yes\n' >"$tmp/kexecq.conf.new"
	mv "$tmp/kexecq.conf.new" "$tmp/kexecq.conf"
	for _ in $(seq 50); do [ "$(getp KexecByDefault)" = true ] && break; sleep 0.1; done
	[ "$(getp KexecByDefault)" = true ] && pass "the settings file is watched (renamed into place)" ||
		fail "KexecByDefault did not follow an edit of the settings"
	printf '[Reboot]\nKexecByDefault=no\n' >"$tmp/kexecq.conf"
	for _ in $(seq 50); do [ "$(getp KexecByDefault)" = false ] && break; sleep 0.1; done
	[ "$(getp KexecByDefault)" = false ] && pass "the settings file is watched (written in place)" ||
		fail "KexecByDefault did not follow an edit of the settings"
fi

# --- load: 10 000 rapid calls, 100 clients gone mid-call
if "${top_builddir:-.}/tests/bus-stress" 10000 100 >"$tmp/stress" 2>&1; then
	pass "10 000 rapid calls and 100 clients gone mid-call: all answered"
else
	fail "the daemon did not take the load"
fi
sed 's/^/    /' "$tmp/stress"
kill -0 $d_pid 2>/dev/null && pass "kexecqd is still running" || fail "kexecqd died"
# A clean stop; under the sanitizer build LeakSanitizer reports at exit.
kill -TERM $d_pid
wait $d_pid
st=$?
[ $st = 0 ] && pass "kexecqd stops cleanly on SIGTERM" || fail "kexecqd exited $st on SIGTERM"
if grep -q "Sanitizer" "$tmp/kexecqd.log"; then
	fail "a sanitizer report from kexecqd"
	grep -A15 "Sanitizer" "$tmp/kexecqd.log" | head -30 | sed 's/^/    /'
else
	pass "no sanitizer report from kexecqd"
fi
finish
