# Kernel v3, the v1 hang (virtio-blk): both virtio-blk functions marked
# remove, with throttled direct I/O in flight.  v1 called virtio-pci's
# ->remove() from inside the shutdown walk after the disk's queues were
# reset by the virtio bus's shutdown, and del_gendisk() waited forever (6
# hangs in 15).  v3 never releases a device while a driver is bound below
# it: virtio_blk is, so virtio-pci keeps its driver, says why, and the
# virtio bus resets the device as on any kexec.  Several runs, on the
# debug kernel.
# kernel: debug
# devices: virtio-blk-slow virtio-blk-slow
# expect: virtio-pci 0000:[0-9a-f:.]+: kexec: keeping virtio-pci bound: a device below is bound to a driver
# expect-not: kexec: releasing
# repeat: 3
# timeout: 90
stage1() {
	for f in $(ls /sys/bus/pci/drivers/virtio-pci | grep '^0000:'); do
		echo remove >/sys/bus/pci/devices/$f/kexec_method || fail "$f: remove refused"
		check "$f: kexec_action clear-master (virtio_blk bound below; virtio-pci has no ->shutdown())" [ "$(cat /sys/bus/pci/devices/$f/kexec_action)" = clear-master ]
	done
	for d in /dev/vda /dev/vdb; do
		for i in 1 2 3; do
			(while :; do dd if=$d of=/dev/null bs=256k count=4 skip=$((i * 8)) iflag=direct 2>/dev/null; done) &
		done
	done
	sleep 2
}
stage2() {
	check "both virtio disks after kexec" [ "$(ls /sys/block | grep -c '^vd')" = 2 ]
}
