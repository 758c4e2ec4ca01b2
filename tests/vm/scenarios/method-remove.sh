# kexec_method=remove forces ->remove() even when ->shutdown() exists.
# devices: edu
# expect: callback=remove reason=kexec
# expect-not: callback=shutdown reason=kexec
stage1() {
	load_edu has_shutdown=1
	d=/sys/bus/pci/drivers/edu_kexec_test
	check "has_shutdown reads 1" [ "$(cat $d/has_shutdown)" = 1 ]
	echo remove >$d/kexec_method
	check "kexec_method set to remove" [ "$(cat $d/kexec_method)" = "auto shutdown [remove]" ]
}
