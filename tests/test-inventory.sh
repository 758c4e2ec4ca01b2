#!/bin/bash
# The libudev adapter on a sysfs testbed replayed by umockdev (libudev has
# no sysfs prefix; umockdev's LD_PRELOAD redirects /sys to the testbed).
. "${top_srcdir:-.}/tests/lib.sh"

umockdev_run=${UMOCKDEV_RUN:-$(command -v umockdev-run)}
[ -n "$umockdev_run" ] || skip "umockdev-run not installed (apt-get install umockdev)"

# Driver directories and slots are not devices; add them to the testbed.
# The kexecq series' kexec_method and kexec_action are the devices' own
# attributes, in umockdev/server.umockdev.
cat >"$tmp/setup.sh" <<'SETUP'
set -e
sys=$UMOCKDEV_DIR/sys
drv() { # name module
	d=$sys/bus/pci/drivers/$1
	mkdir -p "$d"
	: >"$d/bind"
	: >"$d/unbind"
	if [ -n "$2" ]; then
		mkdir -p "$sys/module/$2"
		[ "$2" = megaraid_sas ] || echo live >"$sys/module/$2/initstate"
		ln -sf "../../../../module/$2" "$d/module"
	fi
}
drv pcieport ""
drv megaraid_sas megaraid_sas
drv nvme nvme
drv ixgbe ixgbe
drv ixgbevf ixgbevf
mkdir -p "$sys/bus/pci/slots/7"
echo 0000:00:03 >"$sys/bus/pci/slots/7/address"
# Block devices by number, as the kernel has them (umockdev makes only class/block).
mkdir -p "$sys/dev/block"
sda=devices/pci0000:00/0000:00:01.0/0000:01:00.0/host0/target0:2:0/0:2:0:0/block/sda
echo 1 >"$sys/$sda/sda1/partition"
ln -s "../../$sda/sda1" "$sys/dev/block/8:1"
ln -s ../../devices/pci0000:00/0000:00:02.0/nvme/nvme0/nvme0n1 "$sys/dev/block/259:0"
# The SCSI device sda hangs off, bound to sd: the driver's link to it.
mkdir -p "$sys/bus/scsi/drivers/sd"
ln -s ../../../../devices/pci0000:00/0000:00:01.0/0000:01:00.0/host0/target0:2:0/0:2:0:0 \
	"$sys/bus/scsi/drivers/sd/0:2:0:0"
"$KEXECQ" inventory --json --moddir "$UMOCKDEV_DIR/nomodules" --mountinfo "$MOUNTINFO"
SETUP
# What is mounted, in mountinfo's own format (a space in a path is \040).
cat >"$tmp/mountinfo" <<'MI'
20 1 252:0 / / rw,relatime - ext4 /dev/vda rw
30 20 8:1 / /srv/my\040data rw,relatime - ext2 /dev/sda1 rw
31 20 259:0 / /scratch ro,relatime - xfs /dev/nvme0n1 ro
32 20 0:22 / /run rw - tmpfs tmpfs rw
MI
export MOUNTINFO=$tmp/mountinfo

if run 0 "$umockdev_run" -d "$TESTDATA/umockdev/server.umockdev" -- sh "$tmp/setup.sh"; then
	# The kernel release is the host's; everything else must match exactly.
	grep -v '"release":' "$tmp/out" >"$tmp/inventory.json"
	if diff -u "$TESTDATA/expected/inventory-umockdev.json" "$tmp/inventory.json" >"$tmp/diff"; then
		pass "inventory of the umockdev testbed matches expected/inventory-umockdev.json"
	else
		fail "inventory differs"
		head -60 "$tmp/diff"
	fi
	expect out '"physfn": "/sys/devices/pci0000:00/0000:00:03.0"' "VF linked to its PF"
	expect out '"slot": "7"' "slot from /sys/bus/pci/slots"
	expect out '"per_device_kexec_method": true' "the kernel's per-device kexec_method recognised"
	# 0000:01:00.0 reads "shutdown [remove]", but its disk keeps it at shutdown;
	# 0000:00:03.0 too, but its VFs do.
	python3 - "$tmp/out" >"$tmp/kexec" <<'PY' || fail "inventory --json is not JSON"
import json, sys
for d in json.load(open(sys.argv[1]))["devices"]:
    if d["kind"] == "pci":
        print(d["name"], d.get("kexec_method"), d.get("kexec_action"))
PY
	expect kexec "0000:01:00.0 remove shutdown" "the device's kexec_method parsed from the bracket form"
	expect out '"bound_below": "0:2:0:0"' "the SCSI device bound below the HBA, from /sys/bus/scsi/drivers/sd"
	expect out '"bound_below_driver": "sd"' "and its driver"
	expect kexec "0000:00:03.0 remove shutdown" "kexec_action read from the device, not derived from the method"
	expect kexec "0000:00:03.2 shutdown clear-master" "kexec_action clear-master read"
	expect kexec "0000:00:04.0 shutdown clear-master" "an unbound device has them too"
	expect out '"module_builtin": true' "built-in driver recognised"
	if grep -q loop0 "$tmp/out"; then fail "virtual loop0 listed"; else pass "virtual devices left out"; fi
	if grep -q '"name": "sda1"' "$tmp/out"; then fail "partition listed"; else pass "partitions left out"; fi
	expect out '"mount_point": "/srv/my data"' "mount on a partition attached to its disk, \\040 decoded"
	expect out '"via": [' "the partition between the mount and the disk"
