#!/bin/bash
# The fleet's telemetry formats (man/kexecq-json.7) against the real binary:
# status, verify, plan and check --json on fixtures that between them print
# every field, and tests/json-format.py comparing what they print with the
# page both ways (a field printed but not documented, a field documented
# but printed by no fixture, a wrong type, a field said to be always there
# that is not).  Then the same checker on broken copies of the page, which
# it must refuse.
. "${top_srcdir:-.}/tests/lib.sh"

command -v python3 >/dev/null || skip "python3 not installed"
page=${top_srcdir:-.}/man/kexecq-json.7
checker=${top_srcdir:-.}/tests/json-format.py
inv=$TESTDATA/inventory/server.json
pol=$TESTDATA/policy/server
out=$tmp/json
mkdir -p "$out"

# doc NAME STATUS KEXECQ-ARGS...: run kexecq, keep its document as NAME.json
doc() {
	local name=$1 want=$2
	shift 2
	if run "$want" "$KEXECQ" "$@"; then
		if python3 -m json.tool "$tmp/out" >/dev/null 2>&1; then
			cp "$tmp/out" "$out/$name.json"
			pass "$name: status $want and a JSON document"
		else
			fail "$name: not JSON"
			head -5 "$tmp/out"
		fi
	fi
}

# --- fixtures: policies and snapshots that bring out the optional fields
mkdir -p "$tmp/empty" "$tmp/kmonly" "$tmp/unsafe" "$tmp/flushno"
printf '[Match]\nDriver=e1000e\n[Quiesce]\nKernelMethod=remove\n' >"$tmp/kmonly/10-e.policy"
printf '[Match]\nDriver=lpfc\n[Quiesce]\nUnsafe=needs a power cycle\n' >"$tmp/unsafe/10-lpfc.policy"
printf '[Match]\nDriver=megaraid_sas\n[Quiesce]\nFlushCache=no\n' >"$tmp/flushno/05-mr.policy"
chmod 0644 "$tmp"/*/*.policy
# A VF given to a VM (left alone, in use) and lpfc without ->shutdown() (at risk,
# or covered by the server's policies); and lpfc's kexec_action not known.
python3 - "$inv" "$tmp/vf.json" "$tmp/noaction.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["devices"]:
    if x.get("physfn") and x.get("driver") == "ixgbevf":
        x["driver"] = x["module"] = "vfio-pci"
        x["enable"] = 1
        break
lpfc = [x for x in d["devices"] if x.get("driver") == "lpfc"][0]
lpfc["kexec_action"] = "clear-master"
json.dump(d, open(sys.argv[2], "w"))
lpfc["kexec_action"] = None
json.dump(d, open(sys.argv[3], "w"))
PY

# --- plan
doc plan-server 0 -P "$pol" plan --json --inventory "$inv"
doc plan-storage 0 -P "$TESTDATA/policy/storage" plan --json --inventory "$TESTDATA/inventory/storage.json"
doc plan-kernel-method 0 -P "$tmp/kmonly" plan --json --inventory "$inv"
doc plan-unsafe 0 -P "$tmp/unsafe" plan --json --inventory "$inv"
doc plan-left-alone 0 -P "$pol" plan --json --inventory "$tmp/vf.json"

# --- check
doc check-table 0 -P "${top_srcdir:-.}/policy" check --json --inventory "$TESTDATA/inventory/real-debian12.json" \
	--driver-tables "${top_srcdir:-.}/contrib"
doc check-debian12 0 -P "${top_srcdir:-.}/policy" check --json --inventory "$TESTDATA/inventory/debian12-6.1.json" \
	--driver-tables "${top_srcdir:-.}/contrib"
doc check-patched 0 -P "$pol" check --json --inventory "$inv"
doc check-at-risk 5 -P "$pol" check --json --inventory "$tmp/vf.json"
doc check-write-cache 5 -P "$tmp/flushno" check --json --inventory "$inv"
doc check-not-checked 5 -P "$tmp/empty" check --json --inventory "$tmp/noaction.json"

# --- verify and status: a record of inventory/server.json, a /proc and a sysfs of our own
from=1b4e28ba-2fa1-11d2-883f-0016d3cca427
me=5e0b6c7d-0000-4000-8000-000000000001
after=$TESTDATA/record/server-after.json
after_kexec_root
mkdir -p "$tmp/nosys"

doc verify-not-from-kexec 0 verify "${vo[@]}" --inventory "$inv" --json
doc status-not-from-kexec 0 status --proc "$tmp/proc" --state-dir "$tmp/nonexistent" --sysfs "$tmp/nosys" \
	--run-dir "$tmp/run" --inventory "$inv" --json
echo "root=/dev/sda1 kexecq.from=$from" >"$tmp/proc/cmdline"
doc verify-differences 9 verify "${vo[@]}" --inventory "$after" --json
doc verify-same 0 verify "${vo[@]}" --inventory "$inv" --json
doc status-booted 0 status "${so[@]}" --inventory "$after" --json
# A kexecq reboot in this boot: its record, the kernel loaded, the frozen plan.
sed "s/$from/$me/" "$TESTDATA/record/minimal.json" >"$tmp/state/record-$me.json"
chmod 0600 "$tmp/state/record-$me.json"
echo 1 >"$tmp/sys/kernel/kexec_loaded"
mkdir -p "$tmp/run/frozen/policy.d"
cp "$inv" "$tmp/run/frozen/inventory.json"
cp "$pol"/*.policy "$tmp/run/frozen/policy.d/"
doc status-pending 0 status "${so[@]}" --inventory "$inv" --json
# A frozen plan that cannot be read; the record of the boot it came from gone.
rm -rf "$tmp/run/frozen"
mkdir -p "$tmp/run/frozen"
rm -f "$tmp/state/record-$from.json"
doc status-frozen-unreadable 0 status "${so[@]}" --inventory "$inv" --json
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["frozen"]["readable"] is False and d["from"]["record"] is None' \
	"$out/status-frozen-unreadable.json" 2>/dev/null &&
	pass "status: an unreadable frozen plan and a missing record are said so" ||
	fail "status: frozen.readable false and from.record null expected"

# --- the page against what was printed
n_docs=$(ls "$out" | wc -l)
if python3 "$checker" "$page" "$out"/*.json >"$tmp/check.out" 2>&1; then
	pass "man/kexecq-json.7 documents exactly what $n_docs documents print ($(grep -c '^ok' "$tmp/check.out") checks)"
else
	fail "man/kexecq-json.7 and the printed documents differ"
	grep -v '^ok' "$tmp/check.out" | sed 's/^/    /' | head -30
fi

# --- the checker refuses a page that drifted (a test that cannot fail proves nothing)
# mutate NAME PYTHON-EXPRESSION-ON-s: a copy of the page in $tmp/NAME.7
mutate() {
	python3 - "$page" "$tmp/$1.7" "$2" <<'PY'
import re, sys
s = open(sys.argv[1], encoding="utf-8").read()
t = eval(sys.argv[3])
assert t != s, "the mutation changed nothing"
open(sys.argv[2], "w", encoding="utf-8").write(t)
PY
}
# refused NAME EXPECTED-TEXT DESCRIPTION
refused() {
	if python3 "$checker" "$tmp/$1.7" "$out"/*.json >"$tmp/mut.out" 2>&1; then
		fail "$3: the checker accepted it"
	elif grep -qF -- "$2" "$tmp/mut.out"; then
		pass "$3"
	else
		fail "$3: refused, but not with \"$2\""
		grep -v '^ok' "$tmp/mut.out" | sed 's/^/    /' | head -10
	fi
}
mutate removed 're.sub(r"\.TP\n\.B steps\[\]\.guard\n(?:[^.\n].*\n)*", "", s, count=1)' &&
	refused removed "not documented: steps[].guard" "a field removed from the page is found"
mutate removed-nested 're.sub(r"\.TP\n\.B from\.record\.into\.initrd\n(?:[^.\n].*\n)*", "", s, count=1)' &&
	refused removed-nested "not documented: from.record.into.initrd" "a nested field removed from the page is found"
mutate invented 's.replace(".SS \"kexecq\\-verify, version 1\"", ".TP\n.B steps_total\nInteger; always.  x.\n.SS \"kexecq\\-verify, version 1\"", 1)' &&
	refused invented "never printed: steps_total" "a documented field nothing prints is found"
mutate retyped 's.replace(".B levels\nInteger;", ".B levels\nString;", 1)' &&
	refused retyped "wrong: levels = " "a field of another type is found"
mutate not-null 's.replace(".B record\nObject or null.", ".B record\nObject; always.", 1)' &&
	refused not-null "wrong: record = null" "null where the page says an object is found"
mutate always 's.replace(".B steps[].line\nInteger; absent", ".B steps[].line\nInteger; always.  absent", 1)' &&
	refused always "missing somewhere: steps[].line" "a field said to be always there that is not is found"
mutate version 's.replace("kexecq\\-plan, version 2", "kexecq\\-plan, version 3", 1)' &&
	refused version "kexecq-plan version 2 is the page's (3)" "a version other than the page's is found"

finish
