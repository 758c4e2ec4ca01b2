#!/bin/bash
# Build the VM kernel: x86_64 tinyconfig + kernel.config, with the series
# applied (default) or without it (--unpatched, for A/B comparisons).
# Prints the directory holding bzImage and modules/ (INSTALL_MOD_PATH).
#
# Builds are cached under $KEXECQ_VM_CACHE keyed by a hash of the series,
# the fragment and lib.sh's build_recipe (bump it when this script changes
# what it builds).  A cache entry is complete or absent: everything is
# built in a staging directory (source tree, objects, the out-of-tree test
# driver), the artifacts are copied into a second staging directory, and
# that is renamed into place as the last step.  A build that fails or is
# killed leaves only a staging directory, removed by the next run.
#
# Usage: tests/vm/kbuild.sh [--unpatched]
. "$(dirname "$0")/lib.sh"

kind=patched
[ "${1:-}" = --unpatched ] && kind=unpatched
missing=$(vm_missing) || die "missing:$missing (contrib/install-deps.sh)"

key=$(vm_key "$kind")
out=$cache/build-$kind-$key
mkdir -p "$cache"
exec {lockfd}>"$cache/build-$kind-$key.lock"
flock "$lockfd"
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi
# Not complete: whatever is there (an entry of an older recipe that used
# the same name, a copy interrupted by hand) is rebuilt from scratch.
rm -rf "$out" "$cache/.stage-$kind-$key".*

src=$(vm_source)
stage=$(mktemp -d "$cache/.stage-$kind-$key.XXXXXX")
trap 'rm -rf "$stage"' EXIT
tree=$stage/tree obj=$stage/obj art=$stage/artifacts
log "building the $kind kernel in $stage (key $key)"
# Hard links are cheap; quilt and make write new files, never in place.
cp -al "$src" "$tree"
if [ $kind = patched ]; then
	(cd "$tree" && QUILT_PATCHES="$patches" QUILT_PC=.pc quilt push -a -q >/dev/null) ||
		die "the series does not apply"
fi

mkdir -p "$obj"
make -s -C "$tree" O="$obj" tinyconfig >/dev/null
"$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment" >/dev/null
make -s -C "$tree" O="$obj" olddefconfig >/dev/null

# Every option of the fragment must have survived (unless it only exists
# with the series, on an unpatched build).
while read -r line; do
	case "$line" in "" | "#"*) continue ;; esac
	opt=${line%%=*}
	if ! grep -qx "$line" "$obj/.config"; then
		if [ $kind = unpatched ] && ! grep -rqs "config ${opt#CONFIG_}\$" "$tree/drivers/pci/Kconfig" "$tree/drivers/misc/Kconfig"; then
			continue
		fi
		die "$line did not survive olddefconfig"
	fi
done <"$fragment"

make -s -C "$tree" O="$obj" -j"$jobs" bzImage modules >"$stage/build.log" 2>&1 ||
	{ tail -40 "$stage/build.log" >&2; die "kernel build failed"; }
make -s -C "$tree" O="$obj" INSTALL_MOD_PATH="$art/modules" modules_install >/dev/null

# Without the series, build the test driver out of tree against a small
# shim, so that A/B runs load the same driver in both kernels.  Its source
# is the new file of the series' test-driver patch.  This needs the source
# tree and the objects, so it runs before either is dropped.
if [ $kind = unpatched ]; then
	ext=$stage/edu-ext
	mkdir -p "$ext"
	awk '/^\+\+\+ b\/drivers\/misc\/edu_kexec_test.c$/ { f = 1; next }
	     f && /^diff --git/ { f = 0 }
	     f && /^\+/ { print substr($0, 2) }' "$patches"/*.patch >"$ext/edu_kexec_test.c"
	[ -s "$ext/edu_kexec_test.c" ] || die "no drivers/misc/edu_kexec_test.c in $patches"
	cp "$vm_dir/compat-unpatched.h" "$ext/"
	printf 'obj-m += edu_kexec_test.o\nccflags-y += -include $(src)/compat-unpatched.h\n' >"$ext/Kbuild"
	make -s -C "$obj" M="$ext" modules >>"$stage/build.log" 2>&1 ||
		{ tail -20 "$stage/build.log" >&2; die "out-of-tree test driver failed to build"; }
	make -s -C "$obj" M="$ext" INSTALL_MOD_PATH="$art/modules" modules_install >/dev/null 2>&1
	[ -n "$(find "$art/modules" -name 'edu_kexec_test.ko*' -print -quit)" ] ||
		die "out-of-tree test driver was not installed"
fi

# The artifacts, in the layout of a build directory: what run.sh and
# mkinitramfs.sh read.
kver=$(cat "$obj/include/config/kernel.release")
mkdir -p "$art/arch/x86/boot" "$art/include/config"
cp "$obj/arch/x86/boot/bzImage" "$art/arch/x86/boot/"
cp "$obj/include/config/kernel.release" "$art/include/config/"
cp "$obj/.config" "$obj/System.map" "$stage/build.log" "$art/"
rm -f "$art/modules/lib/modules/$kver/build" "$art/modules/lib/modules/$kver/source"
depmod -b "$art/modules" "$kver"
touch "$art/.done"
mv -T "$art" "$out"
echo "$out"
