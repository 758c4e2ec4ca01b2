# Kernel v3, review finding 1 (->remove() ran while the system still
# looked running, and sd stopped AHCI disks) and the v2 scenario it came
# from: every device marked remove with I/O in flight -- megasas and AHCI
# disks written and read, NVMe with ext2 mounted and written, e1000 and
# rtl8139 links up, virtio-blk readers, virtio-net, qemu-xhci with a USB
# disk.  The releases happen inside the shutdown walk, with system_state
# SYSTEM_RESTART: NVMe, e1000 and rtl8139 (8139cp) are released; the HBAs, virtio
# and xHCI keep their drivers because a disk, a virtio or a USB driver is
# bound below them, say so, and get ->shutdown(), which never stops a disk
# on a restart.  No "Stopping disk" in the first kernel, the kexec
# completes on the debug kernel without a lockdep report, and the second
# kernel finds the data.  (ext2 stays mounted on the released NVMe disk:
# its writes after the release fail, "attempt to access beyond end of
# device"; what was synced before is there.)
# kernel: debug
# devices: megasas nvme e1000 virtio-blk virtio-net xhci-usb ahci rtl8139
# expect: nvme 0000:[0-9a-f:.]+: kexec: releasing nvme
# expect: e1000 0000:[0-9a-f:.]+: kexec: releasing e1000
# expect: 8139cp 0000:[0-9a-f:.]+: kexec: releasing 8139cp
# expect: megaraid_sas 0000:[0-9a-f:.]+: kexec: keeping megaraid_sas bound: a device below is bound to a driver
# expect: ahci 0000:[0-9a-f:.]+: kexec: keeping ahci bound: a device below is bound to a driver
# expect: virtio-pci 0000:[0-9a-f:.]+: kexec: keeping virtio-pci bound: a device below is bound to a driver
# expect: KEXECQ-PASS the data on every disk is there
# expect: KEXECQ-PASS no disk was stopped in the first kernel
# timeout: 240
drivers="megaraid_sas nvme e1000 virtio-pci xhci_hcd ahci 8139cp"
stage1() {
	sleep 2
	for drv in $drivers; do
		check "$drv bound before kexec" sh -c "ls /sys/bus/pci/drivers/$drv | grep -q '^0000:'"
		for f in $(ls /sys/bus/pci/drivers/$drv | grep '^0000:'); do
			echo remove >/sys/bus/pci/devices/$f/kexec_method || fail "$f ($drv): remove refused"
		done
	done
	for drv in nvme e1000 8139cp; do
		f=$(ls /sys/bus/pci/drivers/$drv | grep -m1 '^0000:')
		check "$drv: kexec_action remove" [ "$(cat /sys/bus/pci/devices/$f/kexec_action)" = remove ]
	done
	for drv in megaraid_sas ahci xhci_hcd; do
		f=$(ls /sys/bus/pci/drivers/$drv | grep -m1 '^0000:')
		check "$drv: kexec_action shutdown (a driver bound below)" [ "$(cat /sys/bus/pci/devices/$f/kexec_action)" = shutdown ]
	done
	# virtio-pci has no ->shutdown(): the virtio bus resets the device
	# through virtio_blk's and virtio_net's virtio device instead.
	for f in $(ls /sys/bus/pci/drivers/virtio-pci | grep '^0000:'); do
		check "virtio-pci $f: kexec_action clear-master (a driver bound below)" [ "$(cat /sys/bus/pci/devices/$f/kexec_action)" = clear-master ]
	done
	mke2fs -q /dev/nvme0n1 && mkdir -p /mnt && mount -t ext2 /dev/nvme0n1 /mnt
	check "ext2 mounted on nvme0n1" grep -q ' /mnt ext2 ' /proc/mounts
	echo "kexecq was here" >/mnt/data
	# A pattern on each SCSI disk (megasas, AHCI, USB), at 1 MiB.
	for b in /sys/block/sd*; do
		echo "kexecq on ${b##*/}" | dd of=/dev/${b##*/} bs=512 seek=2048 conv=sync,fsync 2>/dev/null
	done
	sync
	# Still mounted, and written to, when the kexec releases nvme.
	(while :; do echo more >>/mnt/more; done) &
	for i in $(ls /sys/class/net | grep -v '^lo$'); do ip-netlink link set "$i" up; done
	check "the links are up" sh -c "[ \$(cat /sys/class/net/*/flags | grep -c 0x1003) -ge 3 ]"
	for b in /sys/block/sd* /sys/block/vd*; do
		dev=/dev/${b##*/}
		(while :; do dd if=$dev of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null; done) &
	done
	sleep 1
}
stage2() {
	sleep 3
	for drv in $drivers; do
		check "$drv bound after kexec" sh -c "ls /sys/bus/pci/drivers/$drv | grep -q '^0000:'"
	done
	check "disks after kexec (megasas, ahci, usb)" [ "$(ls /sys/block | grep -c '^sd')" -ge 3 ]
	check "the first kernel's log is there" prev_log_has 'kexec: releasing nvme'
	check "the first kernel released nothing with a disk below" prev_log_lacks 'releasing (megaraid_sas|ahci|xhci_hcd)'
	check "no disk was stopped in the first kernel" prev_log_lacks 'Stopping disk'
	ok=1
	for b in /sys/block/sd*; do
		dd if=/dev/${b##*/} bs=512 skip=2048 count=1 2>/dev/null | grep -q "kexecq on" || { ok=; echo "no pattern on ${b##*/}"; }
	done
	mkdir -p /mnt && mount -t ext2 /dev/nvme0n1 /mnt
	grep -q "kexecq was here" /mnt/data || ok=
	if [ -n "$ok" ]; then pass "the data on every disk is there"; else fail "the data on every disk is there"; fi
}
