#!/bin/bash
# kexecq front end on fixtures: output, exit codes, error messages.
. "${top_srcdir:-.}/tests/lib.sh"

inv="$TESTDATA/inventory/server.json"
pol="$TESTDATA/policy/server"

# --- help and usage
for verb in "" plan check inventory policy; do
	if run 0 "$KEXECQ" $verb --help; then expect out "Usage: kexecq" "help for '${verb:-kexecq}'"; fi
done
run 0 "$KEXECQ" --version && expect out "kexecq " "--version"
run 2 "$KEXECQ" && expect err "Missing command" "no command is a usage error"
run 2 "$KEXECQ" frobnicate && expect err 'Unknown command "frobnicate"' "unknown command"
run 2 "$KEXECQ" plan --bogus && pass "unknown option is a usage error"
run 2 "$KEXECQ" policy cat && expect err "exactly one NAME" "policy cat needs a name"

# --- policy verify
run 0 "$KEXECQ" -P "$pol" policy verify && expect out "5 policies OK." "verify the server set"
mkdir -p "$tmp/broken"
printf '[Match]\nDriver=lpfc\n\n[Quiesce]\nActon=unbind\nTimeoutSec=forever\n' >"$tmp/broken/50-lpfc.policy"
chmod 0644 "$tmp/broken/50-lpfc.policy"
if run 3 "$KEXECQ" policy verify "$tmp/broken/50-lpfc.policy"; then
	expect err "50-lpfc.policy:5: unknown key \"Acton\" in section [Quiesce]" "verify names file:line (unknown key)"
	expect err "50-lpfc.policy:6: TimeoutSec=: invalid time span \"forever\"" "verify names file:line (bad value)"
	expect err "2 errors." "verify counts errors"
fi
run 3 "$KEXECQ" -P "$tmp/broken" policy verify && expect err "50-lpfc.policy:5:" "verify of a directory"
run 3 "$KEXECQ" policy verify /nonexistent/x.policy && expect err "/nonexistent/x.policy: cannot open" "verify a missing file"

# At run time a bad file is a warning and is ignored as a whole.
if run 0 "$KEXECQ" -P "$tmp/broken" plan --inventory "$inv"; then
	expect err "warning: $tmp/broken/50-lpfc.policy: ignoring the whole file" "bad policy ignored whole at run time"
	expect out "0 policies" "no half-applied policy"
fi

# --- policy list / cat with precedence and masking
mkdir -p "$tmp/etc" "$tmp/lib"
printf '[Match]\nDriver=a\n' >"$tmp/lib/10-a.policy"
printf '[Match]\nDriver=a-from-etc\n' >"$tmp/etc/10-a.policy"
printf '[Match]\nDriver=b\n' >"$tmp/lib/20-b.policy"
ln -s /dev/null "$tmp/etc/20-b.policy"
chmod 0644 "$tmp"/lib/*.policy "$tmp/etc/10-a.policy"
if run 0 "$KEXECQ" -P "$tmp/etc" -P "$tmp/lib" policy list; then
	expect out "10-a.policy                      active  $tmp/etc/10-a.policy" "list shows the winner"
	expect out "(over)  $tmp/lib/10-a.policy" "list shows what it overrides"
	expect out "20-b.policy                      masked" "list shows masking"
fi
run 0 "$KEXECQ" -P "$tmp/etc" -P "$tmp/lib" policy cat 10-a && expect out "Driver=a-from-etc" "cat prints the winner"
run 0 "$KEXECQ" -P "$tmp/etc" -P "$tmp/lib" policy cat 20-b.policy && expect out "(masked)" "cat of a masked policy"
run 1 "$KEXECQ" -P "$tmp/etc" policy cat nope && expect err "No policy named nope.policy" "cat of a missing policy"

# --- plan
if run 0 "$KEXECQ" -P "$pol" plan --inventory "$inv"; then
	sed 's|^Plan for .*server.json|Plan for SNAPSHOT|' "$tmp/out" >"$tmp/plan.txt"
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
fi
if run 4 "$KEXECQ" -P "$TESTDATA/policy/cycle" plan --inventory "$inv"; then
	expect err "ordering cycle" "cycle is an error"
	expect err "policies involved: 10-rootport.policy, 20-megaraid.policy" "cycle names the policies"
fi
run 1 "$KEXECQ" plan --inventory /nonexistent.json && expect err "/nonexistent.json: cannot open" "missing snapshot"

# --- inventory
if run 0 "$KEXECQ" inventory --inventory "$inv"; then
	expect out "sda        disk      /dev/sda cache write back" "inventory tree shows disks"
	expect out "  0000:03:10.0   pci       [8086:10ed] class 020000 driver ixgbevf" "inventory shows VFs"
	expect out "vf-of 0000:03:00.0" "inventory links VF to PF"
fi
run 0 "$KEXECQ" inventory --inventory "$inv" --save "$tmp/a.json" &&
	run 0 "$KEXECQ" inventory --inventory "$tmp/a.json" --save "$tmp/b.json" &&
	cmp -s "$tmp/a.json" "$tmp/b.json" && pass "snapshot save/load is stable"

# --- check
mkdir -p "$tmp/empty"
if run 5 "$KEXECQ" -P "$tmp/empty" check --inventory "$inv"; then
	expect out "0000:04:00.0  lpfc: driver has no ->shutdown() and no policy governs it" "check finds lpfc at risk"
fi
run 0 "$KEXECQ" -P "$pol" check --inventory "$inv" && expect out "No device at risk." "a policy covers lpfc"

# --- the live machine: read-only, must not fail
run 0 "$KEXECQ" -P "$tmp/empty" inventory && pass "live inventory"
run 0 "$KEXECQ" -P "$tmp/empty" plan && pass "live plan"

finish
