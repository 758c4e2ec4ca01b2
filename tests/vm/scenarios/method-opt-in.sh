# A driver that opts in (struct pci_driver.kexec_remove) is released on
# kexec instead of shut down, with no administrator involved.
# devices: edu
# expect: kexec: releasing edu_kexec_test
# expect: callback=remove reason=kexec
# expect-not: callback=shutdown reason=kexec
stage1() {
	load_edu has_shutdown=1 kexec_remove=1
	a=/sys/bus/pci/devices/$(ls /sys/bus/pci/drivers/edu_kexec_test | grep '^0000:')
	check "kexec_method: the driver's remove" [ "$(cat $a/kexec_method)" = "shutdown [remove]" ]
	check "kexec_action reads remove" [ "$(cat $a/kexec_action)" = remove ]
}
