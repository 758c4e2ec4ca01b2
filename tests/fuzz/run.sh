#!/bin/bash
# Build the libFuzzer harnesses with clang and run each for a fixed number
# of executions, starting from seeds assembled out of tests/data and
# tests/fuzz/seeds.  One line per harness; exit 1 if any harness crashed.
#
# Usage: tests/fuzz/run.sh [--runs N] [--build-dir DIR] [policy|snapshot|plan|mountinfo|record|journal ...]
#
#   --runs N        executions per harness (default 100000)
#   --build-dir DIR out-of-tree build configured here with CC=clang
#                   --enable-fuzzing (default _build/fuzz; reused if present)
#
# Environment: KEXECQ_FUZZ_JOBS (make -j, default 1), KEXECQ_FUZZ_LOG=1 (let
# the harnesses log).  Per run, under DIR/fuzz-out: corpus/<harness> (fresh
# every run: seeds plus what libFuzzer adds), artifacts/<harness> (crash-*,
# leak-*, timeout-*, oom-* inputs), <harness>.log (libFuzzer's output) and
# summary (the lines printed per harness).
# Reproduce one crash: DIR/tests/fuzz/fuzz-<harness> <artifact>.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
runs=100000
build=$top/_build/fuzz
harnesses=()

while [ $# -gt 0 ]; do
	case $1 in
	--runs) runs=${2:?--runs needs a number}; shift 2 ;;
	--runs=*) runs=${1#*=}; shift ;;
	--build-dir) build=${2:?--build-dir needs a directory}; shift 2 ;;
	--build-dir=*) build=${1#*=}; shift ;;
	-h | --help) sed -n '2,18s/^# \{0,1\}//p' "$0"; exit 0 ;;
	policy | snapshot | plan | mountinfo | record | journal) harnesses+=("$1"); shift ;;
	fuzz-policy | fuzz-snapshot | fuzz-plan | fuzz-mountinfo | fuzz-record | fuzz-journal) harnesses+=("${1#fuzz-}"); shift ;;
	*) echo "run.sh: unknown argument '$1' (harnesses: policy snapshot plan mountinfo record journal)" >&2; exit 2 ;;
	esac
done
[ ${#harnesses[@]} -gt 0 ] || harnesses=(policy snapshot plan mountinfo record journal)
case $runs in '' | *[!0-9]*) echo "run.sh: --runs needs a number" >&2; exit 2 ;; esac

# ---- build ------------------------------------------------------------------
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi >/dev/null)
mkdir -p "$build"
build=$(cd "$build" && pwd)
if [ ! -f "$build/Makefile" ]; then
	echo "run.sh: configuring $build (CC=clang --enable-fuzzing)"
	(cd "$build" && "$top/configure" -q CC=clang --enable-fuzzing --enable-werror)
fi
if ! grep -q '^FUZZ_LDFLAGS = .*fuzzer' "$build/Makefile"; then
	echo "run.sh: $build is not configured with --enable-fuzzing" >&2
	exit 2
fi
out=$build/fuzz-out
rm -f "$out/summary"
targets=()
for h in "${harnesses[@]}"; do targets+=("tests/fuzz/fuzz-$h"); done
make -s -C "$build" -j"${KEXECQ_FUZZ_JOBS:-1}" "${targets[@]}"

# ---- seed corpora -------------------------------------------------------------
data=$top/tests/data
seeds=$top/tests/fuzz/seeds

# plan seed: snapshot, then each policy after a "----" line; After=/Before=
# names are rewritten to the harness's NN-fuzzK names.
plan_seed() { # output snapshot policy...
	local o=$1 snap=$2 k=0 p names=()
	shift 2
	for p in "$@"; do
		names+=(-e "s/\\b$(basename "$p" .policy)\\b/$(printf '%02d-fuzz%d' $k $k)/g")
		k=$((k + 1))
	done
	{
		cat "$snap"
		[ -z "$(tail -c1 "$snap")" ] || echo # each "----" must start a line
		for p in "$@"; do
			echo "----"
			sed "${names[@]}" "$p"
			[ -z "$(tail -c1 "$p")" ] || echo
		done
	} >"$o"
}

