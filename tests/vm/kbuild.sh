#!/bin/bash
# Build a VM kernel: x86_64 tinyconfig + kernel.config, with the series
# applied (patched, the default), with the series and kernel-debug.config
# (--debug), or without the series (--unpatched, for A/B comparisons).
# Prints the directory holding bzImage and modules/ (INSTALL_MOD_PATH).
#
# Builds are cached under $KEXECQ_VM_CACHE keyed by a hash of the series,
# the fragments and lib.sh's build_recipe (bump it when this script changes
# what it builds).  patched and debug share one source tree: asking for
# either builds both if missing.  A cache entry is complete or absent:
# everything is built in a staging directory (source tree, objects, the
# out-of-tree test driver), the artifacts are copied into a second staging
# directory, and that is renamed into place as the last step.  A build that
# fails or is killed leaves only a staging directory, removed by the next
# run.
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

tree_kind=patched variants="patched debug"
[ $kind = unpatched ] && tree_kind=unpatched variants=unpatched
out=$cache/build-$kind-$(vm_key $kind)
mkdir -p "$cache"
exec {lockfd}>"$cache/build-$tree_kind-$(vm_key $tree_kind).lock"
flock "$lockfd"
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

src=$(vm_source)
rm -rf "$cache/.stage-$tree_kind-"*
stage=$(mktemp -d "$cache/.stage-$tree_kind-XXXXXX")
trap 'rm -rf "$stage"' EXIT
tree=$stage/tree
log "building the $variants kernel(s) in $stage"
# Hard links are cheap; quilt and make write new files, never in place.
cp -al "$src" "$tree"
if [ $tree_kind = patched ]; then
	(cd "$tree" && QUILT_PATCHES="$patches" QUILT_PC=.pc quilt push -a -q >/dev/null) ||
		die "the series does not apply"
fi

build() { # variant
	local v=$1 obj=$stage/obj-$1 art=$stage/art-$1 dest kver line opt
	dest=$cache/build-$v-$(vm_key "$v")
	[ -f "$dest/.done" ] && return 0
	rm -rf "$dest"
	mkdir -p "$obj"
	make -s -C "$tree" O="$obj" tinyconfig >/dev/null
	"$tree/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" "$fragment" \
		$([ "$v" = debug ] && echo "$debug_fragment") >/dev/null
	make -s -C "$tree" O="$obj" olddefconfig >/dev/null

	# Every option of the fragments must have survived (unless it only
	# exists with the series, on an unpatched build).
	while read -r line; do
		case "$line" in "" | "#"*) continue ;; esac
		opt=${line%%=*}
		if ! grep -qx "$line" "$obj/.config"; then
			if [ "$v" = unpatched ] && ! grep -rqs "config ${opt#CONFIG_}\$" "$tree/drivers/pci/Kconfig" "$tree/drivers/misc/Kconfig"; then
				continue
			fi
			die "$v: $line did not survive olddefconfig"
		fi
	done < <(cat "$fragment"; [ "$v" != debug ] || cat "$debug_fragment")

	log "building $v"
	make -s -C "$tree" O="$obj" -j"$jobs" bzImage modules >"$obj/build.log" 2>&1 ||
		{ tail -40 "$obj/build.log" >&2; die "$v kernel build failed"; }
	make -s -C "$tree" O="$obj" INSTALL_MOD_PATH="$art/modules" modules_install >/dev/null

	# Without the series, build the test driver out of tree against a
	# small shim, so that A/B runs load the same driver in both kernels.
	# Its source is the new file of the series' test-driver patch.  This
	# needs the source tree and the objects, so it runs before either is
	# dropped.
	if [ "$v" = unpatched ]; then
		local ext=$stage/edu-ext
		mkdir -p "$ext"
		awk '/^\+\+\+ b\/drivers\/misc\/edu_kexec_test.c$/ { f = 1; next }
		     f && /^diff --git/ { f = 0 }
		     f && /^\+/ { print substr($0, 2) }' "$patches"/*.patch >"$ext/edu_kexec_test.c"
		[ -s "$ext/edu_kexec_test.c" ] || die "no drivers/misc/edu_kexec_test.c in $patches"
		cp "$vm_dir/compat-unpatched.h" "$ext/"
		printf 'obj-m += edu_kexec_test.o\nccflags-y += -include $(src)/compat-unpatched.h\n' >"$ext/Kbuild"
		make -s -C "$obj" M="$ext" modules >>"$obj/build.log" 2>&1 ||
			{ tail -20 "$obj/build.log" >&2; die "out-of-tree test driver failed to build"; }
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
	cp "$obj/.config" "$obj/System.map" "$obj/build.log" "$art/"
	rm -f "$art/modules/lib/modules/$kver/build" "$art/modules/lib/modules/$kver/source"
	depmod -b "$art/modules" "$kver"
	touch "$art/.done"
	mv -T "$art" "$dest"
	rm -rf "$obj"
}

for v in $variants; do
	build "$v"
done
[ -f "$out/.done" ] || die "no $kind kernel after building"
echo "$out"
