#!/bin/bash
# Check the kernel series the way a maintainer would: checkpatch --strict
# on every patch, the series applies with quilt on a clean tree, and (with
# --build) the kernel builds after each patch on its own (kbuild.sh checks
# that on its way from the unpatched kernel to the patched one).
#
# Usage: tests/vm/check-series.sh [--build]
. "$(dirname "$0")/lib.sh"

build=no
[ "${1:-}" = --build ] && build=yes
missing=$(vm_missing) || die "missing:$missing (contrib/install-deps.sh)"
src=$(vm_source)
status=0

# checkpatch runs spdxcheck.py with python3; Debian's has ply and git.
export PATH=/usr/bin:$PATH
while read -r p; do
	if out=$(cd "$src" && perl scripts/checkpatch.pl --strict --quiet "$patches/$p" 2>&1) &&
		[ -z "$out" ]; then
		echo "PASS checkpatch --strict: $p"
	else
		echo "FAIL checkpatch --strict: $p"
		echo "$out" | sed 's/^/  /'
		status=1
	fi
done <"$patches/series"

tree=$(mktemp -d "$cache/series-check.XXXXXX")
trap 'rm -rf "$tree"' EXIT
rmdir "$tree"
cp -al "$src" "$tree"
if (cd "$tree" && QUILT_PATCHES="$patches" QUILT_PC=.pc quilt push -a -q >/dev/null 2>&1); then
	echo "PASS quilt push -a applies $(wc -l <"$patches/series") patches on a clean tree"
else
	echo "FAIL quilt push -a"
	status=1
fi

if [ $build = yes ]; then
	# kbuild.sh walks the series patch by patch on its way from the
	# unpatched kernel to the patched one, and keeps what each step gave.
	kb=$("$vm_dir/kbuild.sh") || die "the kernels do not build"
	[ -s "$kb/series-check.txt" ] || die "no series-check.txt in $kb"
	cat "$kb/series-check.txt"
	! grep -q '^FAIL' "$kb/series-check.txt" || status=1
fi
exit $status
