#!/bin/bash
# Every input a fuzzer ever crashed on (tests/data/fuzz-regressions/<harness>-*)
# and every hand-written seed, through the harness's own entry point, in
# the plain and the sanitizer build: a crash or a sanitizer report fails.
. "${top_srcdir:-.}/tests/lib.sh"

fuzz=${top_builddir:-.}/tests/fuzz
shopt -s nullglob
for h in policy snapshot plan mountinfo record journal; do
	inputs=("$TESTDATA"/fuzz-regressions/"$h"-* "${top_srcdir:-.}"/tests/fuzz/seeds/"$h"/*)
	[ "$h" = mountinfo ] && inputs+=("$TESTDATA"/mountinfo/*)
	[ "$h" = journal ] && inputs+=("$TESTDATA"/journal/*)
	[ ${#inputs[@]} -gt 0 ] || { fail "$h: no regression inputs or seeds found"; continue; }
	for f in "${inputs[@]}"; do
		if "$fuzz/replay-$h" "$f" >"$tmp/out" 2>&1; then
			pass "replay-$h $(basename "$f")"
		else
			fail "replay-$h $(basename "$f") (exit $?)"
			tail -20 "$tmp/out" | sed 's/^/    /'
		fi
	done
done
finish
