# With the series, a driver without ->shutdown() that opts in is released
# on kexec, and knows it is a kexec; one that does not is left to the PCI
# core's Bus Master Enable clearing (kexec_action clear-master).
# devices: edu edu
# expect: edu_kexec_test 0000:[0-9a-f:.]+: callback=remove reason=kexec
# expect-not: callback=shutdown reason=kexec
stage1() {
	load_edu has_shutdown=0 kexec_remove=1
	d=/sys/bus/pci/drivers/edu_kexec_test
	check "both edu devices bound" [ "$(ls $d | grep -c '^0000:')" = 2 ]
	for f in $(ls $d | grep '^0000:'); do
		check "$f: kexec_action reads remove" [ "$(cat /sys/bus/pci/devices/$f/kexec_action)" = remove ]
	done
}
stage2() {
	check "two releases in the first kernel's log" [ "$(prev_log | grep -c "kexec: releasing edu_kexec_test")" = 2 ]
	check "edu bound again after kexec" [ "$(ls /sys/bus/pci/drivers/edu_kexec_test | grep -c '^0000:')" = 2 ]
}
