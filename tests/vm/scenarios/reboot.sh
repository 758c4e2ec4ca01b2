# A plain reboot reports reason=reboot and never releases a driver, even
# one marked remove: kexec_shutdown_in_progress() is false.
# devices: edu
# end: reboot
# expect: callback=shutdown reason=reboot
# expect-not: callback=remove
stage1() {
	load_edu has_shutdown=1 kexec_remove=1
	a=/sys/bus/pci/devices/$(ls /sys/bus/pci/drivers/edu_kexec_test | grep '^0000:')
	echo remove >$a/kexec_method
	reboot -f
}
