#!/bin/bash
# contrib/fleet: the wrapper kured or a timer runs (kexecq-fleet-reboot),
# with a fake kexecq on PATH that exits with each status kexecq has (the
# wrapper's job is mapping them: reboot, fall back, or pass the status on),
# under every POSIX shell at hand; shellcheck on it; systemd-analyze verify
# on the example units; the kured YAML parses and sets --reboot-command;
# and the exit-status tables of the READMEs against exit-status.h.
. "${top_srcdir:-.}/tests/lib.sh"

fleet=${top_srcdir:-.}/contrib/fleet
wrapper=$fleet/kexecq-fleet-reboot
skipped=

# --- the fakes: each logs its arguments, and exits as told
mkdir -p "$tmp/bin"
cat >"$tmp/bin/kexecq" <<'EOF'
#!/bin/sh
echo "kexecq $*" >>"$FAKE_LOG"
case $1 in
check) exit "${FAKE_CHECK:-0}" ;;
unload)
	[ "${FAKE_UNLOAD:-0}" != 0 ] || echo 0 >"$FAKE_KEXEC_LOADED"
	exit "${FAKE_UNLOAD:-0}"
	;;
reboot)
	# A signal to the wrapper while kexecq runs (systemd's stop, a Ctrl-C).
	[ -n "${FAKE_SIGNAL_PARENT:-}" ] && kill "-$FAKE_SIGNAL_PARENT" "$PPID"
	exit "${FAKE_REBOOT:-0}"
	;;
esac
exit 99
EOF
cat >"$tmp/bin/systemctl" <<'EOF'
#!/bin/sh
echo "systemctl $*" >>"$FAKE_LOG"
exit "${FAKE_SYSTEMCTL:-0}"
EOF
chmod +x "$tmp/bin/kexecq" "$tmp/bin/systemctl"
export FAKE_LOG=$tmp/log
# A kernel is loaded (kexec by default armed one) until the fake unloads it.
export FAKE_KEXEC_LOADED=$tmp/kexec_loaded KEXECQ_FLEET_KEXEC_LOADED=$tmp/kexec_loaded

# wrap SHELL WANT-STATUS WANT-LOG DESCRIPTION [VAR=VALUE...] -- WRAPPER-ARGS...
# WANT-LOG: the commands run, one per line joined by "; " ("" for none).
wrap() {
	local sh=$1 want=$2 wantlog=$3 what=$4 got log
	shift 4
	local envs=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		envs+=("$1")
		shift
	done
	shift
	: >"$FAKE_LOG"
	echo 1 >"$FAKE_KEXEC_LOADED"
	env PATH="${FAKE_PATH:-$tmp/bin:$PATH}" "${envs[@]}" $sh "$wrapper" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	log=$(paste -sd';' "$FAKE_LOG" | sed 's/;/; /g')
	if [ "$got" -eq "$want" ] && [ "$log" = "$wantlog" ]; then
		pass "$sh: $what: status $want, ran: ${wantlog:-nothing}"
	else
		fail "$sh: $what: status $got (want $want), ran: ${log:-nothing} (want ${wantlog:-nothing})"
		sed 's/^/    stderr: /' "$tmp/err" | head -5
	fi
}

# Each shell by its path: one case runs with a PATH that has nothing but systemctl.
shells="$(command -v sh)"
command -v dash >/dev/null && shells="$shells $(command -v dash)"
command -v busybox >/dev/null && busybox sh -c : 2>/dev/null && shells="$shells $(command -v busybox):sh"
shells="$shells $(command -v bash):--posix"
mkdir -p "$tmp/nokexecq"
cp "$tmp/bin/systemctl" "$tmp/nokexecq/"

