# With the series and pci.kexec_method=auto, a driver without ->shutdown()
# is unbound on kexec, and knows it is a kexec.
# devices: edu edu
# append: pci.kexec_method=auto
# expect: PCI: kexec: unbound 2 devices whose driver chose ->remove\(\)
# expect: edu_kexec_test 0000:[0-9a-f:.]+: callback=remove reason=kexec
# expect-not: callback=shutdown reason=kexec
stage1() {
	load_edu has_shutdown=0
	d=/sys/bus/pci/drivers/edu_kexec_test
	check "kexec_action reads remove" [ "$(cat $d/kexec_action)" = remove ]
	check "kexec_method reads [default] auto shutdown remove" \
		[ "$(cat $d/kexec_method)" = "[default] auto shutdown remove" ]
	check "both edu devices bound" [ "$(ls $d | grep -c '^0000:')" = 2 ]
}
stage2() {
	check "edu bound again after kexec" [ "$(ls /sys/bus/pci/drivers/edu_kexec_test | grep -c '^0000:')" = 2 ]
}
