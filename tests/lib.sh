# Shared helpers for the shell tests (sourced).  Each test prints TAP-ish
# lines and exits 0 (pass), 1 (fail) or 77 (skip, with a reason).
set -u

: "${KEXECQ:=${top_builddir:-.}/kexecq}"
: "${TESTDATA:=${top_srcdir:-.}/tests/data}"

n_pass=0
n_fail=0
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kexecq-sh.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

skip() {
	echo "SKIP: $*"
	exit 77
}

pass() {
	n_pass=$((n_pass + 1))
	echo "ok - $*"
}

fail() {
	n_fail=$((n_fail + 1))
	echo "not ok - $*"
}

# run EXPECTED_STATUS CMD... ; stdout in $tmp/out, stderr in $tmp/err
run() {
	local want=$1 got
	shift
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$* exited $got, expected $want"
		sed 's/^/    stdout: /' "$tmp/out" | head -20
		sed 's/^/    stderr: /' "$tmp/err" | head -20
		return 1
	fi
	return 0
}

# expect FILE(out|err) FIXED-STRING DESCRIPTION
expect() {
	if grep -qF -- "$2" "$tmp/$1"; then
		pass "$3"
	else
		fail "$3: \"$2\" not in $1"
		sed "s/^/    $1: /" "$tmp/$1" | head -20
	fi
}

finish() {
	echo "$n_pass passed, $n_fail failed"
	[ "$n_fail" -eq 0 ]
}

# For kernel and VM tests: load tests/vm/lib.sh, or skip with the reason.
require_vm() {
	vm=${top_srcdir:-.}/tests/vm
	[ "${KEXECQ_VM_TESTS:-}" = skip ] && skip "KEXECQ_VM_TESTS=skip"
	. "$vm/lib.sh" || exit 1
	set +e
	missing=$(vm_missing) || skip "VM prerequisites missing:$missing (contrib/install-deps.sh)"
}

# A boot that came from a kexecq kexec, for verify and status: under $tmp a
# /proc (this boot's id $me, a command line), a sysfs with no kernel loaded,
# a state directory with the record of tests/data/record/server.json taken
# in boot $from, a run directory; sets vo (verify's options) and so
# (status's) to point at them.  Needs $from and $me.
after_kexec_root() {
	mkdir -p "$tmp/proc/sys/kernel/random" "$tmp/state" "$tmp/sys/kernel" "$tmp/run"
	echo "$me" >"$tmp/proc/sys/kernel/random/boot_id"
	echo "root=/dev/sda1 quiet" >"$tmp/proc/cmdline"
	echo 0 >"$tmp/sys/kernel/kexec_loaded"
	cp "$TESTDATA/record/server.json" "$tmp/state/record-$from.json"
	chmod 0600 "$tmp/state/record-$from.json"
	vo=(--proc "$tmp/proc" --state-dir "$tmp/state")
	so=(--proc "$tmp/proc" --state-dir "$tmp/state" --sysfs "$tmp/sys" --run-dir "$tmp/run")
}
