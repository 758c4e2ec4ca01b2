#!/bin/bash
# kexecq front end on fixtures: output, exit codes, error messages.  Every
# check looks at what was printed, not only at the exit status.
. "${top_srcdir:-.}/tests/lib.sh"

inv="$TESTDATA/inventory/server.json"
pol="$TESTDATA/policy/server"

# --- help and usage: --help works after every command and sub-command
for verb in "" plan check inventory policy "policy verify" "policy list" "policy cat" plot; do
	first=${verb%% *}
	if run 0 "$KEXECQ" $verb --help; then
		expect out "Usage: kexecq${first:+ $first}" "help for '${verb:-kexecq}'"
	fi
done
run 0 "$KEXECQ" --help plan && expect out "Usage: kexecq plan" "--help before the command"
run 0 "$KEXECQ" --help && expect out "  plot                   Draw the last quiesce" "--help lists plot"
run 0 "$KEXECQ" plan --help && expect out "kexecq plan --dot | dot -Tsvg >plan.svg" "plan --help shows --dot"
run 0 "$KEXECQ" plot --help && expect out "--journal=FILE" "plot --help shows --journal"
run 0 "$KEXECQ" --version && expect out "kexecq 0." "--version"
run 2 "$KEXECQ" && expect err "Missing command" "no command is a usage error"
run 2 "$KEXECQ" frobnicate && expect err 'Unknown command "frobnicate"' "unknown command"
run 2 "$KEXECQ" plan --bogus && expect err "unrecognized option '--bogus'" "unknown option is a usage error"
run 2 "$KEXECQ" inventory --explain && expect err "inventory does not take --explain" "option a verb does not take"
run 2 "$KEXECQ" policy list --json && expect err "policy does not take --json" "option policy does not take"
run 2 "$KEXECQ" inventory -P /tmp && expect err "inventory does not take --policy-dir" "inventory takes no -P"
run 2 "$KEXECQ" plan extra && expect err "plan takes no arguments" "plan with an argument"
run 2 "$KEXECQ" policy && expect out "Usage: kexecq policy verify" "policy without a sub-command shows usage"
run 2 "$KEXECQ" policy frob && expect err 'Unknown policy command "frob"' "unknown policy sub-command"
run 2 "$KEXECQ" policy cat && expect err "exactly one NAME" "policy cat needs a name"
run 2 "$KEXECQ" policy cat ../../etc/passwd && expect err "is not a policy name" "policy cat refuses paths"
run 2 "$KEXECQ" --log-level=loud plan && expect err 'Invalid --log-level "loud"' "bad log level"
run 2 "$KEXECQ" -P /nonexistent/policy.d plan --inventory "$inv" &&
	expect err "/nonexistent/policy.d: cannot open policy directory" "a missing -P directory is an error"
run 2 "$KEXECQ" policy list -P /nonexistent/policy.d &&
	expect err "/nonexistent/policy.d: cannot open policy directory" "-P after policy list is parsed"

# --- policy verify
run 0 "$KEXECQ" -P "$pol" policy verify && expect out "5 policies OK." "verify the server set"
run 0 "$KEXECQ" policy verify -P "$pol" && expect out "5 policies OK." "verify with -P after the sub-command"
mkdir -p "$tmp/broken"
printf '[Match]\nDriver=lpfc\n\n[Quiesce]\nActon=unbind\nTimeoutSec=forever\n' >"$tmp/broken/50-lpfc.policy"
chmod 0644 "$tmp/broken/50-lpfc.policy"
if run 3 "$KEXECQ" policy verify "$tmp/broken/50-lpfc.policy"; then
	expect err "50-lpfc.policy:5: unknown key \"Acton\" in section [Quiesce]" "verify names file:line (unknown key)"
	expect err "50-lpfc.policy:6: TimeoutSec=: invalid time span \"forever\"" "verify names file:line (bad value)"
	expect err "2 errors." "verify counts errors"
fi
run 3 "$KEXECQ" -P "$tmp/broken" policy verify && expect err "50-lpfc.policy:5:" "verify of a directory"
printf '[Match]\nDriver=lpfc\n\n[Quiesce]\nKernelMethod=auto\n' >"$tmp/v2.policy"
run 3 "$KEXECQ" policy verify "$tmp/v2.policy" &&
	expect err "v2.policy:5: KernelMethod=: \"auto\" was a value of the kexecq kernel series' v2" "KernelMethod=auto is named a v2 value, with file:line"
run 3 "$KEXECQ" policy verify /nonexistent/x.policy && expect err "/nonexistent/x.policy: cannot open" "verify a missing file"
run 2 "$KEXECQ" -P "$pol" policy verify "$tmp/broken/50-lpfc.policy" && expect err "either FILE" "verify FILE and -P"
mkfifo "$tmp/fifo.policy"
if run 3 timeout 10 "$KEXECQ" policy verify "$tmp/fifo.policy"; then
	expect err "fifo.policy: not a regular file" "a FIFO is refused, not read"
