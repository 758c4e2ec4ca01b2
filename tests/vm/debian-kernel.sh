#!/bin/bash
# The "debian" VM kernel: Debian 12's own kernel (linux-image-amd64, 6.1),
# the stock kernel administrators run, with no build.  The demo's quick
# first run boots it; the test command runs the scenarios that list it
# (# kernel: ... debian) on it too, so what the demo shows is tested.
#
# The packages are fetched with apt-get download and unpacked with dpkg -x
# into the cache, nothing is installed on the host.  The edu test driver is
# built out of tree against the unpacked headers (with compat-unpatched.h,
# a stock kernel has no series, and compat-6.1.h), and only the modules the
# scenarios' devices need are kept, with their dependencies (an initramfs
# with all 4000 would not fit the VM's memory).  The result has the layout
# run.sh and mkinitramfs.sh read from a build directory
# (arch/x86/boot/bzImage, include/config/kernel.release,
# modules/lib/modules/VERSION), plus coldplug: the modules the VM's init
# loads at boot, since nothing is built in and there is no udev.
#
# Which kernel: KEXECQ_DEBIAN_KERNEL (an ABI, e.g. 6.1.0-57-amd64), else the
# one apt's linux-image-amd64 depends on.  Cached under $KEXECQ_VM_CACHE,
# keyed by the package versions and what goes into the result (this
# script, the driver, the compat headers, the module list); complete or
# absent.  When apt cannot say which kernel is current (no package lists,
# no network), the newest complete entry made by this recipe is used.
#
# Usage: tests/vm/debian-kernel.sh        (prints the directory)
. "$(dirname "$0")/lib.sh"

# The drivers of the scenarios' devices (run.sh's devices: line), and what
# the scenarios use on them: ext2 (ext4's), SCSI disks, ramoops.
modules="e1000 nvme megaraid_sas sd_mod ahci xhci_pci usb_storage virtio_pci
	virtio_blk virtio_net 8139cp i6300esb vfio_pci ext4 ramoops"

for c in apt-get apt-cache dpkg-deb depmod modprobe make; do
	command -v "$c" >/dev/null 2>&1 || die "missing: $c (contrib/install-deps.sh)"
done

# What goes into an entry besides the packages.
local_key=$({
	echo "$modules"
	cat "$0" "$vm_dir/compat-unpatched.h" "$vm_dir/compat-6.1.h" \
		"$vm_dir/edu/edu_kexec_test.c" "$vm_dir/edu/Kbuild"
} | sha256sum | cut -c1-16)

# The newest complete entry of this recipe (of ABI $1 if given), or nothing.
cached() {
	local d best=
	for d in "$cache"/debian-"${1:-*}"-*/; do
		d=${d%/}
		[ -f "$d/.done" ] && [ "$(cat "$d/local-key" 2>/dev/null)" = "$local_key" ] || continue
		[ -z "$best" ] || [ "$d" -nt "$best" ] && best=$d
	done
	echo "$best"
}
offline() { # why
	local d
	d=$(cached "${KEXECQ_DEBIAN_KERNEL:-}")
	[ -n "$d" ] || die "$1, and no kernel of this recipe in $cache"
	log "$1: using $(cat "$d/package") from the cache"
	echo "$d"
	exit 0
}

# The package a dependency line of $1 names, matching the pattern $2.
dep_of() {
	apt-cache depends "$1" 2>/dev/null | sed -n "s/^ *Depends: \($2\)\$/\1/p" | head -1
}
if [ -n "${KEXECQ_DEBIAN_KERNEL:-}" ]; then
	image=linux-image-$KEXECQ_DEBIAN_KERNEL
else
	image=$(dep_of linux-image-amd64 'linux-image-[0-9][^ ]*-amd64') || true
	[ -n "$image" ] || offline "apt cannot say which kernel linux-image-amd64 is (no package lists?)"
