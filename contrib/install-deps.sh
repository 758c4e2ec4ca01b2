#!/bin/sh
# Install every build, test and VM-bench dependency of kexecq on Debian 12.
# Idempotent; run as root.  Usage: contrib/install-deps.sh [--no-vm]
set -eu

vm=yes
[ "${1:-}" = "--no-vm" ] && vm=no

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: must run as root (apt-get)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# kexec-tools asks whether it should take over reboot; it must not.
echo 'kexec-tools kexec-tools/load_kexec boolean false' | debconf-set-selections

build="build-essential autoconf automake libtool pkg-config gettext
       libudev-dev libkmod-dev libsystemd-dev libjson-c-dev libmnl-dev check
       kexec-tools dbus umockdev clang-format"
# Man page lint, pictures (plan --dot rendered by the tests), completion,
# and the Debian package: built, linted, installed into a scratch root.
docdeps="mandoc graphviz bash-completion python3
         debhelper devscripts dpkg-dev fakeroot lintian debootstrap"
# tests/fuzz: libclang-rt-14-dev ships libclang_rt.fuzzer-x86_64.a (clang only
# recommends it, via libclang-common-14-dev); llvm-14 has llvm-symbolizer.
fuzzdeps="clang libclang-rt-14-dev llvm-14"
vmdeps="linux-source-6.12 qemu-system-x86 busybox-static cpio xz-utils
        bc bison flex libelf-dev libssl-dev quilt perl python3 python3-ply python3-git kmod iproute2
        systemd"

pkgs="$build $fuzzdeps $docdeps"
[ "$vm" = yes ] && pkgs="$pkgs $vmdeps"

missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
