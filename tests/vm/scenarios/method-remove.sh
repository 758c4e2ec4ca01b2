# kexec_method=remove, written by root, releases the driver on kexec even
# when it has ->shutdown(), and the driver knows it is a kexec.
# devices: edu
# expect: edu_kexec_test 0000:[0-9a-f:.]+: kexec: releasing edu_kexec_test
# expect: callback=remove reason=kexec
# expect-not: callback=shutdown reason=kexec
stage1() {
	load_edu has_shutdown=1
	a=/sys/bus/pci/devices/$(ls /sys/bus/pci/drivers/edu_kexec_test | grep '^0000:')
	check "kexec_action reads shutdown" [ "$(cat $a/kexec_action)" = shutdown ]
	echo remove >$a/kexec_method
	check "kexec_method set to remove" [ "$(cat $a/kexec_method)" = "shutdown [remove]" ]
	check "kexec_action reads remove" [ "$(cat $a/kexec_action)" = remove ]
}
stage2() {
	check "edu bound again after kexec" [ "$(ls /sys/bus/pci/drivers/edu_kexec_test | grep -c '^0000:')" = 1 ]
}