for s in $shells; do
	sh=${s/:/ }
	# kexecq reboot's status: 0 is a started kexec; the rest pass through, or
	# with --fallback become a firmware reboot where kexecq changed nothing.
	for st in 0 1 2 3 4 6 7 8 9 10 11; do
		wrap "$sh" "$st" "kexecq check; kexecq reboot" "reboot exits $st" FAKE_REBOOT=$st --
		case $st in
		1 | 3 | 4 | 6 | 10)
			wrap "$sh" 0 "kexecq check; kexecq reboot; kexecq unload; systemctl reboot" \
				"reboot exits $st, --fallback: firmware reboot" FAKE_REBOOT=$st -- --fallback
			;;
		*)
			wrap "$sh" "$st" "kexecq check; kexecq reboot" "reboot exits $st, --fallback: no fallback" \
				FAKE_REBOOT=$st -- --fallback
			;;
		esac
	done
	grep -q "a logind shutdown inhibitor blocks the reboot" "$tmp/err" ||
		fail "$sh: status 11 is not explained on stderr"
	# kexecq check's status: 0 goes on to the reboot; 5 (at risk) and the rest stop it.
	for st in 1 2 3 5; do
		wrap "$sh" "$st" "kexecq check" "check exits $st" FAKE_CHECK=$st --
		if [ "$st" = 2 ]; then
			wrap "$sh" 2 "kexecq check" "check exits 2, --fallback: no fallback" FAKE_CHECK=2 -- --fallback
		else
			wrap "$sh" 0 "kexecq check; kexecq unload; systemctl reboot" "check exits $st, --fallback: firmware reboot" \
				FAKE_CHECK=$st -- --fallback
		fi
	done
	wrap "$sh" 0 "kexecq reboot" "--no-check skips the check" FAKE_CHECK=5 -- --no-check
	wrap "$sh" 0 "kexecq check; kexecq reboot --force --kernel=/boot/vmlinuz-6.12.9" \
		"options after -- go to kexecq reboot" -- --fallback -- --force --kernel=/boot/vmlinuz-6.12.9
	wrap "$sh" 2 "" "an unknown option runs nothing" -- --force
	wrap "$sh" 0 "" "--help runs nothing" -- --help
	# The fallback fails too: kexecq's status, not systemctl's.
	wrap "$sh" 10 "kexecq check; kexecq reboot; kexecq unload; systemctl reboot" "fallback that fails: kexecq's status" \
		FAKE_REBOOT=10 FAKE_SYSTEMCTL=1 -- --fallback
	# The armed kernel cannot be unloaded: no fallback (systemctl reboot would kexec into it).
	wrap "$sh" 5 "kexecq check; kexecq unload" "check exits 5, --fallback, unload fails: no reboot" \
		FAKE_CHECK=5 FAKE_UNLOAD=1 -- --fallback
	# kexecq not installed: 127, a firmware reboot only with --fallback, and
	# only with no kernel loaded.
	FAKE_PATH=$tmp/nokexecq wrap "$sh" 127 "" "kexecq missing" --
	FAKE_PATH=$tmp/nokexecq wrap "$sh" 127 "" "kexecq missing, --fallback, a kernel loaded: no reboot" -- --fallback
	FAKE_PATH=$tmp/nokexecq wrap "$sh" 0 "systemctl reboot" "kexecq missing, --fallback, nothing loaded: firmware reboot" \
		KEXECQ_FLEET_KEXEC_LOADED=$tmp/none -- --fallback
	# A signal to the wrapper while kexecq reboot runs: kexecq rolls back (6); no fallback.
	wrap "$sh" 6 "kexecq check; kexecq reboot" "SIGTERM during the reboot: no fallback" \
		FAKE_REBOOT=6 FAKE_SIGNAL_PARENT=TERM -- --fallback
	grep -q "interrupted by SIGTERM" "$tmp/err" || fail "$sh: the interruption is not said"
done

# --- shellcheck: POSIX sh, no warnings
if command -v shellcheck >/dev/null; then
	if shellcheck -s sh "$wrapper" >"$tmp/sc" 2>&1; then
		pass "shellcheck -s sh kexecq-fleet-reboot: clean"
	else
		fail "shellcheck -s sh kexecq-fleet-reboot"
		head -20 "$tmp/sc"
	fi
else
	skipped="$skipped shellcheck (not installed);"
fi

# --- the example units: systemd-analyze verify, the binary where the build put it
unit_ok() {
	systemd-analyze verify --man=no "$@" >"$tmp/sa" 2>&1 && [ ! -s "$tmp/sa" ]
}
mkdir -p "$tmp/units" "$tmp/probe"
printf '[Service]\nType=oneshot\nExecStart=/bin/true\n' >"$tmp/probe/probe.service"
if ! command -v systemd-analyze >/dev/null; then
	skipped="$skipped systemd-analyze verify (not installed);"
