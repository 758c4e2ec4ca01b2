#!/bin/bash
# Set everything up and run every test: dependencies, build, unit and CLI
# tests, the same tests under ASan+UBSan, the fuzz harnesses (tests/fuzz),
# and make distcheck.  The VM tests (tests/vm) run as part of 'make check'
# once their prerequisites are in.
#
# Usage (as root, on Debian 12): contrib/run-tests.sh
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
jobs=$(nproc)

step() { printf '\n==== %s\n' "$*"; }

step "dependencies"
contrib/install-deps.sh

# The Debian package's scratch root (debootstrap: downloads and unpacking,
# little CPU) is made beside the builds; the package step waits for it.
mkdir -p _build
tests/deb/install-test.sh --prepare >_build/deb-prepare.log 2>&1 &
deb_prepare=$!

step "autoreconf"
autoreconf -fi >/dev/null

summary() { # sum the closing lines of every test log in a build tree
	local dir=$1 passed=0 failed=0 p f e
	while read -r p f e; do
		passed=$((passed + p - f - e)); failed=$((failed + f + e))
	done < <(sed -nE 's/^[0-9]+%: Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+).*/\1 \2 \3/p' \
		"$dir"/tests/*.log "$dir"/tests/*/*.log 2>/dev/null)
	while read -r p f; do
		passed=$((passed + p)); failed=$((failed + f))
	done < <(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' \
		"$dir"/tests/*.log "$dir"/tests/*/*.log 2>/dev/null)
	echo "$passed $failed"
}

build_and_check() { # dir configure-args...
	local dir=$1
	shift
	rm -rf "$dir"
	mkdir -p "$dir"
	(cd "$dir" && "$top/configure" -q --enable-werror "$@" && make -s -j"$jobs")
	if ! make -s -C "$dir" -j"$jobs" check; then
		cat "$dir/test-suite.log" || true
		return 1
	fi
}

status=0
step "build and test (with the VM scenarios and the per-patch kernel builds)"
KEXECQ_SERIES_BUILD=${KEXECQ_SERIES_BUILD:-1} build_and_check _build/plain || status=1
read -r p1 f1 < <(summary _build/plain)

step "build and test with AddressSanitizer and UndefinedBehaviorSanitizer"
# The kernel and VM tests do not exercise our C code; run them once.
KEXECQ_VM_TESTS=skip build_and_check _build/sanitizers --enable-sanitizers || status=1
read -r p2 f2 < <(summary _build/sanitizers)

step "ThreadSanitizer: the executor and the journal (tests/test-exec, tests/test-failsafe)"
# The concurrent code: workers, the scheduler, the journal's writer and the
# cancel path.  Only these two suites: the rest is single-threaded.
rm -rf _build/tsan
mkdir -p _build/tsan
if ! (cd _build/tsan && "$top/configure" -q CFLAGS="-O1 -g -fsanitize=thread" \
	LDFLAGS="-fsanitize=thread" >/dev/null &&
	make -s -j"$jobs" tests/test-exec tests/test-failsafe &&
	TSAN_OPTIONS=halt_on_error=1:exitcode=66 ./tests/test-exec &&
	TSAN_OPTIONS=halt_on_error=1:exitcode=66 ./tests/test-failsafe); then
	echo "ThreadSanitizer found a problem (above)"
	status=1
fi

step "fuzz: libFuzzer harnesses, 100000 runs each (tests/fuzz/run.sh)"
rm -rf _build/fuzz
if ! KEXECQ_FUZZ_JOBS=$jobs tests/fuzz/run.sh --runs 100000; then
	echo "fuzzing failed; crash inputs: _build/fuzz/fuzz-out/artifacts"
	status=1
fi

step "make distcheck"
if ! KEXECQ_VM_TESTS=skip make -s -C _build/plain distcheck >_build/distcheck.log 2>&1; then
	tail -60 _build/distcheck.log
	status=1
else
	grep -E 'archives ready|\.tar\.' _build/distcheck.log | head -3
fi

step "Debian package: build, lintian, install into a scratch root, use, purge"
# The package's own make check is the plain build's, run above on the same
# tree: DEB_BUILD_OPTIONS=nocheck here.
if ! wait "$deb_prepare"; then
	cat _build/deb-prepare.log
	status=1
elif contrib/build-deb.sh --nocheck _build/deb; then
	tests/deb/install-test.sh _build/deb/kexecq_*_"$(dpkg --print-architecture)".deb || status=1
else
	status=1
fi

step "benchmark"
make -s -C _build/plain bench
if [ "${KEXECQ_VM_TESTS:-}" != skip ]; then
	step "benchmark: kexecq reboot in the VM"
	make -s -C _build/plain bench-vm || echo "(the VM benchmark did not complete; it prints figures and gates nothing)"
fi

step "summary"
echo "plain build:     $p1 passed, $f1 failed"
echo "sanitized build: $p2 passed, $f2 failed"
echo "$((p1 + p2)) passed, $((f1 + f2)) failed"
echo "fuzz (100000 runs each):"
sed 's/^/  /' _build/fuzz/fuzz-out/summary 2>/dev/null || echo "  did not run (build failed?)"
[ $status -eq 0 ] && [ $((f1 + f2)) -eq 0 ]
