#!/bin/bash
# Build the two initramfs images of a VM run: stage 1 (with the kernel and
# stage 2 inside, for kexec) and stage 2.  Both carry busybox, kexec-tools
# and its libraries, the kernel's modules, the init and the scenario, in a
# merged-/usr layout like the host's (/bin, /sbin, /lib, /lib64 link into
# /usr), so that programs find each other at the paths they were built
# with (systemd-shutdown runs /sbin/kexec; command -v finds /usr/sbin/kexec).
# With "# init: systemd" in the scenario, stage 1 boots the host's systemd
# instead of the busybox /init (see populate_systemd).
#
# Usage: tests/vm/mkinitramfs.sh KBUILD_DIR SCENARIO OUTDIR
. "$(dirname "$0")/lib.sh"

kb=$1 scenario=$2 outdir=$3
kver=$(cat "$kb/include/config/kernel.release")
init=$(sed -n 's/^# init: *//p' "$scenario" | head -1)
init=${init:-busybox}
case $init in
busybox) ;;
systemd) [ -x /lib/systemd/systemd ] || die "$scenario: no /lib/systemd/systemd on this host" ;;
*) die "$scenario: unknown init $init" ;;
esac
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
	# A modular kernel (debian-kernel.sh): the modules init loads at boot
	# (coldplug in init-functions), with kmod's modprobe at /sbin, where
	# busybox --install leaves it: it takes their options from the command
	# line (ramoops.*) as on a real system.
	if [ -f "$kb/coldplug" ]; then
		mkdir -p "$root/etc/kexecq-vm"
		cp "$kb/coldplug" "$root/etc/kexecq-vm/coldplug"
		copy_with_libs "$root" "$(readlink -f "$(command -v kmod)")"
		for l in modprobe insmod rmmod lsmod modinfo depmod; do
			ln -sf "$(readlink -f "$(command -v kmod)")" "$root/usr/sbin/$l"
		done
	fi
	copy_with_libs "$root" "$(command -v kexec)"
	# Needs only libc, which kexec brought.
	cp "$work/bin/vfio-hold" "$work/bin/uevent-count" "$root/bin/"
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
	# "# library: shipped": the policy library and the driver tables as
	# `make install` puts them (policydir, tablesdir), from KEXECQ's build tree.
	if grep -q '^# library: shipped' "$scenario"; then
		make -s -C "$(dirname "$KEXECQ")" DESTDIR="$root" \
			install-dist_policyDATA install-dist_tablesDATA >&2 ||
			{ echo "mkinitramfs: cannot install the policy library" >&2; exit 1; }
	fi
}

# Units from the host, the least that boots to multi-user.target and shuts
# down or kexecs: no udev, no journald (PID 1 logs to the kernel log), no
# getty, no generators.
systemd_units="sysinit.target basic.target multi-user.target local-fs.target
	swap.target sockets.target timers.target paths.target slices.target
	shutdown.target umount.target final.target kexec.target
	systemd-kexec.service reboot.target systemd-reboot.service
	poweroff.target systemd-poweroff.service"

# Stage 1 with systemd 252 as PID 1.  Not an initrd (no /etc/initrd-release):
# systemd takes the initramfs for the root file system, mounts /proc, /sys,
# /dev, /run and the cgroup2 hierarchy itself, and starts
# kexecq-stage1.service.  No /run/initramfs either, so that systemd-shutdown
# does not pivot into it.  systemd-shutdown runs /sbin/kexec -e and the
# executables of /lib/systemd/system-shutdown (= /usr/lib/..., merged /usr).
populate_systemd() { # root
	local root=$1 u
	copy_with_libs "$root" /lib/systemd/systemd /lib/systemd/systemd-shutdown \
		"$(command -v systemctl)"
	mkdir -p "$root/usr/lib/systemd/system" "$root/usr/lib/systemd/system-shutdown" \
		"$root/etc/systemd/system/multi-user.target.wants"
	for u in $systemd_units; do
		cp "/lib/systemd/system/$u" "$root/usr/lib/systemd/system/"
	done
	ln -s multi-user.target "$root/usr/lib/systemd/system/default.target"
	cp "$vm_dir/kexecq-stage1.service" "$root/etc/systemd/system/"
	ln -s ../kexecq-stage1.service "$root/etc/systemd/system/multi-user.target.wants/"
	cp "$vm_dir/stage1-systemd" "$root/stage1-systemd"
	cp /usr/lib/os-release "$root/usr/lib/os-release"
	ln -s ../usr/lib/os-release "$root/etc/os-release"
	# A fixed machine ID: without one, systemd treats the boot as the
	# first and applies presets.
	echo 6b65786563712d766d2d62656e636821 >"$root/etc/machine-id"
	# Otherwise PID 1 reports the system "tainted: var-run-bad".
	mkdir -p "$root/var"
	ln -s ../run "$root/var/run"
	mkdir -p "$root/etc/systemd/system.conf.d"
	cat >"$root/etc/systemd/system.conf.d/kexecq.conf" <<-EOF
		[Manager]
		# PID 1 logs the same to the kernel log, which is on the console
		# too: no coloured status lines between the markers.
		ShowStatus=no
		# A unit that ignores SIGTERM costs 10 s, not 90, of the run's timeout.
		DefaultTimeoutStopSec=10s
	EOF
	rm "$root/init"
	ln -s /lib/systemd/systemd "$root/init"
}

