# A plain reboot reports reason=reboot and never falls back to ->remove(),
# even with kexec_method=remove.
# devices: edu
# end: reboot
# expect: callback=shutdown reason=reboot
# expect-not: callback=remove
stage1() {
	load_edu has_shutdown=1
	echo remove >/sys/bus/pci/drivers/edu_kexec_test/kexec_method
	reboot -f
}
