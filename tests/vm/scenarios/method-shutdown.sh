# kexec_method=shutdown, written by root, overrides a driver's opt-in
# (kexec_remove): ->shutdown() on kexec, no release.
# devices: edu
# expect: KEXECQ-PASS kexec_method set to shutdown
# expect: callback=shutdown reason=kexec
# expect-not: callback=remove reason=kexec
# expect-not: kexec: releasing
stage1() {
	load_edu has_shutdown=1 kexec_remove=1
	a=/sys/bus/pci/devices/$(ls /sys/bus/pci/drivers/edu_kexec_test | grep '^0000:')
	check "the driver opted in" [ "$(cat $a/kexec_method)" = "shutdown [remove]" ]
	echo shutdown >$a/kexec_method
	check "kexec_method set to shutdown" [ "$(cat $a/kexec_method)" = "[shutdown] remove" ]
	check "kexec_action reads shutdown" [ "$(cat $a/kexec_action)" = shutdown ]
}
