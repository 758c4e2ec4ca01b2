#!/bin/bash
# Install the Debian package into a scratch root, use it, remove and purge
# it, and show that nothing is left behind.
#
# The scratch root is a minimal Debian 12 (debootstrap --variant=minbase,
# from the mirrors the host's apt uses), cached as a tarball under
# $KEXECQ_DEB_CACHE (default ~/.cache/kexecq-deb); each run unpacks a
# fresh copy.  In it, as an administrator would:
#   apt-get satisfy the package's Depends      (the dependencies alone)
#   list every file                            (before)
#   dpkg -i kexecq_*.deb                       (maintainer scripts run)
#   kexecq policy verify; kexecq policy list; kexecq check
#                                              (the installed files, the host's /sys)
#   dpkg -r kexecq; dpkg -P kexecq
#   list every file again                      (after: must equal before)
# Nothing in the chroot runs systemd, so the maintainer scripts take the
# path of a system without a running init (deb-systemd-helper records the
# enablement; nothing is started), which is also the path of an image build.
#
# Usage (root): tests/deb/install-test.sh DEB
#               tests/deb/install-test.sh --prepare   (only make the cached
#               base root: mostly downloads, so the test command starts it
#               beside the kernel builds)
set -euo pipefail

prepare=
if [ "${1:-}" = --prepare ]; then
	prepare=1
else
	deb=$(realpath "${1:?usage: install-test.sh DEB | --prepare}")
fi
die() { echo "install-test.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "must run as root (chroot, mounts)"
for t in debootstrap chroot dpkg-deb; do
	command -v "$t" >/dev/null || die "$t is missing (contrib/install-deps.sh)"
done
cache=${KEXECQ_DEB_CACHE:-$HOME/.cache/kexecq-deb}
base=$cache/bookworm-minbase.tar
suite=bookworm

mkdir -p "$cache"
exec {lockfd}>"$cache/base.lock"
flock "$lockfd"
if [ ! -f "$base" ]; then
	mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' |
		awk -v s="$suite" '$2 == s && $3 == "main" { print $1; exit }')
	[ -n "$mirror" ] || die "no apt source for $suite main on this host"
	tmp=$(mktemp -d /var/tmp/kexecq-debootstrap.XXXXXX)
	echo "debootstrap --variant=minbase $suite (once; cached in $base)"
	debootstrap --variant=minbase --cache-dir=/var/cache/apt/archives "$suite" "$tmp" "$mirror" \
		>"$cache/debootstrap.log" 2>&1 ||
		{ tail -20 "$cache/debootstrap.log"; rm -rf "$tmp"; die "debootstrap failed"; }
	tar -C "$tmp" -cf "$base.new" . && mv "$base.new" "$base"
	rm -rf "$tmp"
fi
[ -z "$prepare" ] || { echo "scratch root base: $base"; exit 0; }

root=$(mktemp -d /var/tmp/kexecq-scratch.XXXXXX)
chmod 755 "$root" # a root directory; apt's _apt user must reach its lists
mounts=()
cleanup() {
	local i
	for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[i]}" 2>/dev/null || true; done
	rm -rf --one-file-system "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$base"
flock -u "$lockfd"
mnt() { # mnt ARGS... TARGET
	mount "$@"
	mounts+=("${!#}")
}
mnt -t proc proc "$root/proc"
mnt --rbind -o ro /sys "$root/sys"
mnt --bind /dev "$root/dev"
mnt -t tmpfs tmpfs "$root/run"
mkdir -p "$root/run/udev"
[ ! -d /run/udev ] || mnt --bind -o ro /run/udev "$root/run/udev"
# The host's apt sources and resolver (the security and update suites too).
rm -f "$root/etc/apt/sources.list"
cp -a /etc/apt/sources.list.d/. "$root/etc/apt/sources.list.d/"
[ ! -f /etc/apt/sources.list ] || cp /etc/apt/sources.list "$root/etc/apt/"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
	DEBIAN_FRONTEND=noninteractive "$@"; }

step() { printf -- '-- %s\n' "$*"; }
step "dependencies: apt-get satisfy '$(dpkg-deb -f "$deb" Depends)'"
in_root apt-get -q update >/dev/null
in_root apt-get -q -y --no-install-recommends satisfy "$(dpkg-deb -f "$deb" Depends)" >"$root/../$(basename "$root").apt.log" 2>&1 ||
	{ tail -20 "$root/../$(basename "$root").apt.log"; die "the dependencies do not install"; }
rm -f "$root/../$(basename "$root").apt.log"

# Every file of the root but the package manager's own bookkeeping and
# what the kernel and this script mount.  /var/lib/dpkg/info and
# /var/lib/systemd (deb-systemd-helper's records) are compared: a purge
# must clear them too.
listing() {
	(cd "$root" && find . -xdev \( -path ./proc -o -path ./sys -o -path ./dev -o -path ./run \
		-o -path ./tmp -o -path ./var/log -o -path ./var/cache -o -path ./var/lib/apt \
		-o -path ./var/lib/dpkg/status -o -path ./var/lib/dpkg/status-old \
		-o -path ./var/lib/dpkg/triggers -o -path ./var/lib/dpkg/lock\* \) -prune \
		-o -printf '%y %m %p %l\n' | sort)
}
listing >"$root/tmp/before"

