#!/bin/bash
# Check the kernel series the way a maintainer would: checkpatch --strict
# on every patch, the series applies with quilt on a clean tree, and (with
# --build) the kernel builds after each patch on its own.
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
	(cd "$tree" && QUILT_PATCHES="$patches" QUILT_PC=.pc quilt pop -a -q >/dev/null)
	out=$cache/series-check-build
	rm -rf "$out"
	mkdir -p "$out"
	make -s -C "$tree" O="$out" tinyconfig >/dev/null
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment" >/dev/null
	while read -r p; do
		(cd "$tree" && QUILT_PATCHES="$patches" QUILT_PC=.pc quilt push -q >/dev/null)
		# Merge again: options a patch introduces (the test driver's)
		# were dropped as unknown by the previous olddefconfig.
		"$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment" >/dev/null
		make -s -C "$tree" O="$out" olddefconfig >/dev/null
		start=$(date +%s)
		if ! make -s -C "$tree" O="$out" -j"$jobs" bzImage modules >"$out/build.log" 2>&1 ||
			grep -qE '^[^m].*: warning:|^WARNING:' "$out/build.log"; then
			echo "FAIL build after $p"
			grep -E 'error|warning' "$out/build.log" | head -20 | sed 's/^/  /'
			status=1
			continue
		fi
		# Every C file the patch touches must have been compiled.
		unbuilt=
		for c in $(sed -n 's|^+++ b/\(.*\)\.c$|\1|p' "$patches/$p"); do
			[ -f "$out/$c.o" ] || unbuilt="$unbuilt $c.c"
		done
		if [ -n "$unbuilt" ]; then
			echo "FAIL after $p, not compiled:$unbuilt (check kernel.config)"
			status=1
		else
			echo "PASS builds without warnings after $p, compiling what it touches ($(($(date +%s) - start)) s)"
		fi
	done <"$patches/series"
	rm -rf "$out"
fi
exit $status
