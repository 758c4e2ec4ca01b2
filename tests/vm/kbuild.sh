#!/bin/bash
# Build a VM kernel: x86_64 tinyconfig + kernel.config, with the series
# applied (patched, the default), with the series and kernel-debug.config
# (--debug), or without the series (--unpatched, for A/B comparisons).
# Prints the directory holding bzImage and modules/ (INSTALL_MOD_PATH).
#
# Builds are cached under $KEXECQ_VM_CACHE keyed by a hash of the series,
# the fragments and lib.sh's build_recipe (bump it when this script changes
# what it builds).  Whatever of the three is missing is built in one run,
# from one source tree, walking the series the way a maintainer checks it:
#   - the tree without the series is built in full: the unpatched kernel
#     (and the test driver, out of tree, against it);
#   - each patch is pushed and the build brought up to date (make rebuilds
#     what the patch changed and what depends on it), which must succeed
#     without warnings and compile every .c the patch touches; the result
#     of each step is kept as series-check.txt beside the patched kernel,
#     for check-series.sh --build;
#   - after the last patch: the patched kernel;
#   - the debug kernel, from the same tree in a second object directory.
# One full build and five incremental ones instead of a full build for
# each of unpatched, patched and the per-patch check.  A cache entry is
# complete or absent: artifacts are copied into a staging directory that
# is renamed into place as the last step; a build that fails or is killed
# leaves only staging directories, removed by the next run.
#
# Usage: tests/vm/kbuild.sh [--unpatched|--debug]
. "$(dirname "$0")/lib.sh"

kind=patched
case ${1:-} in
--unpatched) kind=unpatched ;;
--debug) kind=debug ;;
"") ;;
*) die "usage: kbuild.sh [--unpatched|--debug]" ;;
esac
missing=$(vm_missing) || die "missing:$missing (contrib/install-deps.sh)"

out=$cache/build-$kind-$(vm_key $kind)
# done_ KIND: its entry is finished (the patched one with its per-patch
# check).
done_() {
	local d=$cache/build-$1-$(vm_key "$1")
	[ -f "$d/.done" ] && { [ "$1" != patched ] || [ -f "$d/series-check.txt" ]; }
}
# A finished entry is complete (it is renamed into place last): no need to
# wait for a build of the other kinds that holds the lock.
if done_ "$kind"; then
	echo "$out"
	exit 0
fi
mkdir -p "$cache"
exec {lockfd}>"$cache/build.lock"
flock "$lockfd"
if done_ "$kind"; then
	echo "$out"
	exit 0
fi

need_unpatched= need_patched= need_debug=
done_ unpatched || need_unpatched=1
done_ patched || need_patched=1
done_ debug || need_debug=1

src=$(vm_source)
rm -rf "$cache/.stage-"*
stage=$(mktemp -d "$cache/.stage-XXXXXX")
trap 'rm -rf "$stage"' EXIT
tree=$stage/tree
# Hard links are cheap; quilt and make write new files, never in place.
cp -al "$src" "$tree"
quilt_() { (cd "$tree" && QUILT_PATCHES="$patches" QUILT_PC=.pc quilt "$@" -q >/dev/null 2>&1); }

# configure OBJ FRAGMENT...: tinyconfig plus the fragments, for the tree as it is.
configure() {
	local obj=$1
	shift
	mkdir -p "$obj"
	[ -f "$obj/.config" ] || make -s -C "$tree" O="$obj" tinyconfig >/dev/null
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$@" >/dev/null
	make -s -C "$tree" O="$obj" olddefconfig >/dev/null
}

# check_config OBJ VARIANT FRAGMENT...: every option of the fragments must
# have survived olddefconfig (the series adds no option).
check_config() {
	local obj=$1 v=$2 line
	shift 2
	while read -r line; do
		case "$line" in "" | "#"*) continue ;; esac
		grep -qx "$line" "$obj/.config" || die "$v: $line did not survive olddefconfig"
	done < <(cat "$@")
}

# make_ OBJ LOG: bzImage and modules.
make_() { make -s -C "$tree" O="$1" -j"$jobs" bzImage modules >"$2" 2>&1; }

