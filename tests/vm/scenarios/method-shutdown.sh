# kexec_method=shutdown, written through sysfs, restores the old behaviour:
# no ->remove() for a driver without ->shutdown().
# devices: edu
# append: pci.kexec_method=auto
# expect: KEXECQ-PASS kexec_method set to shutdown
# expect-not: callback=(remove|shutdown) reason=kexec
stage1() {
	load_edu has_shutdown=0
	d=/sys/bus/pci/drivers/edu_kexec_test
	echo shutdown >$d/kexec_method
	check "kexec_method set to shutdown" [ "$(cat $d/kexec_method)" = "default auto [shutdown] remove" ]
	check "kexec_action reads nothing" [ "$(cat $d/kexec_action)" = nothing ]
}
