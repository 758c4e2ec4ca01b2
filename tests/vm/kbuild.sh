#!/bin/bash
# Build the VM kernel: x86_64 tinyconfig + kernel.config, with the series
# applied (default) or without it (--unpatched, for A/B comparisons).
# Prints the directory holding bzImage and modules/ (INSTALL_MOD_PATH).
# Builds are cached under $KEXECQ_VM_CACHE keyed by a hash of the series,
# the fragment and lib.sh's build_recipe (bump it when this script changes
# what it builds).
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

src=$(vm_source)
tree=$cache/tree-$kind-$key
if [ ! -f "$out/.kernel" ]; then
	rm -rf "$tree" "$out"
	log "building the $kind kernel in $tree (key $key)"
	# Hard links are cheap; quilt and make write new files, never in place.
	cp -al "$src" "$tree"
	if [ $kind = patched ]; then
		(cd "$tree" && QUILT_PATCHES="$patches" QUILT_PC=.pc quilt push -a -q >/dev/null) ||
			die "the series does not apply"
	fi

	mkdir -p "$out"
	make -s -C "$tree" O="$out" tinyconfig >/dev/null
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment" >/dev/null
	make -s -C "$tree" O="$out" olddefconfig >/dev/null

	# Every option of the fragment must have survived (unless it only exists
	# with the series, on an unpatched build).
	while read -r line; do
		case "$line" in "" | "#"*) continue ;; esac
		opt=${line%%=*}
		if ! grep -qx "$line" "$out/.config"; then
			if [ $kind = unpatched ] && ! grep -rqs "config ${opt#CONFIG_}\$" "$tree/drivers/pci/Kconfig" "$tree/drivers/misc/Kconfig"; then
				continue
			fi
			die "$line did not survive olddefconfig"
		fi
	done <"$fragment"

	make -s -C "$tree" O="$out" -j"$jobs" bzImage modules >"$out/build.log" 2>&1 ||
		{ tail -40 "$out/build.log" >&2; die "kernel build failed (see $out/build.log)"; }
	make -s -C "$tree" O="$out" INSTALL_MOD_PATH="$out/modules" modules_install >/dev/null
	rm -rf "$tree"
	touch "$out/.kernel"
fi

# Without the series, build the test driver out of tree against a small
# shim, so that A/B runs load the same driver in both kernels.  Its source
# is the new file of the series' test-driver patch.
if [ $kind = unpatched ]; then
	ext=$out/edu-ext
	rm -rf "$ext"
	mkdir -p "$ext"
	awk '/^\+\+\+ b\/drivers\/misc\/edu_kexec_test.c$/ { f = 1; next }
	     f && /^diff --git/ { f = 0 }
	     f && /^\+/ { print substr($0, 2) }' "$patches"/*.patch >"$ext/edu_kexec_test.c"
	[ -s "$ext/edu_kexec_test.c" ] || die "no drivers/misc/edu_kexec_test.c in $patches"
	cp "$vm_dir/compat-unpatched.h" "$ext/"
	printf 'obj-m += edu_kexec_test.o\nccflags-y += -include $(src)/compat-unpatched.h\n' >"$ext/Kbuild"
	make -s -C "$out" M="$ext" modules >>"$out/build.log" 2>&1 ||
		{ tail -20 "$out/build.log" >&2; die "out-of-tree test driver failed to build"; }
	make -s -C "$out" M="$ext" INSTALL_MOD_PATH="$out/modules" modules_install >/dev/null 2>&1
fi
kver=$(cat "$out/include/config/kernel.release")
depmod -b "$out/modules" "$kver"
touch "$out/.done"
echo "$out"
