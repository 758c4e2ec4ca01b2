# A plain power-off reports reason=poweroff and never falls back to ->remove().
# devices: edu
# end: poweroff
# expect: callback=shutdown reason=poweroff
# expect-not: callback=remove
stage1() {
	load_edu has_shutdown=1
	echo remove >/sys/bus/pci/drivers/edu_kexec_test/kexec_method
	poweroff -f
}
