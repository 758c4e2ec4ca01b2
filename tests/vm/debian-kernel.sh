#!/bin/bash
# The "debian" VM kernel: Debian 12's own kernel (linux-image-amd64, 6.1),
# the stock kernel administrators run, with no build.  The demo's quick
# first run boots it; the test command runs the scenarios that list it
# (# kernel: ... debian) on it too, so what the demo shows is tested.
#
# The packages are fetched with apt-get download and unpacked with dpkg -x
# into the cache, nothing is installed on the host.  The edu test driver is
# built out of tree against the unpacked headers (with compat-unpatched.h:
# a stock kernel has no series), and only the modules the scenarios' devices
# need are kept, with their dependencies (an initramfs with all 4000 would
# not fit the VM's memory).  The result has the layout run.sh and
# mkinitramfs.sh read from a build directory (arch/x86/boot/bzImage,
# include/config/kernel.release, modules/lib/modules/VERSION), plus
# coldplug: the modules the VM's init loads at boot, since nothing is
# built in and there is no udev.  Cached under $KEXECQ_VM_CACHE, keyed by
# the package versions and what goes into the result; complete or absent.
#
# Usage: tests/vm/debian-kernel.sh        (prints the directory)
. "$(dirname "$0")/lib.sh"

# The drivers of the scenarios' devices (run.sh's devices: line), and what
# the scenarios use on them: ext2 (ext4's), SCSI disks, ramoops.
modules="e1000 nvme megaraid_sas sd_mod ahci xhci_pci usb_storage virtio_pci
	virtio_blk virtio_net 8139cp i6300esb vfio_pci ext4 ramoops"
# Version 1: bump when this script changes what it produces.
recipe=1

for c in apt-get apt-cache dpkg-deb depmod modprobe make gcc; do
	command -v "$c" >/dev/null 2>&1 || die "missing: $c (contrib/install-deps.sh)"
done

# The ABI the metapackages point at, e.g. 6.1.0-57-amd64.
dep_of() { # package pattern
	apt-cache depends "$1" 2>/dev/null | sed -n "s/^ *Depends: \($2\)\$/\1/p" | head -1
}
image=$(dep_of linux-image-amd64 'linux-image-[0-9.-]*-amd64') || true
[ -n "$image" ] || die "apt knows no linux-image-amd64 (apt-get update?)"
abi=${image#linux-image-}
headers=linux-headers-$abi
common=$(dep_of "$headers" 'linux-headers-[0-9.-]*-common')
kbuild=$(dep_of "$headers" 'linux-kbuild-[0-9.]*')
if [ -z "$common" ] || [ -z "$kbuild" ]; then
	die "cannot tell what $headers needs"
fi
pkgs="$image $headers $common $kbuild"
version=$(apt-cache show --no-all-versions "$image" | sed -n 's/^Version: //p' | head -1)

key=$({
	echo "debian recipe $recipe $pkgs $version $modules"
	cat "$vm_dir/compat-unpatched.h" "$vm_dir/edu/edu_kexec_test.c" "$vm_dir/edu/Kbuild"
} | sha256sum | cut -c1-16)
out=$cache/debian-$abi-$key
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$cache"
exec {lockfd}>"$cache/debian.lock"
flock "$lockfd"
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi
rm -rf "$cache/.debian-"*
stage=$(mktemp -d "$cache/.debian-XXXXXX")
trap 'rm -rf "$stage"' EXIT

log "fetching $image ($version) and its headers"
mkdir -p "$stage/debs" "$stage/root"
# apt downloads as _apt where it can write; the staging directory is root's.
chmod 0755 "$stage" "$stage/debs"
# shellcheck disable=SC2086 # the package list
(cd "$stage/debs" && apt-get download -q $pkgs >"$stage/download.log" 2>&1) ||
	{ cat "$stage/download.log" >&2; die "apt-get download $pkgs failed"; }
for d in "$stage"/debs/*.deb; do dpkg-deb -x "$d" "$stage/root"; done

kver=$abi
root=$stage/root
[ -f "$root/boot/vmlinuz-$kver" ] || die "$image has no /boot/vmlinuz-$kver"
hdr=$root/usr/src/$headers
# The headers' Makefile includes the common tree by its installed path.
echo "include $root/usr/src/$common/Makefile" >"$hdr/Makefile"

# The test driver, as kbuild.sh builds it for the kernel without the series.
ext=$stage/edu-ext
mkdir -p "$ext"
cp "$vm_dir/edu/edu_kexec_test.c" "$vm_dir/edu/Kbuild" "$vm_dir/compat-unpatched.h" "$ext/"
echo 'ccflags-y += -include $(src)/compat-unpatched.h' >>"$ext/Kbuild"
make -s -C "$hdr" M="$ext" W=1 modules >"$ext/build.log" 2>&1 ||
	{ tail -20 "$ext/build.log" >&2; die "debian: the out-of-tree test driver failed to build"; }
! grep -q 'warning:' "$ext/build.log" ||
	{ cat "$ext/build.log" >&2; die "debian: the out-of-tree test driver builds with warnings"; }

# The modules the scenarios need and what they depend on, from the
# package's tree (which has no modules.dep: depmod runs at install).
depmod -b "$root" "$kver"
art=$stage/art
mods=$art/modules/lib/modules/$kver
mkdir -p "$mods/extra" "$art/arch/x86/boot" "$art/include/config"
# shellcheck disable=SC2086 # the module list
for m in $modules; do
	modprobe -d "$root" -S "$kver" --show-depends "$m" ||
		die "debian: no module $m in $image"
done | while read -r what path _; do
	[ "$what" = insmod ] || continue
	rel=${path#"$root"/lib/modules/"$kver"/}
	mkdir -p "$mods/$(dirname "$rel")"
	cp "$path" "$mods/$rel"
done
cp "$root/lib/modules/$kver"/modules.{builtin,builtin.modinfo,order} "$mods/"
cp "$ext/edu_kexec_test.ko" "$mods/extra/"
depmod -b "$art/modules" "$kver"

cp "$root/boot/vmlinuz-$kver" "$art/arch/x86/boot/bzImage"
cp "$root/boot/config-$kver" "$art/.config"
echo "$kver" >"$art/include/config/kernel.release"
echo "$modules" | tr -s ' \t\n' '\n' | sed '/^$/d' >"$art/coldplug"
echo "$image $version" >"$art/package"
touch "$art/.done"
rm -rf "$out"
mv -T "$art" "$out"
log "debian kernel $kver: $(find "$out/modules" -name '*.ko' | wc -l) modules"
echo "$out"