# artifacts OBJ VARIANT: copy what run.sh and mkinitramfs.sh read into
# place, in the layout of a build directory.
artifacts() {
	local obj=$1 v=$2 art=$stage/art-$2 dest kver
	dest=$cache/build-$v-$(vm_key "$v")
	rm -rf "$dest"
	make -s -C "$tree" O="$obj" INSTALL_MOD_PATH="$art/modules" modules_install >/dev/null

	# The edu test driver is not part of the series: build it out of tree
	# (tests/vm/edu) against every kernel, so that A/B runs load the same
	# driver.  Without the series, a small shim stands in for what the
	# series adds (compat-unpatched.h).
	local ext=$stage/edu-ext
	rm -rf "$ext"
	mkdir -p "$ext"
	cp "$vm_dir/edu/edu_kexec_test.c" "$vm_dir/edu/Kbuild" "$ext/"
	if [ "$v" = unpatched ]; then
		cp "$vm_dir/compat-unpatched.h" "$ext/"
		echo 'ccflags-y += -include $(src)/compat-unpatched.h' >>"$ext/Kbuild"
	fi
	make -s -C "$obj" M="$ext" W=1 modules >"$ext/build.log" 2>&1 ||
		{ tail -20 "$ext/build.log" >&2; die "$v: the out-of-tree test driver failed to build"; }
	! grep -q 'warning:' "$ext/build.log" ||
		{ cat "$ext/build.log" >&2; die "$v: the out-of-tree test driver builds with warnings"; }
	make -s -C "$obj" M="$ext" INSTALL_MOD_PATH="$art/modules" modules_install >/dev/null 2>&1
	[ -n "$(find "$art/modules" -name 'edu_kexec_test.ko*' -print -quit)" ] ||
		die "$v: the out-of-tree test driver was not installed"
	rm -rf "$ext"

	kver=$(cat "$obj/include/config/kernel.release")
	mkdir -p "$art/arch/x86/boot" "$art/include/config"
	cp "$obj/arch/x86/boot/bzImage" "$art/arch/x86/boot/"
	cp "$obj/include/config/kernel.release" "$art/include/config/"
	cp "$obj/.config" "$obj/System.map" "$obj/build.log" "$art/"
	[ "$v" != patched ] || [ ! -f "$stage/series-check.txt" ] || cp "$stage/series-check.txt" "$art/"
	rm -f "$art/modules/lib/modules/$kver/build" "$art/modules/lib/modules/$kver/source"
	depmod -b "$art/modules" "$kver"
	touch "$art/.done"
	mv -T "$art" "$dest"
}

# The walk: unpatched, each patch, patched.
if [ -n "$need_unpatched$need_patched" ]; then
	obj=$stage/obj
	configure "$obj" "$fragment"
	check_config "$obj" unpatched "$fragment"
	log "building without the series"
	make_ "$obj" "$obj/build.log" || { tail -40 "$obj/build.log" >&2; die "unpatched kernel build failed"; }
	[ -z "$need_unpatched" ] || artifacts "$obj" unpatched
fi
if [ -n "$need_patched" ]; then
	: >"$stage/series-check.txt"
	while read -r p; do
		quilt_ push || die "$p does not apply"
		# Merge again: options a patch introduces would have been
		# dropped as unknown by the previous olddefconfig.
		configure "$obj" "$fragment"
		log "building after $p"
		start=$(date +%s)
		if ! make_ "$obj" "$obj/build.log"; then
			tail -40 "$obj/build.log" >&2
			die "the build fails after $p"
		fi
		if grep -qE '^[^m].*: warning:|^WARNING:' "$obj/build.log"; then
			echo "FAIL build after $p warns" >>"$stage/series-check.txt"
			grep -E 'warning' "$obj/build.log" | head -20 | sed 's/^/  /' >>"$stage/series-check.txt"
			continue
		fi
		# Every C file the patch touches must have been compiled.
		unbuilt=
		for c in $(sed -n 's|^+++ b/\(.*\)\.c$|\1|p' "$patches/$p"); do
			[ -f "$obj/$c.o" ] || unbuilt="$unbuilt $c.c"
		done
		if [ -n "$unbuilt" ]; then
			echo "FAIL after $p, not compiled:$unbuilt (check kernel.config)" >>"$stage/series-check.txt"
		else
			echo "PASS builds without warnings after $p, compiling what it touches ($(($(date +%s) - start)) s)" >>"$stage/series-check.txt"
		fi
	done <"$patches/series"
	check_config "$obj" patched "$fragment"
	artifacts "$obj" patched
fi
if [ -n "$need_debug" ]; then
	[ -n "$need_patched" ] || quilt_ push -a || die "the series does not apply"
	log "building debug"
	configure "$stage/obj-debug" "$fragment" "$debug_fragment"
	check_config "$stage/obj-debug" debug "$fragment" "$debug_fragment"
	make_ "$stage/obj-debug" "$stage/obj-debug/build.log" ||
		{ tail -40 "$stage/obj-debug/build.log" >&2; die "debug kernel build failed"; }
	artifacts "$stage/obj-debug" debug
fi
[ -f "$out/.done" ] || die "no $kind kernel after building"
echo "$out"