step "dpkg -i $(basename "$deb")"
cp "$deb" "$root/tmp/"
in_root dpkg -i "/tmp/$(basename "$deb")"
in_root dpkg -L kexecq >"$root/tmp/files"
for f in /usr/sbin/kexecq /usr/libexec/kexecqd /lib/systemd/system-shutdown/kexecq.shutdown \
	/lib/systemd/system/kexecqd.service /lib/systemd/system/kexecq-verify.service \
	/usr/share/dbus-1/system.d/org.kexecq1.conf /usr/share/dbus-1/system-services/org.kexecq1.service \
	/usr/share/polkit-1/actions/org.kexecq1.policy /usr/share/man/man8/kexecq.8.gz \
	/usr/share/man/man5/kexecq.policy.5.gz /usr/share/man/man7/kexecq-json.7.gz \
	/usr/share/man/man8/kexecqd.8.gz /usr/share/bash-completion/completions/kexecq \
	/usr/lib/kexecq/policy.d/50-lpfc.policy /usr/lib/kexecq/pci-drivers/pci-drivers-6.12.tsv \
	/usr/share/doc/kexecq/examples/kexecq-fleet-reboot; do
	grep -qx "$f" "$root/tmp/files" || die "the package does not install $f"
done
# Enablement as the rules say: kexecq-verify yes, kexecqd only by "kexecq enable".
[ -L "$root/etc/systemd/system/multi-user.target.wants/kexecq-verify.service" ] ||
	die "kexecq-verify.service is not enabled after the install"
[ ! -e "$root/etc/systemd/system/multi-user.target.wants/kexecqd.service" ] ||
	die "kexecqd.service was enabled by the package (only 'kexecq enable' may)"
echo "installed $(wc -l <"$root/tmp/files") paths; kexecq-verify.service enabled, kexecqd.service not"

step "kexecq --version"
in_root kexecq --version
step "kexecq policy verify   (every installed policy)"
in_root kexecq policy verify
step "kexecq policy list"
in_root kexecq policy list | tee "$root/tmp/list"
n=$(ls "$root/usr/lib/kexecq/policy.d" | wc -l)
[ "$(grep -c '/usr/lib/kexecq/policy.d/' "$root/tmp/list")" -eq "$n" ] ||
	die "policy list does not show the $n installed policies"
step "kexecq check   (this host's devices, the installed library and driver tables)"
rc=0
in_root kexecq check || rc=$?
# 0: nothing at risk; 5: a device at risk (a finding about the host, not a failure of the package).
case $rc in 0 | 5) echo "(kexecq check: exit $rc)" ;; *) die "kexecq check failed with exit $rc" ;; esac

# What a used system has: kexec by default turned on ("kexecq enable"
# writes the settings; no systemd here to enable kexecqd), a boot record
# (written by "kexecq reboot" before a jump) and the runtime drop-in that
# kexecqd writes while armed (both made by hand: no kexec and no kexecqd
# in a chroot).  The removal must take the drop-in away with the hook, the
# purge the settings and the records.
step "kexecq enable   (no systemd here: the settings only)"
in_root kexecq enable || true
grep -qx 'KexecByDefault=yes' "$root/etc/kexecq/kexecq.conf" ||
	die "kexecq enable did not write KexecByDefault=yes to /etc/kexecq/kexecq.conf"
mkdir -p "$root/var/lib/kexecq"
echo '{}' >"$root/var/lib/kexecq/record-00000000000000000000000000000000.json"
dropin=/run/systemd/system/systemd-reboot.service.d/50-kexecq.conf
mkdir -p "$root${dropin%/*}"
echo '# as kexecqd writes it while armed' >"$root$dropin"

step "dpkg -r kexecq   (with /run/systemd/system, as under systemd)"
in_root dpkg -r kexecq
[ ! -e "$root/usr/sbin/kexecq" ] || die "/usr/sbin/kexecq is still there after dpkg -r"
[ ! -e "$root$dropin" ] || die "dpkg -r left $dropin: reboots would kexec without the hook"
grep -qx 'KexecByDefault=yes' "$root/etc/kexecq/kexecq.conf" ||
	die "dpkg -r changed the settings (only a purge removes them)"
rm -rf "$root/run/systemd"
step "dpkg -P kexecq"
in_root dpkg -P kexecq
st=$(in_root dpkg-query -W -f '${db:Status-Status}' kexecq 2>/dev/null || true)
[ -z "$st" ] || [ "$st" = not-installed ] || die "dpkg still knows kexecq after the purge: $st"
listing >"$root/tmp/after"
if ! diff -u "$root/tmp/before" "$root/tmp/after"; then
	die "the purge left the differences above"
fi
echo "PASS: installed, used, removed and purged; nothing is left behind ($(wc -l <"$root/tmp/before") paths compared)"
