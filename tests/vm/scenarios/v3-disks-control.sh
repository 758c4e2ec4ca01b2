# The control for v3-disks' allowance of one lockdep report: the same devices
# and I/O on the same debug kernel, no kexec, the drivers unbound through
# sysfs (NVMe too, which v3 releases on kexec).  Linux 6.12's block layer models q_usage_counter as a lock for
# lockdep (f1be1788a32e, "block: model freeze & enter queue as lock for
# supporting lockdep"), and removing a SCSI disk (sd_remove) after any
# writeback reports a possible circular dependency between the queue and
# the writeback work (del_gendisk() after writeback: sd_remove, nvme_remove).  This shows the report without kexecq's series path.
# kernel: debug
# devices: megasas nvme virtio-blk xhci-usb ahci
# end: poweroff
# expect: WARNING: possible circular locking dependency detected
# allow-lockdep: (sd_remove|del_gendisk|nvme_remove)
# timeout: 240
stage1() {
	sleep 2
	mke2fs -q /dev/nvme0n1 && mkdir -p /mnt && mount -t ext2 /dev/nvme0n1 /mnt
	echo "kexecq was here" >/mnt/data
	sync
	(while :; do echo more >>/mnt/more; done) &
	for b in /sys/block/sd* /sys/block/vd*; do
		dev=/dev/${b##*/}
		(while :; do dd if=$dev of=/dev/null bs=64k count=64 iflag=direct 2>/dev/null; done) &
	done
	sleep 1
	for drv in nvme megaraid_sas ahci xhci_hcd; do
		for f in /sys/bus/pci/drivers/$drv/0000:*; do echo "${f##*/}" >/sys/bus/pci/drivers/$drv/unbind; done
	done
	sleep 2
	poweroff -f
}
