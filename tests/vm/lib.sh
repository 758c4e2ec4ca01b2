# Shared settings for the VM bench (sourced).
# shellcheck shell=bash
set -euo pipefail

vm_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(cd "$vm_dir/../.." && pwd)
patches=$top/kernel-patches
fragment=$vm_dir/kernel.config
debug_fragment=$vm_dir/kernel-debug.config
cache=${KEXECQ_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kexecq-vm}
# Absolute: the scripts change directories.
case $cache in /*) ;; *) cache=$PWD/$cache ;; esac
tarball=${KEXECQ_LINUX_TARBALL:-$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -1)}
jobs=${KEXECQ_VM_JOBS:-$(nproc)}

# Under 'make check' the kernel's make must not join automake's jobserver.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

log() { printf '[vm] %s\n' "$*" >&2; }
die() { printf '[vm] error: %s\n' "$*" >&2; exit 1; }

# Prerequisites; prints what is missing, returns non-zero if anything is.
vm_missing() {
	local m=
	[ -n "$tarball" ] && [ -f "$tarball" ] || m="$m linux-source-6.12"
	for c in qemu-system-x86_64 busybox kexec cpio gzip quilt make gcc bc flex bison depmod ip; do
		command -v "$c" >/dev/null 2>&1 || m="$m $c"
	done
	[ -f /usr/include/libelf.h ] || m="$m libelf-dev"
	[ -z "$m" ] && return 0
	echo "$m"
	return 1
}

# Pristine source, unpacked once.
vm_source() {
	local src=$cache/src
	mkdir -p "$cache"
	# Tests run in parallel: one unpacks, the others wait for it.
	exec {lockfd}>"$cache/src.lock"
	flock "$lockfd"
	# Unpacked beside it and renamed: the tree is complete or absent.
	if [ ! -f "$src/.unpacked" ]; then
		log "unpacking $tarball"
		rm -rf "$src" "$src.new"
		mkdir -p "$src.new"
		tar -xf "$tarball" -C "$src.new" --strip-components=1
		touch "$src.new/.unpacked"
		mv -T "$src.new" "$src"
	fi
	flock -u "$lockfd"
	echo "$src"
}

# Bump when kbuild.sh changes what it produces (not for locking, messages).
build_recipe=6

# The kernels kbuild.sh builds: unpatched (A/B control), patched, and debug
# (patched, with kernel-debug.config: lockdep, hung tasks, SLUB debugging),
# all three from one source tree.  The fourth kind, debian (Debian 12's own
# kernel), is fetched, not built: debian-kernel.sh.

# Cache key of a build: what goes into it.
vm_key() { # patched|debug|unpatched
	{
		echo "$1 recipe $build_recipe"
		basename "$tarball"
		stat -c %s "$tarball"
		cat "$fragment"
		[ "$1" != debug ] || cat "$debug_fragment"
		if [ "$1" != unpatched ]; then
			cat "$patches/series"
			while read -r p; do cat "$patches/$p"; done <"$patches/series"
		else
			cat "$vm_dir/compat-unpatched.h"
		fi
		cat "$vm_dir/edu/edu_kexec_test.c" "$vm_dir/edu/Kbuild"
	} | sha256sum | cut -c1-16
}