fi
printf '[Match]\nDriver=x\x1b[2J\n' >"$tmp/esc.policy"
run 3 "$KEXECQ" policy verify "$tmp/esc.policy" && expect err 'Driver=: control character in "x\x1b[2J"' "control characters in patterns are errors"
printf '[Match]\nDriver=x\n[Quiesce]\nAction=\x1b[2J\n' >"$tmp/esc.policy"
run 3 "$KEXECQ" policy verify "$tmp/esc.policy" && expect err 'invalid value "\x1b[2J"' "control characters are escaped in messages"

evil="$tmp/$(printf 'x\033[2Jy').policy"
printf '[Match]\n' >"$evil"
run 3 "$KEXECQ" policy verify "$evil" && expect err "$tmp/x\x1b[2Jy.policy:1: no [Match] keys" "control characters in file names are escaped"

# --- broken policies never silently remove protection
mkdir -p "$tmp/etc" "$tmp/lib"
printf '[Match]\nDriver=lpfc\n[Quiesce]\nAction=unload\n' >"$tmp/lib/30-lpfc.policy"
printf '[Match]\nDriver=lpfc\n[Quiesce]\nAction=unload\nTimeoutSec=1 minuet\n' >"$tmp/etc/30-lpfc.policy"
chmod 0644 "$tmp"/lib/*.policy "$tmp"/etc/*.policy
if run 3 "$KEXECQ" -P "$tmp/etc" -P "$tmp/lib" plan --inventory "$inv"; then
	expect err "$tmp/etc/30-lpfc.policy:5: TimeoutSec=: invalid time span" "plan lists file:line of a broken override"
	expect err "1 problem in the policy files" "plan stops on a broken policy"
	if grep -q "Nothing to do" "$tmp/out"; then fail "plan printed a plan anyway"; else pass "no plan printed"; fi
fi
if run 3 "$KEXECQ" -P "$tmp/etc" -P "$tmp/lib" check --inventory "$inv"; then
	expect err "30-lpfc.policy:5:" "check stops on a broken policy"
fi
if run 0 "$KEXECQ" -P "$tmp/etc" -P "$tmp/lib" plan --ignore-policy-errors --inventory "$inv"; then
	expect err "warning: $tmp/etc/30-lpfc.policy: skipped; $tmp/lib/30-lpfc.policy governs its name instead" \
		"--ignore-policy-errors falls back to the vendor file, and says so"
	expect out "unload module lpfc" "the vendor policy still protects lpfc"
fi

# --- policy list / cat with precedence and masking
rm -rf "$tmp/etc" "$tmp/lib"
mkdir -p "$tmp/etc" "$tmp/lib"
printf '[Match]\nDriver=a\n' >"$tmp/lib/10-a.policy"
printf '[Match]\nDriver=a-from-etc\n' >"$tmp/etc/10-a.policy"
printf '[Match]\nDriver=b\n' >"$tmp/lib/20-b.policy"
ln -s //dev//null "$tmp/etc/20-b.policy"
chmod 0644 "$tmp"/lib/*.policy "$tmp/etc/10-a.policy"
if run 0 "$KEXECQ" -P "$tmp/etc" -P "$tmp/lib" policy list; then
	expect out "10-a.policy                      active  $tmp/etc/10-a.policy" "list shows the winner"
	expect out "(over)  $tmp/lib/10-a.policy" "list shows what it overrides"
	expect out "20-b.policy                      masked  $tmp/etc/20-b.policy" "a link to //dev//null masks"
fi
# Whatever the configure prefix, the compiled-in search path is the documented one.
run 0 "$KEXECQ" policy list &&
	expect out "Search path (highest precedence first): /etc/kexecq/policy.d /run/kexecq/policy.d /usr/lib/kexecq/policy.d" \
		"default search path is /etc, /run, /usr/lib"
run 0 "$KEXECQ" policy list -P "$tmp/lib" && expect out "20-b.policy                      active  $tmp/lib/20-b.policy" "-P after policy list"
run 0 "$KEXECQ" -P "$tmp/etc" -P "$tmp/lib" policy cat 10-a && expect out "Driver=a-from-etc" "cat prints the winner"
run 0 "$KEXECQ" -P "$tmp/etc" -P "$tmp/lib" policy cat 20-b.policy && expect out "(masked)" "cat of a masked policy"
run 1 "$KEXECQ" -P "$tmp/etc" policy cat nope && expect err "No policy named nope.policy" "cat of a missing policy"

# --- plan
if run 0 "$KEXECQ" -P "$pol" plan --inventory "$inv"; then
	sed "s|^Plan for snapshot $inv:|Plan for snapshot SNAPSHOT:|" "$tmp/out" >"$tmp/plan.txt"
	if diff -u "$TESTDATA/expected/plan-server.txt" "$tmp/plan.txt" >"$tmp/diff"; then
		pass "plan output matches expected/plan-server.txt"
	else
		fail "plan output differs"; head -40 "$tmp/diff"
	fi
fi
if run 0 "$KEXECQ" -P "$pol" plan --explain --inventory "$inv"; then
	expect out "because $pol/10-megaraid.policy:10 Quiesce.FlushCache: volatile write cache below 0000:01:00.0" "explain names file:line and key"
	expect out "0000:04:00.0   lpfc             30-lpfc.policy Action=unload: Vendor=10df (line 6: 10df), Class=0c04* (line 7: 0c0400)" "explain says why a device matched"
	expect out "0000:00:14.0   xhci_hcd         (default: kernel)" "explain shows default-governed devices"
fi
if run 0 "$KEXECQ" -P "$pol" plan --json --inventory "$inv"; then
	expect out '"format": "kexecq-plan"' "plan --json"
	expect out '"key": "Quiesce.DisableSRIOV"' "plan --json names keys"
	expect out '"live": false' "plan --json says it is for a snapshot"
	expect out '"kernel_per_device_kexec_method": true' "plan --json says the kernel has per-device kexec_method"
	expect out '"30-lpfc.policy: KernelMethod=remove for 0000:04:00.0 (lpfc) not needed: the plan unloads its module"' \
		"plan --json has the notes"
fi
mkdir -p "$tmp/kmonly" "$tmp/kmunbind"
printf '[Match]\nDriver=e1000e\n[Quiesce]\nKernelMethod=remove\n' >"$tmp/kmonly/10-e.policy"
printf '[Match]\nDriver=e1000e\n[Quiesce]\nAction=unbind\nKernelMethod=remove\n' >"$tmp/kmunbind/10-e.policy"
chmod 0644 "$tmp"/kmonly/*.policy "$tmp"/kmunbind/*.policy
run 0 "$KEXECQ" -P "$tmp/kmonly" plan --json --inventory "$inv" &&
	expect out '"previous_method": "shutdown"' "plan --json has the method a set-kernel-method step replaces"
# Unbound by the plan: no kexec_method to set as well, a note instead.
if run 0 "$KEXECQ" -P "$tmp/kmunbind" plan --inventory "$inv"; then
	expect out "unbind 0000:05:00.0 from e1000e" "Action=unbind with KernelMethod=: the unbind"
	if grep -q "set-kernel-method" "$tmp/out"; then
		fail "Action=unbind with KernelMethod=: a set-kernel-method step as well"
	else
		pass "Action=unbind with KernelMethod=: no set-kernel-method step"
	fi
	expect out "  10-e.policy: KernelMethod=remove for 0000:05:00.0 (e1000e) not needed: the plan unbinds it" \
		"Action=unbind with KernelMethod=: a note says why"
fi
# A snapshot of the kexecq series' v2 ABI (kexec_method per driver): named, not misread.
sed -e 's/"version": 4,/"version": 3,/' -e 's/"release": "\(.*\)",$/"release": "\1"/' \
	-e '/"per_device_kexec_method"/d' "$inv" >"$tmp/v2abi.json"
run 1 "$KEXECQ" -P "$pol" plan --inventory "$tmp/v2abi.json" &&
	expect err "$tmp/v2abi.json: devices[0] (0000:00:01.0): kexec_method \"shutdown\" is from inventory version 3, which has the v2 ABI of the kexecq kernel series (per driver)" \
		"a v2-ABI snapshot is refused, naming the file and field"
# Version 4's per_device_kexec_method in an older version, kexec_* where the kernel has none.
sed 's/"version": 4,/"version": 3,/' "$inv" >"$tmp/v3perdev.json"
run 1 "$KEXECQ" -P "$pol" plan --inventory "$tmp/v3perdev.json" &&
	expect err "$tmp/v3perdev.json: kernel: per_device_kexec_method is from inventory version 4" \
		"per_device_kexec_method in a version 3 snapshot is refused"
sed 's/"per_device_kexec_method": true/"per_device_kexec_method": false/' "$inv" >"$tmp/stockwith.json"
run 1 "$KEXECQ" -P "$pol" check --inventory "$tmp/stockwith.json" &&
	expect err "$tmp/stockwith.json: devices[0] (0000:00:01.0): kexec_method, but kernel: per_device_kexec_method is false" \
		"kexec_method on a kernel said to lack the patches is refused"
sed 's/"per_device_kexec_method": true/"kexec_method": "shutdown"/' "$inv" >"$tmp/v2global.json"
run 1 "$KEXECQ" -P "$pol" plan --inventory "$tmp/v2global.json" &&
	expect err "$tmp/v2global.json: kernel: kexec_method \"shutdown\" is the global method of the v2 ABI" \
		"v2's global kexec_method is refused, naming the file"
if run 4 "$KEXECQ" -P "$TESTDATA/policy/cycle" plan --inventory "$inv"; then
	expect err "ordering cycle" "cycle is an error"
	expect err "policies involved: 10-rootport.policy, 20-megaraid.policy" "cycle names the policies"
fi
run 1 "$KEXECQ" plan --inventory /nonexistent.json && expect err "/nonexistent.json: cannot open" "missing snapshot"
run 1 "$KEXECQ" plan --inventory /dev/zero && expect err "/dev/zero: not a regular file" "a device as a snapshot is refused"
printf '%s' '{ "format": "kexecq-inventory", "version": 2, "devices": [ { "kind": "pci", "syspath": "/sys/devices/a", "name": "a", "physfn": "/sys/devices/a" } ] }' >"$tmp/self.json"
run 1 "$KEXECQ" -P "$pol" plan --inventory "$tmp/self.json" &&
	expect err "$tmp/self.json: inconsistent inventory" "a VF that is its own PF is refused, naming the file" &&
	expect err "/sys/devices/a: physfn names the device itself" "and the device"

# --- inventory
if run 0 "$KEXECQ" inventory --inventory "$inv"; then
	expect out "Inventory of snapshot $inv, kernel 6.12.57-kexecq" "inventory header names the snapshot"
	expect out "sda        disk      /dev/sda cache write back" "inventory tree shows disks"
	expect out "  0000:03:10.0   pci       [8086:10ed] class 020000 driver ixgbevf" "inventory shows VFs"
	expect out "vf-of 0000:03:00.0" "inventory links VF to PF"
fi
if run 0 "$KEXECQ" inventory --inventory "$TESTDATA/snapshot/roundtrip-in.json" --save "$tmp/rt.json"; then
	expect out "Saved 6 devices to $tmp/rt.json" "inventory --save says where"
	if cmp -s "$tmp/rt.json" "$TESTDATA/snapshot/roundtrip-out.json"; then
		pass "saved snapshot matches the hand-written roundtrip-out.json"
	else
		fail "saved snapshot differs from roundtrip-out.json"; diff -u "$TESTDATA/snapshot/roundtrip-out.json" "$tmp/rt.json" | head -20
	fi
fi
if run 1 "$KEXECQ" inventory --inventory "$inv" --save /nonexistent/dir/x.json; then
	expect err "Cannot save the inventory to /nonexistent/dir/x.json" "save errors name the user's file"
	if grep -q tmpXXXX "$tmp/err" || grep -q '\.tmp' "$tmp/err"; then fail "save error names a temporary file"; else pass "no temporary file in the message"; fi
fi

# --- check
# The snapshot's lpfc has ->shutdown() (since 4.11); make the kernel report
# clear-master for it, as for a driver without one.
mkdir -p "$tmp/empty"
run 0 "$KEXECQ" -P "$tmp/empty" check --inventory "$inv" && expect out "Nothing at risk." "check: every driver of the snapshot has ->shutdown()"
sed '/"driver": "lpfc"/,/kexec_action/ s/"kexec_action": "shutdown"/"kexec_action": "clear-master"/' "$inv" >"$tmp/noshut.json"
inv_real=$inv
inv=$tmp/noshut.json
if run 5 "$KEXECQ" -P "$tmp/empty" check --inventory "$inv"; then
	expect out "has the kexecq patches: it says per device" "check on a patched kernel uses kexec_action" &&
		expect out "0000:04:00.0   lpfc           left-running kexec_action is clear-master: no ->shutdown(), not released" "check finds lpfc at risk" &&
		expect out "no policy governs it" "and says no policy governs it"
fi
run 0 "$KEXECQ" -P "$pol" check --inventory "$inv" && expect out "Nothing at risk." "a policy covers lpfc" &&
	expect out "quiesced by step 17: unload module lpfc (30-lpfc.policy)" "check names the step that covers it"
# Only FlushCache= is no coverage.
mkdir -p "$tmp/flushonly"
printf '[Match]\nDriver=*\n[Quiesce]\nFlushCache=yes\nNetworkDown=yes\n' >"$tmp/flushonly/10-all.policy"
run 5 "$KEXECQ" -P "$tmp/flushonly" check --inventory "$inv" &&
	expect out "its policy does not quiesce it" "a policy with only FlushCache=/NetworkDown= is not coverage"
printf '[Match]\nDriver=megaraid_sas\n[Quiesce]\nFlushCache=no\n' >"$tmp/flushonly/05-mr.policy"
run 5 "$KEXECQ" -P "$tmp/flushonly" check --inventory "$inv" &&
	expect out "/dev/sda has a volatile write cache and 05-mr.policy says FlushCache=no (line 4)" "FlushCache=no over a volatile cache is at risk"
# KernelMethod=remove is no coverage while the kernel will not honour it:
# lpfc's disk sdc hangs off a SCSI device that sd holds.
mkdir -p "$tmp/kmremove"
printf '[Match]\nDriver=lpfc\n[Quiesce]\nKernelMethod=remove\n' >"$tmp/kmremove/10-lpfc.policy"
chmod 0644 "$tmp/kmremove/10-lpfc.policy"
if run 5 "$KEXECQ" -P "$tmp/kmremove" check --inventory "$inv"; then
	expect out "0000:04:00.0   lpfc           left-running kexec_action is clear-master: no ->shutdown(), not released; KernelMethod=remove will not be honoured: 1:0:0:0 (which sdc hangs off) is bound below it" \
		"KernelMethod=remove with a disk below is at risk: the kernel will not release it"
fi
run 0 "$KEXECQ" -P "$tmp/kmremove" plan --inventory "$inv" &&
	expect out "10-lpfc.policy: KernelMethod=remove for 0000:04:00.0 (lpfc) will not be honoured at the kexec: 1:0:0:0 (which sdc hangs off) is bound below it" \
		"plan warns that KernelMethod=remove will not be honoured"
run 5 "$KEXECQ" -P "$tmp/empty" check --json --inventory "$inv" &&
	expect out '"kexec_action": "clear-master"' "check --json gives each device's kexec_action"
inv=$inv_real
# It is coverage where nothing below is bound: e1000e, its interface hangs off the function itself.
sed '/"driver": "e1000e"/,/kexec_action/ s/"kexec_action": "shutdown"/"kexec_action": "clear-master"/' "$inv" >"$tmp/noshut-e.json"
run 0 "$KEXECQ" -P "$tmp/kmonly" check --inventory "$tmp/noshut-e.json" &&
	expect out "quiesced by step 1: set kexec_method of 0000:05:00.0 (e1000e) to remove (was shutdown) (10-e.policy)" \
		"KernelMethod=remove covers a device whose kexec_action is clear-master"
# A PF with VFs enabled: DisableSRIOV=auto turns them off for KernelMethod=remove, =no leaves them.
sed '/"name": "0000:03:00.0"/,/kexec_action/ s/"kexec_action": "shutdown"/"kexec_action": "clear-master"/' "$inv" >"$tmp/noshut-pf.json"
mkdir -p "$tmp/kmpf" "$tmp/kmpfno"
printf '[Match]\nPath=pci-0000:03:00.0\n[Quiesce]\nKernelMethod=remove\n' >"$tmp/kmpf/10-pf.policy"
printf '[Match]\nPath=pci-0000:03:00.0\n[Quiesce]\nKernelMethod=remove\nDisableSRIOV=no\n' >"$tmp/kmpfno/10-pf.policy"
chmod 0644 "$tmp"/kmpf/*.policy "$tmp"/kmpfno/*.policy
if run 0 "$KEXECQ" -P "$tmp/kmpf" plan --explain --inventory "$tmp/noshut-pf.json"; then
	expect out "disable SR-IOV on 0000:03:00.0 (4 VFs)" "DisableSRIOV=auto turns SR-IOV off for KernelMethod=remove"
	expect out "4 VFs are enabled, which would keep the kernel from releasing ixgbe at the kexec (KernelMethod=remove, DisableSRIOV=auto)" \
		"and says why"
fi
run 0 "$KEXECQ" -P "$tmp/kmpf" check --inventory "$tmp/noshut-pf.json" &&
	expect out "to remove (was shutdown) (10-pf.policy), once step " "the PF is covered once its VFs are off"
run 5 "$KEXECQ" -P "$tmp/kmpfno" check --inventory "$tmp/noshut-pf.json" &&
	expect out "KernelMethod=remove will not be honoured: its 4 VFs are enabled" "with DisableSRIOV=no the PF is at risk"
# A patched kernel's function whose kexec_action is not known is not safe.
sed '/"driver": "lpfc"/,/kexec_action/ s/"kexec_action": "shutdown"/"kexec_action": null/' "$inv" >"$tmp/noaction.json"
if run 5 "$KEXECQ" -P "$tmp/empty" check --inventory "$tmp/noaction.json"; then
	expect out "0000:04:00.0   lpfc           not-checked  the snapshot has no kexec_action for it: what a kexec does to it cannot be told" \
		"check: an unknown kexec_action on a patched kernel is not-checked, exit 5"
fi
run 5 "$KEXECQ" -P "$tmp/empty" check --json --inventory "$tmp/noaction.json" &&
	expect out '"kind": "not-checked"' "check --json: kind not-checked"
run 0 "$KEXECQ" -P "$pol" check --inventory "$tmp/noaction.json" &&
	expect out "kexec_action not known; quiesced by step" "an unload covers a function whose kexec_action is not known"

# --- the live machine: read-only, headed by the host
host=$(uname -n)
run 0 "$KEXECQ" inventory && expect out "Inventory of host $host (live)" "live inventory is headed by the host"
run 0 "$KEXECQ" -P "$tmp/empty" plan && expect out "Plan for host $host (live):" "live plan is headed by the host"

# --- load, unload, reboot, apply: what can be checked without a kernel to kexec
for verb in load reboot apply; do
	run 0 "$KEXECQ" $verb --help && expect out "Usage: kexecq $verb" "help for '$verb'"
done
run 0 "$KEXECQ" unload --help && expect out "kexecq unload" "help for 'unload'"
run 2 "$KEXECQ" apply && expect err "apply needs --stage=final" "apply without a stage"
run 2 "$KEXECQ" apply --stage=early && expect err "apply needs --stage=final" "apply with an unknown stage"
run 2 "$KEXECQ" reboot --jobs 0 && expect err 'Invalid --jobs "0"' "--jobs 0"
run 2 "$KEXECQ" reboot -j many && expect err 'Invalid --jobs "many"' "--jobs not a number"
run 2 "$KEXECQ" reboot --deadline 2h && expect err 'Invalid --deadline "2h"' "--deadline over an hour"
run 2 "$KEXECQ" plan --now && expect err "plan does not take --now" "plan takes no --now"
run 2 "$KEXECQ" load --now && expect err "load does not take --now" "load takes no --now"
run 2 "$KEXECQ" reboot --inventory "$inv" && expect err "only with --dry-run" "--inventory needs --dry-run"
run 2 "$KEXECQ" reboot extra && expect err "takes no arguments" "reboot with an argument"
# The dry run on a snapshot: the kernel named and checked, the plan, what would follow.
k=$tmp/vmlinuz
printf 'not a kernel' >"$k"
run 1 "$KEXECQ" reboot --dry-run --now --inventory "$inv" -P "$pol" --kernel "$k" --append "quiet" &&
	expect out "Kernel:       $k" "dry run names the kernel" &&
	expect out "would fail: kernel $k is not a kernel image" "dry run checks the image" &&
	expect out " quiet" "dry run shows the command line" &&
	expect out "Then quiesce:" "dry run shows the plan" &&
	expect out "Plan for" "dry run prints the plan itself" &&
	expect out "The reboot would fail" "dry run says it would fail"
run 1 "$KEXECQ" reboot --dry-run --inventory "$inv" -P "$pol" --kernel /nonexistent/vmlinuz &&
	expect out "kernel /nonexistent/vmlinuz: No such file or directory" "dry run: missing kernel"
run 1 "$KEXECQ" load --dry-run --kernel "$k" && expect out "is not a kernel image" "load --dry-run checks the image"
run 3 "$KEXECQ" reboot --dry-run --inventory "$inv" -P "$tmp/broken" --kernel "$k" &&
	expect err "50-lpfc.policy:5:" "reboot stops on a broken policy"

# --- verify and status: a record of inventory/server.json, a /proc and a sysfs of our own
from=1b4e28ba-2fa1-11d2-883f-0016d3cca427
me=5e0b6c7d-0000-4000-8000-000000000001
after=$TESTDATA/record/server-after.json
after_kexec_root
for verb in verify status; do
	run 0 "$KEXECQ" $verb --help && expect out "Usage: kexecq $verb" "help for '$verb'"
done
run 0 "$KEXECQ" --help && expect out "verify                 After a kexec" "verify in the command list"
run 2 "$KEXECQ" verify extra && expect err "verify takes no arguments" "verify with an argument"
run 2 "$KEXECQ" verify --now && expect err "verify does not take --now" "verify takes no --now"
run 2 "$KEXECQ" status --record x && expect err "status does not take --record" "--record is verify's"
run 2 "$KEXECQ" plan --state-dir "$tmp/state" && expect err "plan does not take --state-dir" "--state-dir is not plan's"

run 0 "$KEXECQ" verify "${vo[@]}" --inventory "$inv" &&
	expect out "This boot ($me) did not come from a kexecq kexec: nothing to verify." "verify without kexecq.from= has nothing to do"
run 0 "$KEXECQ" verify "${vo[@]}" --inventory "$inv" --json && expect out '"from_kexec": false' "verify --json without a kexec"
echo "BOOT_IMAGE=/vmlinuz root=/dev/sda1 kexecq.from=$from quiet" >"$tmp/proc/cmdline"
if run 0 "$KEXECQ" verify "${vo[@]}" --inventory "$inv"; then
	expect out "Boot $me: kexec 1 in a row, from boot $from (kernel 6.12.57-kexecq)" "verify names both boots"
	expect out "by kexecq reboot --now at 2026-01-01 10:00:00 UTC, into /boot/vmlinuz-6.12.58-kexecq" "verify says when and into what"
	expect out "Every device came back as it was: 18 PCI functions, 7 interfaces and 5 disks." "everything came back"
fi
if run 9 "$KEXECQ" verify "${vo[@]}" --inventory "$after"; then
	expect out "0000:03:00.1   bound to vfio-pci (was ixgbe)" "verify names a function bound to another driver"
	expect out "0000:04:00.0   missing (was bound to lpfc)" "verify names a missing function"
	expect out "0000:05:00.0   unbound (was bound to e1000e)" "verify names an unbound function"
	expect out "eth0           down (was up; below 0000:03:00.0)" "verify names an interface that is down"
	expect out "sdb            missing (disk, below 0000:01:00.0)" "verify names a missing disk"
	expect out "notice: 0000:03:00.0: SR-IOV is off, its 4 VFs were not created again" "VFs not created again: one notice"
	expect out "notice: disk nvme0n1 is now nvme0n3, below 0000:02:00.0" "a renamed disk is a notice"
	expect out "5 differences from the record (18 PCI functions, 7 interfaces and 5 disks recorded)." "verify counts the differences"
	if grep -qE "sdc|eth6|eth5" "$tmp/out"; then fail "devices below a reported function are reported too"; else pass "below a reported function nothing more"; fi
fi
if run 9 "$KEXECQ" verify "${vo[@]}" --inventory "$after" --json; then
	expect out '"format": "kexecq-verify"' "verify --json format"
	expect out '"path": "'"$tmp/state/record-$from.json"'"' "verify --json names the record"
	expect out '"problem": "unbound"' "verify --json: unbound"
	expect out '"problem": "other-driver"' "verify --json: other driver"
	expect out '"severity": "notice"' "verify --json: notices"
	expect out '"errors": 5' "verify --json counts errors"
	expect out '"ok": false' "verify --json: not ok"
	if command -v python3 >/dev/null; then
		if python3 -m json.tool "$tmp/out" >/dev/null; then pass "verify --json is JSON"; else fail "verify --json is not JSON"; fi
	fi
fi
run 9 "$KEXECQ" verify --proc "$tmp/proc" --record "$TESTDATA/record/server.json" --inventory "$after" &&
	expect out "5 differences" "verify --record FILE"
# Notices alone (a disk renamed) are not differences.
sed 's/"nvme0n1"/"nvme0n9"/; s|/dev/nvme0n1|/dev/nvme0n9|; s|nvme0/nvme0n1|nvme0/nvme0n9|' "$inv" >"$tmp/renamed.json"
if run 0 "$KEXECQ" verify "${vo[@]}" --record "$TESTDATA/record/server.json" --inventory "$tmp/renamed.json"; then
	expect out "notice: disk nvme0n1 is now nvme0n9, below 0000:02:00.0" "a renamed disk alone is a notice"
	expect out "No difference from the record (18 PCI functions, 7 interfaces and 5 disks recorded), 1 notice." "notices alone: no difference, exit 0"
fi
sed "s/$from/$me/" "$TESTDATA/record/minimal.json" >"$tmp/mine.json"
run 1 "$KEXECQ" verify --proc "$tmp/proc" --record "$tmp/mine.json" --inventory "$inv" &&
	expect err "$tmp/mine.json is the record of this boot" "verify refuses this boot's own record"
# The record missing, broken, untrusted; the marker not a boot id.
other=5e0b6c7d-0000-4000-8000-0000000000ff
echo "root=/dev/sda1 kexecq.from=$other" >"$tmp/proc/cmdline"
run 1 "$KEXECQ" verify "${vo[@]}" --inventory "$inv" &&
	expect err "This boot came from a kexecq kexec (kexecq.from=$other), but $tmp/state/record-$other.json does not exist" "verify without the record says which"
echo "root=/dev/sda1 kexecq.from=../../etc/passwd" >"$tmp/proc/cmdline"
run 1 "$KEXECQ" verify "${vo[@]}" --inventory "$inv" &&
	expect err "$tmp/proc/cmdline: kexecq.from=\"../../etc/passwd\" is not a boot id" "a marker that is not a boot id"
echo "root=/dev/sda1 kexecq.from=$other" >"$tmp/proc/cmdline"
sed "s/$from/$other/; s/\"count\": 1/\"count\": 0/" "$TESTDATA/record/minimal.json" >"$tmp/state/record-$other.json"
chmod 0600 "$tmp/state/record-$other.json"
run 1 "$KEXECQ" verify "${vo[@]}" --inventory "$inv" &&
	expect err "$tmp/state/record-$other.json: \"count\": 0 out of range (1 to 4294967295)" "a broken record: file and field"
if [ "$(id -u)" = 0 ]; then
	sed "s/$from/$other/" "$TESTDATA/record/minimal.json" >"$tmp/state/record-$other.json"
	chmod 0666 "$tmp/state/record-$other.json"
	run 1 "$KEXECQ" verify "${vo[@]}" --inventory "$inv" &&
		expect err "record-$other.json: not trusted (writable by every user (mode 0666))" "a record others can write is refused"
fi
rm -f "$tmp/state/record-$other.json"

# status: where this boot came from, the loaded kernel, the frozen plan, the last kexec.
echo "root=/dev/sda1 kexecq.from=$from" >"$tmp/proc/cmdline"
if run 0 "$KEXECQ" status "${so[@]}" --inventory "$after"; then
	expect out "Boot:         $me" "status: this boot"
	expect out "Came from:    kexec 1 in a row, from boot $from (kernel 6.12.57-kexecq)" "status: the kexec it came from"
	expect out "Verify:       5 differences, 2 notices (see 'kexecq verify')" "status: verify's result"
	expect out "Loaded:       no kernel" "status: nothing loaded"
	expect out "Frozen plan:  none" "status: no frozen plan"
	expect out "Last kexec:   booted: into this boot" "status: the last kexec booted"
fi
run 0 "$KEXECQ" status "${so[@]}" --inventory "$inv" &&
	expect out "Verify:       every device came back (18 PCI functions, 7 interfaces and 5 disks)" "status: all came back"
# A kexecq reboot in this boot: its record, the kernel, the frozen plan.
cp "$tmp/mine.json" "$tmp/state/record-$me.json"
chmod 0600 "$tmp/state/record-$me.json"
echo 1 >"$tmp/sys/kernel/kexec_loaded"
mkdir -p "$tmp/run/frozen/policy.d"
cp "$inv" "$tmp/run/frozen/inventory.json"
cp "$pol"/*.policy "$tmp/run/frozen/policy.d/"
if run 0 "$KEXECQ" status "${so[@]}" --inventory "$inv"; then
	expect out "Loaded:       /boot/vmlinuz-6.12.58, by kexecq reboot at 2026-01-01 10:00:00 UTC" "status: what kexecq loaded"
	expect out "Frozen plan:  $tmp/run/frozen: 33 devices, 5 policies" "status: the frozen plan"
	expect out "Last kexec:   pending: recorded at 2026-01-01 10:00:00 UTC, the kernel is loaded" "status: a kexec pending"
fi
if run 0 "$KEXECQ" status "${so[@]}" --inventory "$inv" --json; then
	expect out '"format": "kexecq-status"' "status --json format"
	expect out '"kexec_loaded": true' "status --json: loaded"
	expect out '"outcome": "pending"' "status --json: pending"
	expect out '"policies": 5' "status --json: frozen policies"
	if command -v python3 >/dev/null; then
		if python3 -m json.tool "$tmp/out" >/dev/null; then pass "status --json is JSON"; else fail "status --json is not JSON"; fi
	fi
fi
echo 0 >"$tmp/sys/kernel/kexec_loaded"
run 0 "$KEXECQ" status "${so[@]}" --inventory "$inv" &&
	expect out "Last kexec:   abandoned: recorded at 2026-01-01 10:00:00 UTC, the kernel is no longer loaded" "status: an aborted or unloaded kexec"
# A firmware boot after a kexec that never happened.
rm -rf "$tmp/state/record-$me.json" "$tmp/run/frozen"
echo "root=/dev/sda1" >"$tmp/proc/cmdline"
if run 0 "$KEXECQ" status "${so[@]}" --inventory "$inv"; then
	expect out "Came from:    not a kexecq kexec" "status: not from a kexec"
	expect out "Last kexec:   unknown: boot $from recorded one at 2026-01-01 10:00:00 UTC into /boot/vmlinuz-6.12.58-kexecq, but this boot did not come from it" "status: a record this boot did not come from"
fi
run 0 "$KEXECQ" status "${so[@]}" --state-dir "$tmp/nonexistent" && expect out "Last kexec:   none recorded" "status without records"
# reboot puts the marker on the next kernel's command line (the dry run writes no record).
run 1 "$KEXECQ" reboot --dry-run --now --inventory "$inv" -P "$pol" --kernel "$k" --proc "$tmp/proc" \
	--state-dir "$tmp/state2" && expect out "kexecq.from=$me" "reboot marks the next kernel's command line"
if [ -e "$tmp/state2" ]; then fail "the dry run wrote a record"; else pass "the dry run wrote no record"; fi

# As a shutdown hook: any verb but kexec does nothing, at once.
ln -sf "$KEXECQ" "$tmp/kexecq.shutdown"
for v in reboot poweroff halt; do
	if run 0 "$tmp/kexecq.shutdown" $v; then
		if [ -s "$tmp/out" ] || [ -s "$tmp/err" ]; then fail "hook with $v printed something"; else pass "hook with $v does nothing"; fi
	fi
done

finish