# "# bus: kexecqd": the system bus and kexecqd as
# `make install` puts them (from KEXECQ's build tree): the daemon, its unit,
# bus policy and activation file.  The build's prefix is /usr/local, whose
# share/dbus-1 dbus-daemon does not read by itself: system-local.conf adds
# it, as an administrator of a /usr/local install would.  No logind, no
# polkit: the scenario calls as root.  Under systemd, dbus.socket starts
# the bus and bus activation kexecqd; under busybox, start_bus does both.
populate_bus() { # root
	local root=$1 u
	copy_with_libs "$root" /usr/bin/dbus-daemon "$(command -v busctl)"
	mkdir -p "$root/usr/share/dbus-1/system.d" "$root/etc/dbus-1" \
		"$root/usr/lib/systemd/system/sockets.target.wants" "$root/var/lib" "$root/var/tmp"
	cp /usr/share/dbus-1/system.conf "$root/usr/share/dbus-1/"
	# PID 1 takes org.freedesktop.systemd1 on the bus, for bus activation.
	cp /usr/share/dbus-1/system.d/org.freedesktop.systemd1.conf "$root/usr/share/dbus-1/system.d/"
	for u in dbus.service dbus.socket; do
		cp "/lib/systemd/system/$u" "$root/usr/lib/systemd/system/"
	done
	ln -s ../dbus.socket "$root/usr/lib/systemd/system/sockets.target.wants/dbus.socket"
	cat >"$root/etc/dbus-1/system-local.conf" <<-EOF
		<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
		 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
		<busconfig>
		  <includedir>/usr/local/share/dbus-1/system.d</includedir>
		  <servicedir>/usr/local/share/dbus-1/system-services</servicedir>
		</busconfig>
	EOF
	printf 'root:x:0:0:root:/root:/bin/sh\nmessagebus:x:100:102::/nonexistent:/bin/false\n' \
		>"$root/etc/passwd"
	printf 'root:x:0:\nmessagebus:x:102:\n' >"$root/etc/group"
	make -s -C "$(dirname "$KEXECQ")" DESTDIR="$root" install-libexecPROGRAMS \
		install-systemdsystemunitDATA install-dist_dbuspolicyDATA \
		install-dbussystemserviceDATA >/dev/null ||
		{ echo "mkinitramfs: cannot install kexecqd" >&2; exit 1; }
	# kexecqd's libraries (make install copied only the binary).
	copy_with_libs "$root" "$(dirname "$KEXECQ")/kexecqd"
	rm -f "$root$(dirname "$KEXECQ")/kexecqd"
}

pack() { # root image
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$2"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
cc -O2 -Wall -o "$work/bin/vfio-hold" "$vm_dir/vfio-hold.c"
cc -O2 -Wall -o "$work/bin/uevent-count" "$vm_dir/uevent-count.c"
populate "$work/stage2"
pack "$work/stage2" "$outdir/stage2.cpio.gz"
populate "$work/stage1"
[ "$init" = busybox ] || populate_systemd "$work/stage1"
grep -q '^# bus: kexecqd' "$scenario" && populate_bus "$work/stage1"
cp "$kb/arch/x86/boot/bzImage" "$work/stage1/boot/bzImage"
cp "$outdir/stage2.cpio.gz" "$work/stage1/boot/stage2.cpio.gz"
pack "$work/stage1" "$outdir/stage1.cpio.gz"