assemble() { # harness corpus-dir
	local h=$1 c=$2 f
	rm -rf "$c"
	mkdir -p "$c"
	case $h in
	policy)
		for f in "$data"/policy/*/*.policy; do
			cp "$f" "$c/$(basename "$(dirname "$f")")-$(basename "$f")"
		done ;;
	snapshot)
		cp "$data"/inventory/*.json "$data"/expected/inventory-umockdev.json "$c/" ;;
	record)
		cp "$data"/record/*.json "$c/"
		for f in "$data"/record/bad/*.json; do cp "$f" "$c/bad-$(basename "$f")"; done ;;
	plan)
		plan_seed "$c/server" "$data/inventory/server.json" "$data"/policy/server/*.policy
		plan_seed "$c/server-order" "$data/inventory/server.json" "$data"/policy/order/*.policy
		plan_seed "$c/server-cycle" "$data/inventory/server.json" "$data"/policy/cycle/*.policy
		plan_seed "$c/umockdev-server" "$data/expected/inventory-umockdev.json" \
			"$data"/policy/server/*.policy
		plan_seed "$c/real-debian12" "$data/inventory/real-debian12.json" \
			"$data"/policy/this-machine/*.policy
		plan_seed "$c/storage" "$data/inventory/storage.json" "$data"/policy/storage/*.policy ;;
	mountinfo)
		cp "$data"/mountinfo/* "$c/" ;;
	journal)
		cp "$data"/journal/*.journal "$c/" ;;
	esac
	for f in "$seeds/$h"/*; do
		[ -f "$f" ] && cp "$f" "$c/seed-$(basename "$f")"
	done
	return 0
}

# ---- run ------------------------------------------------------------------------
pid=
# shellcheck disable=SC2317 # called by the trap
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; exit 130; }
trap cleanup INT TERM HUP

for s in llvm-symbolizer llvm-symbolizer-14 /usr/lib/llvm-14/bin/llvm-symbolizer; do
	if command -v "$s" >/dev/null; then
		export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v "$s")}
		break
	fi
done
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
lines=()
for h in "${harnesses[@]}"; do
	corpus=$out/corpus/$h
	art=$out/artifacts/$h
	log=$out/$h.log
	dict=$top/tests/fuzz/policy.dict
	max_len=8192
	case $h in
	snapshot | record) dict=$top/tests/fuzz/json.dict; max_len=65536 ;;
	mountinfo) dict=$top/tests/fuzz/mountinfo.dict; max_len=16384 ;;
	journal) dict=$top/tests/fuzz/journal.dict; max_len=16384 ;;
	plan)
		dict=$out/plan.dict
		cat "$top/tests/fuzz/json.dict" "$top/tests/fuzz/policy.dict" >"$dict"
		max_len=65536 ;;
	esac
	assemble "$h" "$corpus"
	rm -rf "$art"
	mkdir -p "$art"

	start=$(date +%s.%N)
	rc=0
	"$build/tests/fuzz/fuzz-$h" -runs="$runs" -max_len=$max_len -timeout=10 \
		-rss_limit_mb=2048 -dict="$dict" -artifact_prefix="$art/" \
		-print_final_stats=1 "$corpus" >"$log" 2>&1 &
	pid=$!
	wait "$pid" || rc=$?
	pid=
	end=$(date +%s.%N)

	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	execs=${execs:-0}
	found=()
	for f in "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-*; do
		[ -e "$f" ] && found+=("$f")
	done
	line=$(awk -v h="fuzz-$h" -v n="$execs" -v s="$start" -v e="$end" -v c=${#found[@]} \
		'BEGIN { t = e - s; r = t > 0 ? n / t : 0
			printf "%-14s %8d execs %7.1f s %7.0f exec/s  %d crash%s", h, n, t, r, c, (c == 1 ? "" : "es") }')
	if [ ${#found[@]} -gt 0 ]; then
		status=1
		# The report: sanitizer summary and the first frames of the stack.
		grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error:|==[0-9]+== ERROR: libFuzzer)' \
			"$log" >&2 || true
		grep -m6 -E '^ +#[0-9]+ ' "$log" >&2 || true
	elif [ $rc -ne 0 ]; then
		status=1
		line="$line  (exit $rc, see $log)"
		tail -20 "$log" >&2
	fi
	echo "$line"
	lines+=("$line")
	for f in "${found[@]}"; do echo "    $f"; lines+=("    $f"); done
done

printf '%s\n' "${lines[@]}" >"$out/summary"
if [ ${#harnesses[@]} -gt 1 ]; then
	echo "---- fuzz summary ($runs runs each; logs in $out)"
	cat "$out/summary"
fi
exit $status