fi

# An attribute that cannot be read (a directory here: EISDIR; the kernel's
# is EBUSY while a driver is bound or unbound) or is not understood: unknown,
# said at debug level with the device's name, and the kernel still has them.
cat >"$tmp/unreadable.sh" <<'SETUP'
set -e
sys=$UMOCKDEV_DIR/sys/devices/pci0000:00
echo 'tomorrow' >"$sys/0000:00:04.0/kexec_action"
rm "$sys/0000:00:02.0/kexec_method"
mkdir "$sys/0000:00:02.0/kexec_method"
"$KEXECQ" --log-level=debug inventory --json --moddir "$UMOCKDEV_DIR/nomodules" --mountinfo "$MOUNTINFO"
SETUP
if run 0 "$umockdev_run" -d "$TESTDATA/umockdev/server.umockdev" -- sh "$tmp/unreadable.sh"; then
	expect err '0000:00:04.0: kexec_action "tomorrow" not understood, taken as unknown' \
		"an unknown kexec_action is said at debug level, naming the device"
	expect err "0000:00:02.0: cannot read kexec_method, taken as unknown" \
		"an unreadable kexec_method is said at debug level, naming the device"
	expect out '"per_device_kexec_method": true' "an unreadable attribute still says the kernel has them"
	python3 - "$tmp/out" >"$tmp/kexec" <<'PY' || fail "inventory --json is not JSON"
import json, sys
for d in json.load(open(sys.argv[1]))["devices"]:
    if d["kind"] == "pci":
        print(d["name"], d.get("kexec_method"), d.get("kexec_action"))
PY
	expect kexec "0000:00:04.0 shutdown None" "an unknown kexec_action is left out"
	expect kexec "0000:00:02.0 None shutdown" "an unreadable kexec_method is left out"
fi

# The plan on the testbed, end to end through libudev.
mkdir -p "$tmp/pol"
printf '[Match]\nDriver=megaraid_sas\n[Quiesce]\nAction=unbind\n' >"$tmp/pol/10-hba.policy"
printf '[Match]\nDriver=ixgbe ixgbevf\n[Quiesce]\nAction=unbind\nNetworkDown=yes\n' >"$tmp/pol/20-nic.policy"
chmod 0644 "$tmp"/pol/*.policy
sed -i 's/^"\$KEXECQ" inventory.*$/"$KEXECQ" -P "$POL" plan --explain --mountinfo "$MOUNTINFO"/' "$tmp/setup.sh"
if POL="$tmp/pol" run 0 "$umockdev_run" -d "$TESTDATA/umockdev/server.umockdev" -- sh "$tmp/setup.sh"; then
	expect out "flush write cache of sda" "plan on testbed flushes the write-back disk"
	expect out "make /srv/my data read-only (disks below 0000:01:00.0)" "plan on testbed makes the file system read-only first"
	expect out "/srv/my data: ext2 from /dev/sda1, read-write, on sda1 on sda" "--explain names the mount and its disk"
	expect out "disable SR-IOV on 0000:00:03.0 (1 VFs)" "plan on testbed turns SR-IOV off"
	expect out "bring interface eth0 down" "plan on testbed brings the PF link down"
	if grep -q "eth1 down" "$tmp/out"; then fail "eth1 is already down"; else pass "down links left alone"; fi
fi

# A driver without unbind (suppress_bind_attrs): known, and remove is not asked for it.
mkdir -p "$tmp/pol-nvme"
printf '[Match]\nDriver=nvme\n[Quiesce]\nKernelMethod=remove\n' >"$tmp/pol-nvme/10-nvme.policy"
chmod 0644 "$tmp"/pol-nvme/*.policy
sed 's/^"\$KEXECQ" -P.*$/rm "$UMOCKDEV_DIR\/sys\/bus\/pci\/drivers\/nvme\/unbind"\n"$KEXECQ" -P "$POL" plan --mountinfo "$MOUNTINFO"\n"$KEXECQ" inventory --json --mountinfo "$MOUNTINFO"/' \
	"$tmp/setup.sh" >"$tmp/nounbind.sh"
if POL="$tmp/pol-nvme" run 0 "$umockdev_run" -d "$TESTDATA/umockdev/server.umockdev" -- sh "$tmp/nounbind.sh"; then
	expect out "10-nvme.policy: KernelMethod=remove for 0000:00:02.0 (nvme) not set: the kernel refuses it, its driver cannot be unbound (suppress_bind_attrs" \
		"a driver without unbind is seen, and remove is not asked for it"
	expect out '"suppress_bind_attrs": true' "the inventory says so"
fi

# KernelMethod=remove for the HBA: the SCSI device bound below it keeps its driver.
mkdir -p "$tmp/pol-km"
printf '[Match]\nDriver=megaraid_sas\n[Quiesce]\nKernelMethod=remove\n' >"$tmp/pol-km/10-hba.policy"
chmod 0644 "$tmp"/pol-km/*.policy
if POL="$tmp/pol-km" run 0 "$umockdev_run" -d "$TESTDATA/umockdev/server.umockdev" -- sh "$tmp/setup.sh"; then
	expect out "10-hba.policy: KernelMethod=remove for 0000:01:00.0 (megaraid_sas) will not be honoured at the kexec: 0:2:0:0 (sd) is bound below it" \
		"plan on testbed: KernelMethod=remove under a bound SCSI device will not be honoured"
fi

finish
