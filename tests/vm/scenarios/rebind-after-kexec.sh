# After kexec the second kernel binds every device again: edu, the
# megaraid_sas HBA with its disk, NVMe with its namespace, e1000, virtio-blk.
# devices: edu megasas nvme e1000 virtio-blk
# expect: callback=(shutdown|remove) reason=kexec
# timeout: 180
stage1() {
	load_edu
	for drv in edu_kexec_test megaraid_sas nvme e1000 virtio-pci; do
		check "$drv bound before kexec" sh -c "ls /sys/bus/pci/drivers/$drv | grep -q '^0000:'"
	done
}
stage2() {
	sleep 2
	for drv in edu_kexec_test megaraid_sas nvme e1000 virtio-pci; do
		check "$drv bound after kexec" sh -c "ls /sys/bus/pci/drivers/$drv | grep -q '^0000:'"
	done
	check "SCSI disk behind megaraid_sas after kexec" sh -c "ls /sys/block | grep -q '^sd'"
	check "NVMe namespace after kexec" sh -c "ls /sys/block | grep -q '^nvme0n1'"
	check "virtio disk after kexec" sh -c "ls /sys/block | grep -q '^vda'"
}