elif ! unit_ok "$tmp/probe/probe.service"; then
	skipped="$skipped systemd-analyze verify (does not work here: $(head -1 "$tmp/sa"));"
else
	for u in kexecq-reboot.service kexecq-reboot.timer; do
		sed "s|/usr/sbin/kexecq|$KEXECQ|g" "$fleet/systemd/$u" >"$tmp/units/$u"
	done
	if unit_ok "$tmp/units/kexecq-reboot.service" "$tmp/units/kexecq-reboot.timer"; then
		pass "systemd-analyze verify: kexecq-reboot.service and .timer"
	else
		fail "systemd-analyze verify: kexecq-reboot.service and .timer"
		head -10 "$tmp/sa"
	fi
	# ... and it would have said so (a test that cannot fail proves nothing).
	sed -i 's/^RandomizedDelaySec=/RandomisedDelaySec=/' "$tmp/units/kexecq-reboot.timer"
	if unit_ok "$tmp/units/kexecq-reboot.service" "$tmp/units/kexecq-reboot.timer"; then
		fail "systemd-analyze verify accepts a misspelt key"
	else
		pass "systemd-analyze verify refuses a misspelt key"
	fi
	grep -q '^ConditionPathExists=/run/reboot-required$' "$fleet/systemd/kexecq-reboot.service" &&
		pass "the service runs only when /run/reboot-required exists" ||
		fail "the service has no ConditionPathExists=/run/reboot-required"
fi

# --- kured: the values and the patch parse, and set the reboot command
if python3 -c 'import yaml' 2>/dev/null; then
	if python3 - "$fleet/kured" >"$tmp/y" 2>&1 <<'PY'; then
import sys, yaml
d = sys.argv[1]
v = yaml.safe_load(open(d + "/kured-values.yaml"))
assert v["configuration"]["rebootCommand"] == "/usr/sbin/kexecq reboot", v
assert v["configuration"].get("rebootMethod", "command") in ("", "command"), v
p = yaml.safe_load(open(d + "/kured-ds-patch.yaml"))
assert p == [{"op": "add", "path": "/spec/template/spec/containers/0/command/-",
              "value": "--reboot-command=/usr/sbin/kexecq reboot"}], p
PY
		pass "kured values and DaemonSet patch set --reboot-command=/usr/sbin/kexecq reboot"
	else
		fail "kured values or DaemonSet patch"
		cat "$tmp/y"
	fi
else
	skipped="$skipped the kured YAML (python3 yaml not installed);"
fi

# --- the READMEs' tables: every status of exit-status.h, each with its number
# One line per status, "EXIT_REFUSED 10" (clang-format may put the value on the next line).
tr '\n' ' ' <"${top_srcdir:-.}/daemon/basic/exit-status.h" | grep -oE 'EXIT_[A-Z_]+ =[[:space:]]*[0-9]+' |
	sed 's/ =[[:space:]]*/ /' >"$tmp/syms"
[ "$(wc -l <"$tmp/syms")" -ge 12 ] && pass "exit-status.h: $(wc -l <"$tmp/syms") statuses" ||
	fail "exit-status.h: cannot read the statuses ($(wc -l <"$tmp/syms"))"
for readme in "$fleet/README.md" "$fleet/kured/README.md" "$fleet/systemd/README.md"; do
	bad=
	while read -r sym num; do
		# A row of the table: "| 10 | `EXIT_REFUSED` |"
		if ! grep -qE "^\| *$num *\| *\`$sym\` *\|" "$readme"; then
			bad="$bad $sym($num)"
		fi
	done <"$tmp/syms"
	if [ -z "$bad" ]; then
		pass "${readme#"${top_srcdir:-.}"/}: a row for every status of exit-status.h, with its number"
	else
		fail "${readme#"${top_srcdir:-.}"/}: no row, or another number, for:$bad"
	fi
done

if [ -n "$skipped" ] && [ "$n_fail" -eq 0 ]; then
	finish
	skip "everything else passed; not checked:$skipped"
fi
finish