fi
abi=${image#linux-image-}
headers=linux-headers-$abi
common=$(dep_of "$headers" 'linux-headers-[0-9][^ ]*-common') || true
kbuild=$(dep_of "$headers" 'linux-kbuild-[0-9][^ ]*') || true
if [ -z "$common" ] || [ -z "$kbuild" ]; then
	offline "apt knows no $headers with its common headers and kbuild"
fi
pkgs="$image $headers $common $kbuild"
versions=$(for p in $pkgs; do
	apt-cache show --no-all-versions "$p" 2>/dev/null | sed -n 's/^Version: //p' | head -1 || true
done | tr '\n' ' ')

key=$(echo "$local_key $pkgs $versions" | sha256sum | cut -c1-16)
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

log "fetching $image (${versions%% *}) and its headers"
mkdir -p "$stage/debs" "$stage/root"
# apt downloads as _apt, into a directory _apt may write.
chmod 0755 "$stage"
! id _apt >/dev/null 2>&1 || chown _apt "$stage/debs"
download() {
	# shellcheck disable=SC2086 # the package list
	(cd "$stage/debs" && apt-get download -q $pkgs) >"$stage/download.log" 2>&1
}
# Lists older than the archive name files it has removed (a security
# update retires the previous ABI): update them once and try again.
if ! download; then
	log "apt-get download failed; apt-get update, then again"
	apt-get update -q >"$stage/update.log" 2>&1 || true
	download || { cat "$stage/download.log" >&2; die "apt-get download $pkgs failed"; }
fi
for d in "$stage"/debs/*.deb; do dpkg-deb -x "$d" "$stage/root"; done

kver=$abi
root=$stage/root
[ -f "$root/boot/vmlinuz-$kver" ] || die "$image has no /boot/vmlinuz-$kver"
hdr=$root/usr/src/$headers
# The headers' Makefile includes the common tree by its installed path.
[ "$(cat "$hdr/Makefile")" = "include /usr/src/$common/Makefile" ] ||
	die "$headers: its Makefile is not the one include this script knows"
echo "include $root/usr/src/$common/Makefile" >"$hdr/Makefile"
# The compiler the kernel was built with (CC in .kernelvariables: gcc-12).
cc=$(sed -n 's/^CC = .*)\(gcc-[0-9]*\)$/\1/p' "$hdr/.kernelvariables")
command -v "${cc:-gcc}" >/dev/null 2>&1 || die "missing: ${cc:-gcc}, the compiler of $image"

# The test driver, as kbuild.sh builds it for the kernel without the series.
ext=$stage/edu-ext
mkdir -p "$ext"
cp "$vm_dir/edu/edu_kexec_test.c" "$vm_dir/edu/Kbuild" "$vm_dir/compat-unpatched.h" \
	"$vm_dir/compat-6.1.h" "$ext/"
# shellcheck disable=SC2016 # $(src) is for make
echo 'ccflags-y += -include $(src)/compat-unpatched.h -include $(src)/compat-6.1.h' >>"$ext/Kbuild"
make -s -C "$hdr" M="$ext" W=1 modules >"$ext/build.log" 2>&1 ||
	{ tail -20 "$ext/build.log" >&2; die "debian: the out-of-tree test driver failed to build"; }
! grep -q 'warning:' "$ext/build.log" ||
	{ cat "$ext/build.log" >&2; die "debian: the out-of-tree test driver builds with warnings"; }

# The modules the scenarios need and what they depend on, from the
# package's tree (which has no modules.dep: depmod runs at install).  Not
# the host's /etc/modprobe.d (-C /dev/null): an "install usb-storage
# /bin/true" there would drop a module.
depmod -b "$root" "$kver"
art=$stage/art
mods=$art/modules/lib/modules/$kver
mkdir -p "$mods/extra" "$art/arch/x86/boot" "$art/include/config"
# shellcheck disable=SC2086 # the module list
for m in $modules; do
	modprobe -C /dev/null -d "$root" -S "$kver" --show-depends "$m" ||
		die "debian: no module $m in $image"
done >"$stage/depends"
while read -r what path _; do
	case $what in
	insmod) ;;
	builtin) continue ;;
	*) die "debian: modprobe --show-depends said \"$what $path\"" ;;
	esac
	rel=${path#"$root"/lib/modules/"$kver"/}
	mkdir -p "$mods/$(dirname "$rel")"
	cp "$path" "$mods/$rel"
done <"$stage/depends"
cp "$root/lib/modules/$kver"/modules.{builtin,builtin.modinfo,order} "$mods/"
cp "$ext/edu_kexec_test.ko" "$mods/extra/"
depmod -b "$art/modules" "$kver"

cp "$root/boot/vmlinuz-$kver" "$art/arch/x86/boot/bzImage"
cp "$root/boot/config-$kver" "$art/.config"
echo "$kver" >"$art/include/config/kernel.release"
echo "$modules" | tr -s ' \t\n' '\n' | sed '/^$/d' >"$art/coldplug"
echo "$image $versions" >"$art/package"
echo "$local_key" >"$art/local-key"
touch "$art/.done"
rm -rf "$out"
mv -T "$art" "$out"
log "debian kernel $kver: $(find "$out/modules" -name '*.ko' | wc -l) modules"
echo "$out"
