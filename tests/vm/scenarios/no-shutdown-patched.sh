# With the series, a driver without ->shutdown() gets ->remove() on kexec,
# and knows it is a kexec.
# devices: edu edu
# expect: edu_kexec_test 0000:[0-9a-f:.]+: callback=remove reason=kexec
# expect-not: callback=shutdown reason=kexec
stage1() {
	load_edu has_shutdown=0
	d=/sys/bus/pci/drivers/edu_kexec_test
	check "has_shutdown reads 0" [ "$(cat $d/has_shutdown)" = 0 ]
	check "kexec_method reads [auto] shutdown remove" \
		[ "$(cat $d/kexec_method)" = "[auto] shutdown remove" ]
	check "both edu devices bound" [ "$(ls $d | grep -c '^0000:')" = 2 ]
}
stage2() {
	check "edu bound again after kexec" [ "$(ls /sys/bus/pci/drivers/edu_kexec_test | grep -c '^0000:')" = 2 ]
}
