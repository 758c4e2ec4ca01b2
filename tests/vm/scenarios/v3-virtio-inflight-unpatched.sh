# The control for v3-virtio-inflight: the same devices and I/O on the
# kernel without the series.
# kernel: unpatched
# devices: virtio-blk-slow virtio-blk-slow
# repeat: 3
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
