# A plain power-off reports reason=poweroff and never releases a driver,
# even one marked remove.
# devices: edu
# end: poweroff
# expect: callback=shutdown reason=poweroff
# expect-not: callback=remove
stage1() {
	load_edu has_shutdown=1 kexec_remove=1
	a=/sys/bus/pci/devices/$(ls /sys/bus/pci/drivers/edu_kexec_test | grep '^0000:')
	echo remove >$a/kexec_method
	poweroff -f
}
