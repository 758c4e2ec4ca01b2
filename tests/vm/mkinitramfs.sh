#!/bin/bash
# Build the two initramfs images of a VM run: stage 1 (with the kernel and
# stage 2 inside, for kexec) and stage 2.  Both carry busybox, kexec-tools
# and its libraries, the kernel's modules, the init and the scenario, in a
# merged-/usr layout like the host's (/bin, /sbin, /lib, /lib64 link into
# /usr), so that programs find each other at the paths they were built
# with (systemd-shutdown runs /sbin/kexec; command -v finds /usr/sbin/kexec).
#
# Usage: tests/vm/mkinitramfs.sh KBUILD_DIR SCENARIO OUTDIR
. "$(dirname "$0")/lib.sh"

kb=$1 scenario=$2 outdir=$3
kver=$(cat "$kb/include/config/kernel.release")
mkdir -p "$outdir"

copy_with_libs() { # root binary...
	local root=$1 bin lib
	shift
	for bin in "$@"; do
		mkdir -p "$root$(dirname "$bin")"
		cp -L "$bin" "$root$bin"
		for lib in $(ldd "$bin" 2>/dev/null | grep -oE '/[^ ]+'); do
			mkdir -p "$root$(dirname "$lib")"
			cp -Ln "$lib" "$root$lib"
		done
	done
}

populate() { # root
	local root=$1 d
	mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{dev,proc,sys,run,tmp,boot,etc}
	for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
	mkdir -p "$root/lib/modules"
	cp "$(command -v busybox)" "$root/bin/busybox"
	cp "$vm_dir/init" "$root/init"
	cp "$vm_dir/init-functions" "$root/init-functions"
	cp "$scenario" "$root/scenario.sh"
	chmod +x "$root/init"
	cp -a "$kb/modules/lib/modules/$kver" "$root/lib/modules/"
	rm -f "$root/lib/modules/$kver/build" "$root/lib/modules/$kver/source"
	copy_with_libs "$root" "$(command -v kexec)"
	# Needs only libc, which kexec brought.
	cp "$work/bin/vfio-hold" "$root/bin/"
	# iproute2's ip talks rtnetlink; busybox's needs an IPv4 socket, and
	# the VM kernel has no IP stack.
	copy_with_libs "$root" "$(readlink -f "$(command -v ip)")"
	mv "$root$(readlink -f "$(command -v ip)")" "$root/bin/ip-netlink"
	[ -z "${KEXECQ_VM_EXTRA_BINS:-}" ] || copy_with_libs "$root" $KEXECQ_VM_EXTRA_BINS
	# kexecq itself (the build's binary, KEXECQ) and its systemd hook, at
	# the paths a package installs them to.
	if [ -n "${KEXECQ:-}" ] && [ -x "$KEXECQ" ]; then
		copy_with_libs "$root" "$KEXECQ"
		mkdir -p "$root/usr/sbin" "$root/usr/lib/systemd/system-shutdown"
		mv "$root$KEXECQ" "$root/usr/sbin/kexecq"
		ln -s /usr/sbin/kexecq "$root/usr/lib/systemd/system-shutdown/kexecq.shutdown"
	fi
}

pack() { # root image
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$2"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
cc -O2 -Wall -o "$work/bin/vfio-hold" "$vm_dir/vfio-hold.c"
populate "$work/stage2"
pack "$work/stage2" "$outdir/stage2.cpio.gz"
populate "$work/stage1"
cp "$kb/arch/x86/boot/bzImage" "$work/stage1/boot/bzImage"
cp "$outdir/stage2.cpio.gz" "$work/stage1/boot/stage2.cpio.gz"
pack "$work/stage1" "$outdir/stage1.cpio.gz"
