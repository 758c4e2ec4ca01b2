# Kernel v2: virtio-blk with throttled direct I/O in flight, virtio-pci
# unbound on kexec under pci.kexec_method=auto (it has no ->shutdown()).
# v1 called its ->remove() from inside the shutdown walk after the disk's
# queues were reset, and del_gendisk() waited forever (6 hangs in 15).
# Many runs, on the debug kernel.
# kernel: debug
# devices: virtio-blk-slow virtio-blk-slow
# append: pci.kexec_method=auto
# expect: PCI: kexec: unbound 2 devices whose driver chose ->remove\(\)
# repeat: 6
# timeout: 90
stage1() {
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
