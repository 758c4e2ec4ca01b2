#!/bin/bash
# The kernel series as a maintainer checks it: checkpatch --strict clean,
# applies with quilt on a clean linux-source-6.12, and, with
# KEXECQ_SERIES_BUILD=1, builds after each patch without warnings.
. "${top_srcdir:-.}/tests/lib.sh"

require_vm

args=
[ "${KEXECQ_SERIES_BUILD:-0}" = 1 ] && args=--build
"$vm/check-series.sh" $args >"$tmp/out" 2>&1
while IFS= read -r line; do
	case $line in
	PASS\ *) pass "${line#PASS }" ;;
	FAIL\ *) fail "${line#FAIL }" ;;
	*) echo "    $line" ;;
	esac
done <"$tmp/out"
[ -n "$args" ] || echo "(per-patch builds skipped; set KEXECQ_SERIES_BUILD=1)"
finish
