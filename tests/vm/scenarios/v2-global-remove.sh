# Kernel v2: with pci.kexec_method=remove every driver is unbound through
# the driver core before the shutdown walk, with I/O in flight: megasas
# with a disk, NVMe with an ext2 mounted and being written, e1000 with
# its link up, virtio-blk with direct-I/O readers, virtio-net, qemu-xhci
# with a USB disk being read, AHCI with a disk being read.  The kexec
# completes on the debug kernel (lockdep, hung tasks, panic_on_warn), and
# the second kernel binds everything again and finds the data.
# kernel: debug
# devices: megasas nvme e1000 virtio-blk virtio-net xhci-usb ahci
# append: pci.kexec_method=remove
# The one lockdep report of Linux 6.12 on SCSI disk removal after writeback,
# also without kexec: see v2-global-remove-control.sh.
# allow-lockdep: sd_remove
# expect: PCI: kexec: unbound [0-9]+ devices whose driver chose ->remove\(\)
# timeout: 240
drivers="megaraid_sas nvme e1000 virtio-pci xhci_hcd ahci"
stage1() {
	sleep 2
	for drv in $drivers; do
		check "$drv bound before kexec" sh -c "ls /sys/bus/pci/drivers/$drv | grep -q '^0000:'"
		check "$drv will be unbound on kexec" [ "$(cat /sys/bus/pci/drivers/$drv/kexec_action)" = remove ]
	done
	mke2fs -q /dev/nvme0n1 && mkdir -p /mnt && mount -t ext2 /dev/nvme0n1 /mnt
	check "ext2 mounted on nvme0n1" grep -q ' /mnt ext2 ' /proc/mounts
	echo "kexecq was here" >/mnt/data
	sync
	# Still mounted, and written to, when the kexec unbinds nvme.
	(while :; do echo more >>/mnt/more; done) &
	for i in $(ls /sys/class/net | grep -v '^lo$'); do ip-netlink link set "$i" up; done
	check "e1000's link is up" sh -c "cat /sys/class/net/*/operstate /sys/class/net/*/flags | grep -q 0x1003"
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
	check "virtio-net interface after kexec" sh -c "ls /sys/class/net | grep -qv lo"
	check "disks after kexec (megasas, ahci, usb)" [ "$(ls /sys/block | grep -c '^sd')" -ge 3 ]
	mkdir -p /mnt && mount -t ext2 /dev/nvme0n1 /mnt
	check "the data written before kexec is there" grep -q "kexecq was here" /mnt/data
}
