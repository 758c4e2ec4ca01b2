# kexec_method=remove forces ->remove() even when ->shutdown() exists.
# devices: edu
# expect: callback=remove reason=kexec
# expect-not: callback=shutdown reason=kexec
stage1() {
	load_edu has_shutdown=1
	d=/sys/bus/pci/drivers/edu_kexec_test
	check "kexec_action reads shutdown" [ "$(cat $d/kexec_action)" = shutdown ]
	echo remove >$d/kexec_method
	check "kexec_method set to remove" [ "$(cat $d/kexec_method)" = "default auto shutdown [remove]" ]
	check "kexec_action reads remove" [ "$(cat $d/kexec_action)" = remove ]
}
